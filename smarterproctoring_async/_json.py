"""JSON decoding of response bodies: msgspec when the ``fast`` extra is installed.

msgspec keeps every digit of an integer, however long (orjson would read one beyond 64
bits as a float), so a body needs no scan before it is parsed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, cast

from .errors import DecodeError
from .models import JSONValue

__all__ = ["decode_body", "decode_json"]

_loads: Callable[[bytes], Any]
try:  # the "fast" extra: same results, faster decoding of large pages
    import msgspec
except ImportError:  # pragma: no cover - depends on the environment
    _loads = json.loads
else:
    _loads = msgspec.json.Decoder().decode


def decode_json(body: bytes, what: str) -> JSONValue:
    """Parse a JSON body; anything unreadable, however deep, is a DecodeError naming
    ``what`` (the method and path).

    A body msgspec refuses is read again by the standard library before it counts as
    unreadable: msgspec refuses an escaped lone surrogate (``"\\ud800"``), ``NaN`` and
    a number beyond a double, which the standard library reads, and which must reach
    the record as sent rather than fail the whole page. (The transport tries ``_loads``
    first and calls this only for a body it refused.)
    """
    try:
        data: JSONValue = json.loads(body)
    except (ValueError, RecursionError):
        raise DecodeError(f"{what}: the body is not valid JSON") from None
    return data


def decode_body(body: bytes, method: str = "GET", path: str = "") -> JSONValue:
    """Parse a response body; anything unreadable, however deep, is a DecodeError."""
    try:  # the message naming the request is only built for a body that fails
        return cast(JSONValue, _loads(body))
    except (ValueError, RecursionError):
        return decode_json(body, f"{method} {path}")
