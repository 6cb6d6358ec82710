"""Response bodies are parsed exactly as the standard library would: msgspec (the
``fast`` extra) keeps integers of any length; what it refuses and ``json`` reads
(a lone surrogate, ``NaN``, a number beyond a double) is read by ``json``."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smarterproctoring_async import _json
from smarterproctoring_async._json import _loads, decode_body


def test_the_fast_decoder_is_used_when_installed() -> None:
    # The test extra installs it: the tests exercise the decoder users of `fast` get.
    msgspec = pytest.importorskip("msgspec")
    assert getattr(_loads, "__self__", None).__class__ is msgspec.json.Decoder


@pytest.mark.parametrize(
    "body",
    [
        b"123456789012345678901234567890",  # the whole body one number
        b'{"n":\n  123456789012345678901234567890}',  # after white space
        b'{"n":[1,-123456789012345678901234567890]}',  # negative, in a list
        b'{"n":1.5e3,"m":[18446744073709551616]}',  # 2**64: the first beyond 64 bits
        b'{"sid":"ER12345678901234567890123456789012","n":18446744073709551615}',
    ],
)
def test_every_integer_keeps_its_digits(body: bytes) -> None:
    parsed = _loads(body)
    assert parsed == json.loads(body)
    assert json.dumps(parsed) == json.dumps(json.loads(body))  # ints stay ints
    numbers = [parsed] if isinstance(parsed, int) else list(parsed.values())
    assert not any(isinstance(n, float) and abs(n) >= 2**63 for n in numbers)


@pytest.mark.parametrize(
    "body",
    [b'"a\\ud800b"', b"[NaN, Infinity]", b'{"n": 1e400}', b'{"n": -1e999}'],
)
def test_what_json_reads_is_read_even_where_the_fast_decoder_refuses(body: bytes) -> None:
    got, expected = decode_body(body), json.loads(body)
    assert json.dumps(got) == json.dumps(expected)


def _same(got: Any, expected: Any) -> bool:
    """Equal, with the same JSON kind at every level (1 and 1.0 differ; NaN is NaN)."""
    if type(got) is not type(expected):
        return False
    if isinstance(expected, float) and math.isnan(expected):
        return math.isnan(got)
    if isinstance(expected, list):
        return len(got) == len(expected) and all(map(_same, got, expected))
    if isinstance(expected, dict):
        return list(got) == list(expected) and all(_same(got[k], expected[k]) for k in got)
    return bool(got == expected)


_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**200), max_value=2**200)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(_values, st.sampled_from([None, 1]), st.booleans())
def test_any_body_decodes_as_the_standard_library_reads_it(
    value: Any, indent: int | None, ascii_only: bool
) -> None:
    body = json.dumps(value, indent=indent, ensure_ascii=ascii_only).encode()
    assert _same(decode_body(body), json.loads(body))


def test_unreadable_bodies_are_a_decode_error_naming_the_request() -> None:
    from smarterproctoring_async.errors import DecodeError

    for body in (b"", b"{", b'{"a":1} trailing', b"\xff", b"[" * 100_000):
        with pytest.raises(DecodeError, match="GET /v1/x: the body is not valid JSON"):
            decode_body(body, "GET", "/v1/x")
    assert _json.__all__ == [
        "HugeNumber",
        "decode_body",
        "decode_json",
        "record_json",
        "standard_json",
        "utf8_safe",
    ]


def test_record_json_writes_deep_values_and_huge_numbers_as_sent() -> None:
    deep: Any = ["Infinity", _json.HugeNumber("1e400")]
    for _ in range(700):
        deep = {"k": deep}
    text = _json.record_json(deep)  # "Infinity" in a string sends it looking: no crash
    assert json.loads(text, parse_constant=float) is not None
    shallow = {"a": _json.HugeNumber("-1e999"), "b": "Infinity", "c": "\ud800é"}
    assert _json.record_json(shallow) == '{"a":-1e999,"b":"Infinity","c":"\\ud800\\u00e9"}'
    pretty = _json.record_json(shallow, indent=1, ascii=False)
    assert pretty == '{\n "a": -1e999,\n "b": "Infinity",\n "c": "\\ud800é"\n}'
    assert json.loads(pretty) == {"a": -math.inf, "b": "Infinity", "c": "\ud800é"}
