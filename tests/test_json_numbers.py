"""Response bodies are parsed exactly: orjson (the ``fast`` extra) where it is exact,
the standard library for a body holding an integer beyond 64 bits, which orjson would
turn into a float."""

from __future__ import annotations

import json

import pytest

from smarterproctoring_async._json import _loads


@pytest.mark.parametrize(
    "body",
    [
        b"123456789012345678901234567890",  # the whole body one number
        b'{"n":\n  123456789012345678901234567890}',  # after white space
        b'{"n":[1,-123456789012345678901234567890]}',  # negative, in a list
        b'{"n":1.5e3,"m":[18446744073709551616]}',  # 2**64: the first beyond orjson
        b'{"sid":"ER12345678901234567890123456789012","n":18446744073709551615}',
    ],
)
def test_every_integer_keeps_its_digits(body: bytes) -> None:
    parsed = _loads(body)
    assert parsed == json.loads(body)
    assert json.dumps(parsed) == json.dumps(json.loads(body))  # ints stay ints
    numbers = [parsed] if isinstance(parsed, int) else list(parsed.values())
    assert not any(isinstance(n, float) and abs(n) >= 2**63 for n in numbers)
