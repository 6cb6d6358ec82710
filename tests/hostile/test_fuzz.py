"""Whatever bytes a server sends, a call succeeds or raises a SmarterProctoringError.

One raw server per test answers every request with the bytes hypothesis drew for the
current example (then closes the connection): arbitrary or garbage status lines,
odd headers (lengths, chunking, gzip, Location, Retry-After), arbitrary bodies,
sometimes cut short.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import smarterproctoring_async as sp

from ._helpers import Box, make_client, replaying, session_of
from ._server import AI, RawServer, nested_json


@pytest.fixture
async def fuzz_server() -> AsyncIterator[tuple[RawServer, Box]]:
    async with replaying() as (server, box):
        yield server, box


def _line(data: bytes) -> bytes:
    return data.replace(b"\r", b"").replace(b"\n", b"")


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**30), 10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
ODD_TOTALS = st.sampled_from(["²", "10", "-1", -1, 10**30, 1e308, True, 2.5, [], {}, "1_0"])
FIELDS = st.sampled_from(
    ["sid", "status", "subject", "createdDate", "eventTime", "draft", "duration",
     "sessionReportCount", "appointmentDate", "exam", "reviewed", "sessionTime", "x"]
)  # fmt: skip
RECORD = st.dictionaries(FIELDS, JSON | st.just("2024-13-45T99:99:99Z"), max_size=5)
PAGE = st.fixed_dictionaries(
    {"total": ODD_TOTALS | JSON},
    optional={
        "results": st.lists(RECORD | JSON, max_size=5) | JSON,
        "offset": JSON,
        "count": JSON,
        "items": st.lists(RECORD, max_size=3),
    },
)
ERROR = st.fixed_dictionaries(
    {}, optional={"code": JSON, "message": JSON, "errorCode": JSON, "detail": JSON}
)
BODIES = st.one_of(
    st.one_of(PAGE, RECORD, ERROR, JSON).map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200),
    st.sampled_from([nested_json(5000), b"<title>" * 500, b"\xff\xfe{", b"null", b"[]"]),
)
CODES = st.one_of(
    st.sampled_from([200, 200, 200, 301, 302, 303, 307, 308, 404, 429, 500, 503]),
    st.integers(100, 999),
)
GARBAGE_STATUS_LINES = st.one_of(
    st.sampled_from(
        [
            b"HTTP/1.1 200",
            b"HTTP/1.0 200 OK",
            b"HTTP/2 200 OK",
            b"HTTP/1.1 2000 OK",
            b"HTTP/1.1 -20 OK",
            b"HTTP/1.1 20 OK",
            b"ICY 200 OK",
            b"",
            b"HTTP/1.1 200 OK\x00",
        ]
    ),
    st.binary(max_size=30).map(_line),
)
LOCATIONS = st.one_of(
    st.sampled_from(
        [
            "/v1/installs/x",
            "http://127.0.0.1:99999/",
            "http://[::1",
            "https://evil.example/",
            "",
            "//",
            "ftp://x/",
            "javascript:alert(1)",
            "http://localhost:0/",
            "http://a b/",
            "https://[::1]:0/",
            "/" + "a" * 3000,
            "http://[",
            "//[/",
            "http://h:-1/",
        ]
    ),
    st.text(max_size=20),
)
RETRY_AFTER = st.one_of(
    st.sampled_from(
        [
            "-1",
            "nan",
            "inf",
            "1e309",
            "0.001",
            "0",
            "3600",
            "Wed, 21 Oct 2015 07:28:00 GMT",
            "Fri, 31 Dec 9999 23:59:59 GMT",
            "",
            "abc",
            "9" * 30,
            "1e-300",
            "  2  ",
            "0x10",
        ]
    ),
    st.text(max_size=12),
)
JUNK_LENGTHS = st.sampled_from(["-1", "abc", "1e3", "9" * 25, " 5", "5, 6", "", "0x10"])


def chunks(body: bytes, size: int) -> bytes:
    parts = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(f"{len(p):x}\r\n".encode() + p + b"\r\n" for p in parts) + b"0\r\n\r\n"


BREAKAGES = ["none"] * 6 + ["status", "length", "junk", "cut", "fake-gzip", "fake-chunked"]


def header_junk(draw: st.DrawFn) -> bytes:
    name = draw(st.sampled_from([b"X-Junk", b"Content-Length", b"Transfer-Encoding", b"", b" "]))
    return _line(name + b": " + draw(st.binary(max_size=20)))


@st.composite
def raw_responses(draw: st.DrawFn) -> bytes:
    """Mostly well-framed answers with hostile content, and some broken framing."""
    code: int = draw(CODES)
    status = f"HTTP/1.1 {code} ".encode() + _line(draw(st.binary(max_size=12)))
    body: bytes = draw(BODIES)
    headers: list[bytes] = []
    if draw(st.booleans()):
        headers.append(b"Content-Type: application/json")
    if draw(st.integers(0, 3)) == 0:
        headers.append(b"Content-Encoding: gzip")
        body = gzip.compress(body, mtime=0)
    if draw(st.integers(0, 3)) == 0:
        headers.append(b"Transfer-Encoding: chunked")
        body = chunks(body, draw(st.integers(1, 64)))
    else:
        headers.append(f"Content-Length: {len(body)}".encode())
    if draw(st.integers(0, 1 if 300 <= code < 400 else 5)) == 0:
        headers.append(b"Location: " + _line(draw(LOCATIONS).encode()))
    if draw(st.integers(0, 1 if code in (429, 503) else 5)) == 0:
        headers.append(b"Retry-After: " + _line(draw(RETRY_AFTER).encode()))

    # One time in three, break the framing in one way.
    breakage = draw(st.sampled_from(BREAKAGES))
    if breakage == "status":
        status = draw(GARBAGE_STATUS_LINES)
    elif breakage == "length":
        headers = [h for h in headers if not h.startswith((b"Content-Length", b"Transfer"))]
        wrong = draw(st.one_of(JUNK_LENGTHS, st.integers(0, 400).map(str)))
        headers.append(b"Content-Length: " + wrong.encode())
    elif breakage == "junk":
        headers.insert(draw(st.integers(0, len(headers))), header_junk(draw))
    elif breakage == "fake-gzip":
        headers.append(b"Content-Encoding: gzip")
    elif breakage == "fake-chunked":
        headers = [h for h in headers if not h.startswith(b"Content-Length")]
        headers.append(b"Transfer-Encoding: chunked")
    data = status + b"\r\n" + b"".join(h + b"\r\n" for h in headers) + b"\r\n" + body
    if breakage == "cut":
        data = data[: draw(st.integers(0, len(data)))]
    return data


def framed(code: int, body: bytes, *headers: bytes) -> bytes:
    """A well-framed answer (the known hostile cases, always tried first)."""
    head = [f"HTTP/1.1 {code} X".encode(), f"Content-Length: {len(body)}".encode(), *headers]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


RETRY = sp.RetryPolicy(max_attempts=2, base_delay=0.001, max_delay=0.01, max_retry_after=0.01)


async def _survives(call: Any) -> None:
    try:
        with anyio.fail_after(5):
            await call()
    except sp.SmarterProctoringError:
        pass


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=raw_responses())
@example(data=framed(302, b"", b"Location: http://127.0.0.1:99999/"))
@example(data=framed(307, b"", b"Location: http://[::1"))
@example(data=framed(200, json.dumps({"total": "²", "results": [{}]}).encode()))
@example(data=framed(404, nested_json(100_000)))
@example(data=framed(200, b"<title>" * 30_000, b"Content-Type: text/html"))
async def test_any_answer_gives_a_result_or_a_typed_error(
    fuzz_server: tuple[RawServer, Box], data: bytes
) -> None:
    server, box = fuzz_server
    box.data = data
    async with make_client(server.base_url, timeout=1.0, retry=RETRY) as client:
        session = session_of(client)
        await _survives(session.get)
        await _survives(session.events().collect)
        await _survives(client.install(AI).reports.appointment_volume)
