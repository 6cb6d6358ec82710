"""JSON of response bodies: decoded with msgspec when the ``fast`` extra is installed,
and written back exactly (:func:`record_json`).

msgspec keeps every digit of an integer, however long (orjson would read one beyond 64
bits as a float), so a body needs no scan before it is parsed.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from typing import Any, cast

from .errors import DecodeError
from .models import JSONValue

__all__ = [
    "HugeNumber",
    "decode_body",
    "decode_json",
    "record_json",
    "standard_json",
    "utf8_safe",
]


class HugeNumber(float):
    """A JSON number beyond a double (``1e400``): infinite as a float, its text kept.

    It compares and computes as ``inf`` or ``-inf``; :func:`record_json` (and the
    store's ``wire``) write it back as its text, since ``Infinity`` is not JSON.
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


def standard_json(body: bytes) -> Any:
    """The standard library's reading of ``body`` (ValueError if it is not JSON), a
    number beyond a double as a :class:`HugeNumber`."""
    # The hook costs a call per float: only where a number may be beyond a double (an
    # exponent of three digits or more, or a run of 309 digits).
    if _MAY_OVERFLOW.search(body):
        return json.loads(body, parse_float=_number)
    return json.loads(body)


_MAY_OVERFLOW = re.compile(rb"[eE]\+?\d{3}|\d{309}")


_loads: Callable[[bytes], Any]
try:  # the "fast" extra: same results, faster decoding of large pages
    import msgspec
except ImportError:  # pragma: no cover - depends on the environment
    _loads = standard_json
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
        data: JSONValue = standard_json(body)
    except (ValueError, RecursionError):
        raise DecodeError(f"{what}: the body is not valid JSON") from None
    return data


def decode_body(body: bytes, method: str = "GET", path: str = "") -> JSONValue:
    """Parse a response body; anything unreadable, however deep, is a DecodeError."""
    try:  # the message naming the request is only built for a body that fails
        return cast(JSONValue, _loads(body))
    except (ValueError, RecursionError):
        return decode_json(body, f"{method} {path}")


def record_json(value: object, *, indent: int | None = None, ascii: bool = True) -> str:
    """``value`` (a record's ``to_dict()``, or any JSON value) as JSON text that reads back
    as it was sent: a number beyond a double (:class:`HugeNumber`) is written as its
    text, not ``Infinity``. Compact unless ``indent``. ``ascii``: everything beyond
    ASCII escaped; otherwise only lone surrogates are, which no UTF-8 output can hold.
    A ``NaN`` or ``Infinity`` the server itself sent stays as it was (JSON has no word
    for it).
    """
    encoder = _ENCODERS.get((indent, ascii))
    if encoder is None:  # built once: the store writes a record's wire with each save
        separators = (",", ":") if indent is None else (",", ": ")
        encoder = json.JSONEncoder(ensure_ascii=ascii, indent=indent, separators=separators)
        _ENCODERS[indent, ascii] = encoder
    text = encoder.encode(value)
    if "Infinity" in text:  # rare: some number was infinite, perhaps one sent as 1e400
        huge: list[str] = []
        marker = f"\x00{uuid.uuid4().hex}:"
        try:
            marked = _marking(value, marker, huge)
        except RecursionError:  # nested beyond Python's stack: written as it reads
            marked, huge = value, []
        if huge:
            text = encoder.encode(marked)
        for index, number in enumerate(huge):
            text = text.replace(json.dumps(f"{marker}{index}", ensure_ascii=ascii), number, 1)
    if not ascii and not text.isascii():
        text = _LONE_SURROGATE.sub(lambda lone: f"\\u{ord(lone.group()):04x}", text)
    return text


def utf8_safe(text: str) -> str:
    """``text`` writable as UTF-8: each lone surrogate (valid in JSON as ``\\ud800``,
    held by no UTF-8 output) becomes U+FFFD."""
    return text if text.isascii() else _LONE_SURROGATE.sub("\ufffd", text)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_ENCODERS: dict[tuple[int | None, bool], json.JSONEncoder] = {}


def _marking(value: Any, marker: str, huge: list[str]) -> Any:
    """``value`` with each HugeNumber replaced by a string ``marker`` + its index."""
    if type(value) is HugeNumber:
        huge.append(value.text)
        return f"{marker}{len(huge) - 1}"
    if isinstance(value, dict):
        return {key: _marking(item, marker, huge) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_marking(item, marker, huge) for item in value]
    return value
