"""JSON decoding of response bodies: orjson when the ``fast`` extra is installed."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, cast

from .errors import DecodeError
from .models import JSONValue

__all__ = ["decode_body", "decode_json"]

_loads: Callable[[bytes], Any]
try:  # the "fast" extra: same results, faster decoding of large pages
    import orjson
except ImportError:  # pragma: no cover - depends on the environment
    _loads = json.loads
else:
    # Every digit as "0"; what may stand before a number in JSON (":", ",", "[", a
    # minus sign, white space) as "p"; anything else as "x". "p" and 20 zeros is then a
    # number of 20 digits or more (2**64 has 20), or, rarely, such a run after a space
    # or "-" inside a string; digits inside a SID (after a letter) do not count.
    _BEFORE_NUMBER = b":,[- \t\r\n"
    _CLASSES = bytes(
        48 if 48 <= byte <= 57 else 112 if byte in _BEFORE_NUMBER else 120 for byte in range(256)
    )
    _LONG_NUMBER = b"p" + b"0" * 20

    def _loads(body: bytes) -> Any:
        # orjson reads an integer beyond 64 bits as a float, so its digits would be
        # lost; the standard library keeps them. The check costs about a quarter of
        # orjson's parse, and a body that has such a number (rare) is read by json.
        classes = body.translate(_CLASSES)
        if _LONG_NUMBER in classes or classes.startswith(_LONG_NUMBER[1:]):
            return json.loads(body)
        return orjson.loads(body)


def decode_json(body: bytes, what: str) -> JSONValue:
    """Parse a JSON body; anything unreadable, however deep, is a DecodeError naming
    ``what`` (the method and path).

    A body orjson refuses is read again by the standard library before it counts as
    unreadable: orjson refuses an escaped lone surrogate (``"\\ud800"``), which is
    valid JSON and must reach the record as sent, not fail the whole page. (The
    transport tries ``_loads`` first and calls this only for a body it refused.)
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
