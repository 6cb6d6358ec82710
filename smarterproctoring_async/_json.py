"""JSON decoding of response bodies: orjson when the ``fast`` extra is installed."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .errors import DecodeError
from .models import JSONValue

__all__ = ["decode_json"]

try:  # the "fast" extra: same results, faster decoding of large pages
    import orjson

    _loads: Callable[[bytes], Any] = orjson.loads
except ImportError:  # pragma: no cover - depends on the environment
    _loads = json.loads


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
