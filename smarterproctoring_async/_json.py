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

__all__ = ["HugeNumber", "decode_body", "decode_json"]


class HugeNumber(float):
    """A JSON number beyond a double (``1e400``): infinite as a float, its text kept.

    Written back (the store's ``wire``) as that text: ``Infinity`` would not be JSON.
    """

    __slots__ = ("text",)
    text: str

    def __new__(cls, text: str) -> HugeNumber:
        number = super().__new__(cls, text)
        number.text = text
        return number

    def __reduce__(self) -> tuple[type[HugeNumber], tuple[str]]:
        return HugeNumber, (self.text,)


def _number(text: str) -> float:
    """The standard library's reading of a JSON number with a fraction or exponent."""
    value = float(text)
    return HugeNumber(text) if value in _INFINITE else value


_INFINITE = (float("inf"), float("-inf"))


def _standard(body: bytes | str) -> Any:
    return json.loads(body, parse_float=_number)


_loads: Callable[[bytes], Any]
try:  # the "fast" extra: same results, faster decoding of large pages
    import msgspec
except ImportError:  # pragma: no cover - depends on the environment
    _loads = _standard
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
        data: JSONValue = _standard(body)
    except (ValueError, RecursionError):
        raise DecodeError(f"{what}: the body is not valid JSON") from None
    return data


def decode_body(body: bytes, method: str = "GET", path: str = "") -> JSONValue:
    """Parse a response body; anything unreadable, however deep, is a DecodeError."""
    try:  # the message naming the request is only built for a body that fails
        return cast(JSONValue, _loads(body))
    except (ValueError, RecursionError):
        return decode_json(body, f"{method} {path}")
