"""Response bodies over the wire decode exactly as ``json.loads`` reads them, in every
framing, within ``max_response_bytes``.

A probe of msgspec decoding (with the standard library's ``json`` as the fallback for
what msgspec refuses) and of the two body-reading paths of the transport: one
``read()`` for a 2xx announcing its length without a Content-Encoding, the chunk loop
for everything else (chunked, compressed, until close, error bodies). Bodies come from
the hostile raw server only; the expected value is always ``json.loads(body)`` with
the same JSON kinds (an int stays an int, ``-0.0`` keeps its sign, NaN is NaN).
"""

from __future__ import annotations

import codecs
import gzip
import json
import math
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import smarterproctoring_async as sp

from ._helpers import Box, make_client, replaying, session_of
from ._server import AI, ES, EX, Conn, RawServer, Request, response, session_path

ROUTE = "/v1/installs/{installSid}/reports/audit"
AUDIT = f"/v1/installs/{AI}/reports/audit"
MIB = 2**20
NO_RETRY = sp.RetryPolicy(max_attempts=1)


# --------------------------------------------------------------------------- framings


def _chunked(body: bytes, size: int, headers: str = "") -> bytes:
    """A chunked 200 answer, ``size`` bytes a chunk (UTF-8 sequences split across)."""
    head = (
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        f"Transfer-Encoding: chunked\r\n{headers}\r\n"
    ).encode()
    frames = [
        f"{len(body[i : i + size]):x}\r\n".encode() + body[i : i + size] + b"\r\n"
        for i in range(0, len(body), size)
    ]
    return head + b"".join(frames) + b"0\r\n\r\n"


def _length(body: bytes) -> bytes:
    return response(200, body)


def _chunked_small(body: bytes) -> bytes:
    return _chunked(body, 7 if len(body) < 20_000 else 4096)


def _gzip(body: bytes) -> bytes:
    return response(200, gzip.compress(body), headers=[("Content-Encoding", "gzip")])


def _gzip_chunked(body: bytes) -> bytes:
    return _chunked(gzip.compress(body), 5, "Content-Encoding: gzip\r\n")


def _until_close(body: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n" + body


FRAMINGS: dict[str, Callable[[bytes], bytes]] = {
    "length": _length,
    "chunked": _chunked_small,
    "gzip": _gzip,
    "gzip-chunked": _gzip_chunked,
    "until-close": _until_close,
}


# --------------------------------------------------------------------------- the server


@pytest.fixture
async def box_server() -> AsyncIterator[tuple[RawServer, Box]]:
    async with replaying() as (server, box):
        yield server, box


def _same(got: Any, expected: Any) -> bool:
    """Equal with the same JSON kind at every level: 1 is not 1.0, -0.0 is not 0.0,
    NaN is NaN, and keys keep their order. Iterative: deep values need no recursion."""
    pending = [(got, expected)]
    while pending:
        a, b = pending.pop()
        if type(a) is sp.HugeNumber and type(b) is float:
            a = float(a)  # beyond a double: the same infinity, with the server's text kept
        if type(a) is not type(b):
            return False
        if isinstance(b, float):
            if math.isnan(b):
                if not math.isnan(a):
                    return False
            elif a != b or math.copysign(1.0, a) != math.copysign(1.0, b):
                return False
        elif isinstance(b, list):
            if len(a) != len(b):
                return False
            pending.extend(zip(a, b, strict=True))
        elif isinstance(b, dict):
            if list(a) != list(b):
                return False
            pending.extend((a[k], b[k]) for k in b)
        elif a != b:
            return False
    return True


async def _fetch(client: sp.Client) -> Any:
    with anyio.fail_after(5):
        return await client.get_json(ROUTE, installSid=AI)


# --------------------------------------------------------------------------- the corpus


def _nested(depth: int) -> bytes:
    return b'{"a":[' * depth + b"1" + b"]}" * depth


def _bom(text: str, codec: str, bom: bytes) -> bytes:
    return bom + text.encode(codec)


_WIDE = '{"name": "é中😀", "n": 123456789012345678901234567890, "f": -0.0}'

#: Bodies json.loads reads; the SDK must deliver exactly its result.
CORPUS: dict[str, bytes] = {
    "big-ints": b'{"n": 123456789012345678901234567890123456789012345678901234567890,'
    b' "m": -18446744073709551616, "k": [18446744073709551615, 18446744073709551616,'
    b" 9223372036854775808, -9223372036854775809, -0]}",
    "int-4300-digits": b"[" + b"9" * 4300 + b", -" + b"1" * 4300 + b"]",
    "exponents": b"[1e5, 1E+5, 1e-5, 2.5E-3, 123456789012345678901234567890e0, 0e0,"
    b" 1.7976931348623157e308, 9007199254740993.0, 0.30000000000000004]",
    "negative-zero": b"[-0.0, -0, 0.0, -0e-5, -0e999, 0e400]",
    "subnormals": b"[5e-324, 4.9406564584124654e-324, 2.2250738585072011e-308,"
    b" 2.4703282292062327e-324, 2.4703282292062328e-324, 1e-323]",
    "underflow": b'{"tiny": 1e-400, "negtiny": -1e-400, "deep": 0.1e-999999999999}',
    "overflow": b"[1e400, -1e999, 1.7976931348623159e308, 1e999999999999999999999]",
    "long-mantissa": b"[" + b"1" * 4301 + b".0, 0." + b"3" * 2000 + b"]",
    "escaped-non-ascii": b'["\\u00e9\\u4e2d\\ud83d\\ude00", "\\uD83D\\uDE00", "\\u0000"]',
    "raw-non-ascii": '{"é": "中文 😀 \u2028\u2029 \x7f \x85"}'.encode(),
    "lone-surrogates": b'["\\ud800", "\\udfff", "a\\ud800b", "\\udc00\\ud800",'
    b' "\\ud83d\\u0041", "\\uDE00"]',
    "surrogate-key": b'{"\\ud800": 1, "ok": "\\udbff"}',
    "raw-surrogate-bytes": b'["\xed\xa0\x80", "\xed\xbf\xbf"]',
    "nan-infinity": b'{"nan": NaN, "inf": Infinity, "ninf": -Infinity, "in": [NaN]}',
    "nan-alone": b"NaN",
    "duplicate-keys": b'{"a": 1, "b": 2, "a": 3}',
    "duplicate-kinds": b'{"a": {"x": 1}, "a": [2.0], "b": null, "b": false}',
    "deep-arrays": b"[" * 400 + b"]" * 400,
    "deep-mixed": _nested(250),
    "escapes": b'"\\"\\\\\\/\\b\\f\\n\\r\\t\\u0001\\u001f"',
    "whitespace": b' \t\n\r {"a" : [ 1 , 2.5 ] , "b":{ } } \r\n\t ',
    "scalars": b'[null, true, false, 0, 1, -1, 0.5, ""]',
    "empty-key": b'{"": "", " ": []}',
    "top-level-int": b"340282366920938463463374607431768211456",
    "top-level-string": b'"\\ud800"',
    "utf8-bom": codecs.BOM_UTF8 + _WIDE.encode(),
    "utf16-bom": _WIDE.encode("utf-16"),
    "utf16-be-bom": _bom(_WIDE, "utf-16-be", codecs.BOM_UTF16_BE),
    "utf16-le-no-bom": _WIDE.encode("utf-16-le"),
    "utf32-bom": _WIDE.encode("utf-32"),
    "long-string": json.dumps("é" * 30_000, ensure_ascii=False).encode(),
}

#: Bodies neither decoder reads.
UNREADABLE: dict[str, bytes] = {
    "empty": b"",
    "html": b"<html>proxy error</html>",
    "cut-short": b'{"a": [1, 2',
    "trailing-comma": b"[1,]",
    "trailing-data": b'{"a": 1} {"b": 2}',
    "invalid-utf8": b'"\xff\xfe\xc0\x80"',
    "control-char": b'"a\x01b"',
    "lowercase-nan": b"[nan]",
    "int-4301-digits": b"9" * 4301,
    "too-deep": b"[" * 100_000 + b"]" * 100_000,
    "bad-escape": b'"\\x41"',
}


def _expected(body: bytes) -> Any:
    return json.loads(body)


# --------------------------------------------------------------------------- 1 and 2


@pytest.mark.parametrize("framing", list(FRAMINGS))
async def test_every_corpus_body_is_what_json_loads_reads_in_every_framing(
    box_server: tuple[RawServer, Box], framing: str
) -> None:
    server, box = box_server
    frame = FRAMINGS[framing]
    wrong: list[str] = []
    async with make_client(server.base_url) as client:
        for name, body in CORPUS.items():
            box.data = frame(body)
            try:
                got = await _fetch(client)
            except sp.SmarterProctoringError as exc:
                wrong.append(f"{name}: {type(exc).__name__}: {str(exc)[:120]}")
                continue
            if not _same(got, _expected(body)):
                wrong.append(f"{name}: got {repr(got)[:120]}")
    assert not wrong, "\n".join(wrong)
    assert len(server.requests) == len(CORPUS)  # none retried


def _record_body(value: bytes) -> bytes:
    """Session details with ``value`` (raw JSON text) in an undocumented field, and a
    duplicate of a documented one."""
    return (
        (
            f'{{"sid": "junk", "installSid": "{AI}", "examSid": "{EX}", "status": "Closed",'
            f' "probe": '
        ).encode()
        + value
        + f', "sid": "{ES}"}}'.encode()
    )


UTF8_VALUES = {
    name: body
    for name, body in CORPUS.items()
    if not name.startswith(("utf", "nan-alone", "top-level", "long-string", "deep"))
}


@pytest.mark.parametrize("framing", ["length", "chunked", "gzip"])
async def test_a_session_record_keeps_every_value_as_sent(
    box_server: tuple[RawServer, Box], framing: str
) -> None:
    server, box = box_server
    frame = FRAMINGS[framing]
    wrong: list[str] = []
    async with make_client(server.base_url) as client:
        for name, value in UTF8_VALUES.items():
            body = _record_body(value)
            box.data = frame(body)
            with anyio.fail_after(5):
                got = await session_of(client).get()
            expected = _expected(body)
            if not _same(got.to_dict(), expected) or not _same(
                got.extra["probe"], expected["probe"]
            ):
                wrong.append(f"{name}: got {repr(got.to_dict())[:160]}")
            if got.sid != ES:
                wrong.append(f"{name}: sid {got.sid!r}")
        # A whole record in UTF-16 with a BOM.
        box.data = frame(_record_body(b"[1e400, NaN]").decode().encode("utf-16"))
        with anyio.fail_after(5):
            got = await session_of(client).get()
        assert _same(got.to_dict(), _expected(_record_body(b"[1e400, NaN]")))
    assert not wrong, "\n".join(wrong)
    assert set(server.paths()) == {session_path()}


_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**300), max_value=2**300)
    | st.floats()  # NaN, infinities, -0.0 and subnormals included
    | st.text(st.characters(exclude_categories=()), max_size=8)  # lone surrogates too
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(st.characters(exclude_categories=()), max_size=4), inner, max_size=4
        )
    ),
    max_leaves=20,
)
_ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32"]


@settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    value=_values,
    ascii_only=st.booleans(),
    encoding=st.sampled_from(_ENCODINGS),
    framing=st.sampled_from(list(FRAMINGS)),
)
async def test_any_json_text_decodes_as_json_loads_reads_it_over_the_wire(
    box_server: tuple[RawServer, Box], value: Any, ascii_only: bool, encoding: str, framing: str
) -> None:
    server, box = box_server
    text = json.dumps(value, ensure_ascii=ascii_only)
    body = text.encode(encoding, "surrogatepass")
    try:
        expected = json.loads(body)
    except ValueError:  # a text only this encoding cannot carry: the SDK must refuse it too
        expected = sp.DecodeError
    box.data = FRAMINGS[framing](body)
    async with make_client(server.base_url, retry=NO_RETRY) as client:
        if expected is sp.DecodeError:
            with pytest.raises(sp.DecodeError):
                await _fetch(client)
        else:
            got = await _fetch(client)
            assert _same(got, expected), (body[:200], got)


# --------------------------------------------------------------------------- 3: the bounds

LIMIT = 4096


def _sized(size: int) -> bytes:
    """A JSON text of exactly ``size`` bytes (compressible: gzip keeps it far smaller)."""
    return b'{"s": "' + b"a" * (size - 9) + b'"}'


@pytest.mark.parametrize("framing", list(FRAMINGS))
@pytest.mark.parametrize("size", [LIMIT - 1, LIMIT, LIMIT + 1, 4 * MIB])
async def test_a_body_within_max_response_bytes_is_delivered_and_one_over_is_refused(
    box_server: tuple[RawServer, Box], framing: str, size: int
) -> None:
    server, box = box_server
    body = _sized(size)
    assert len(body) == size
    box.data = FRAMINGS[framing](body)
    async with make_client(server.base_url, max_response_bytes=LIMIT) as client:
        if size <= LIMIT:
            assert _same(await _fetch(client), _expected(body))
            assert client.stats.bytes_received == size
        else:
            with pytest.raises(sp.ResponseTooLargeError) as caught:
                await _fetch(client)
            assert type(caught.value) is sp.ResponseTooLargeError
            assert caught.value.limit == LIMIT
            assert AUDIT in str(caught.value)
            assert client.stats.bytes_received <= LIMIT + 64 * 1024
    assert len(server.requests) == 1  # never retried


async def test_a_stored_gzip_body_at_the_limit_is_delivered_with_a_content_length(
    box_server: tuple[RawServer, Box],
) -> None:
    server, box = box_server
    body = _sized(LIMIT)
    stored = gzip.compress(body, compresslevel=0)  # valid gzip, a little longer than body
    assert len(stored) > LIMIT
    async with make_client(server.base_url, max_response_bytes=LIMIT) as client:
        box.data = _chunked(stored, 512, "Content-Encoding: gzip\r\n")
        assert _same(await _fetch(client), _expected(body))  # the chunk loop: delivered
        box.data = response(200, stored, headers=[("Content-Encoding", "gzip")])
        assert _same(await _fetch(client), _expected(body))  # with a Content-Length too


ERROR_BODY = 32 * MIB


def _huge_error(
    status: int, chunked: bool, sent: list[int], done: anyio.Event
) -> Callable[[Request, Conn], Any]:
    """A ``status`` answer whose body is ERROR_BODY bytes; ``sent`` gets how many body
    bytes the server could write before the client closed the connection."""
    piece = b"x" * (64 * 1024)
    frame = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"

    async def handle(request: Request, conn: Conn) -> None:
        if chunked:
            head = f"HTTP/1.1 {status} Oops\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
        else:
            head = response(status, b"", content_type="text/plain", length=ERROR_BODY)
        count = 0
        try:
            await conn.send(head)
            while count < ERROR_BODY:
                await conn.send(frame if chunked else piece)
                count += len(piece)
            if chunked:
                await conn.send(b"0\r\n\r\n")
        except OSError:
            pass
        finally:
            sent.append(count)
            done.set()
            conn.close()

    return handle


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize(
    ("status", "error"), [(404, sp.NotFoundError), (500, sp.ServerError)], ids=["404", "500"]
)
async def test_a_huge_error_body_is_the_typed_error_after_about_64_kib(
    status: int, error: type[Exception], chunked: bool
) -> None:
    sent: list[int] = []
    done = anyio.Event()
    async with (
        RawServer(_huge_error(status, chunked, sent, done), max_requests=10) as server,
        make_client(server.base_url, retry=NO_RETRY, max_response_bytes=LIMIT) as client,
    ):
        with pytest.raises(error) as caught:
            await _fetch(client)
        assert type(caught.value) is error
        received = client.stats.bytes_received
        with anyio.fail_after(5):
            await done.wait()
    assert 64 * 1024 <= received <= 256 * 1024, received
    assert sent[0] < ERROR_BODY // 2, sent  # the client closed long before the end
    assert len(server.requests) == 1


# --------------------------------------------------------------------------- 4: unreadable


@pytest.mark.parametrize("framing", ["length", "chunked", "gzip"])
async def test_a_body_neither_decoder_reads_is_a_decode_error_after_one_retry(
    box_server: tuple[RawServer, Box], framing: str
) -> None:
    server, box = box_server
    wrong: list[str] = []
    async with make_client(server.base_url) as client:  # 4 attempts allowed
        for name, body in UNREADABLE.items():
            with pytest.raises((ValueError, RecursionError)):
                json.loads(body)  # the standard library refuses it too
            box.data = FRAMINGS[framing](body)
            before = len(server.requests)
            try:
                got = await _fetch(client)
            except sp.DecodeError as exc:
                if type(exc) is not sp.DecodeError or f"GET {AUDIT}" not in str(exc):
                    wrong.append(f"{name}: {type(exc).__name__}: {exc}")
            except Exception as exc:
                wrong.append(f"{name}: {type(exc).__name__}: {str(exc)[:120]}")
            else:
                wrong.append(f"{name}: delivered {repr(got)[:80]}")
            if len(server.requests) - before != 2:
                wrong.append(f"{name}: {len(server.requests) - before} requests")
    assert not wrong, "\n".join(wrong)


async def test_an_unreadable_body_then_a_good_one_delivers_the_good_one() -> None:
    answers = [response(200, b'{"cut": [1, 2'), response(200, b'{"n": 18446744073709551616}')]

    async def handle(request: Request, conn: Conn) -> None:
        await conn.send(answers[min(len(server.requests), 2) - 1])
        conn.close()

    async with RawServer(handle, max_requests=10) as server, make_client(server.base_url) as client:
        got = await _fetch(client)
    assert _same(got, {"n": 18446744073709551616})
    assert len(server.requests) == 2
