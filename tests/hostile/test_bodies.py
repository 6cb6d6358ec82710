"""Bounded work for any body: huge, endless, compressed, quadratic, deeply nested.

The memory tests run the client in a child process (``_child.py``) and measure that
process's peak RSS growth; the server stays in this process.
"""

from __future__ import annotations

import time
from typing import Any

import anyio
import pytest

import smarterproctoring_async as sp

from ._helpers import connected, run_child, session_of
from ._server import (
    AI,
    RawServer,
    answer,
    endless_chunked,
    gzip_bomb,
    huge_body,
    nested_json,
    response,
)

FAST_CHILD_RETRY = {"base_delay": 0.001, "max_delay": 0.01}
MIB = 2**20


@pytest.mark.parametrize("announce", [True, False], ids=["content-length", "until-close"])
async def test_a_200_mb_body_stops_at_the_default_cap_once(announce: bool) -> None:
    async with RawServer(huge_body(200 * MIB, announce=announce), max_requests=20) as server:
        report = await run_child(
            {"base_url": server.base_url, "call": "get", "retry": FAST_CHILD_RETRY}
        )
    assert report["error"] == "ResponseTooLargeError", report
    assert report["limit"] == 64 * MIB
    assert report["rss_growth_mib"] < 250, report
    assert len(server.requests) == 1


async def test_a_gzip_bomb_stops_at_the_cap_quickly() -> None:
    bomb = gzip_bomb(1 << 30)
    assert len(bomb) < 2 * MIB
    data = response(200, bomb, headers=[("Content-Encoding", "gzip")])
    async with RawServer(answer(data), max_requests=20) as server:
        report = await run_child(
            {"base_url": server.base_url, "call": "get", "retry": FAST_CHILD_RETRY}
        )
    assert report["error"] == "ResponseTooLargeError", report
    assert report["rss_growth_mib"] < 250, report
    assert report["elapsed"] < 5, report


async def test_an_endless_chunked_body_stops_at_the_cap_before_the_timeout() -> None:
    async with connected(
        endless_chunked(), max_requests=20, max_response_bytes=8 * MIB, timeout=10.0
    ) as (server, client):
        started = time.monotonic()
        with anyio.fail_after(15), pytest.raises(sp.ResponseTooLargeError) as info:
            await session_of(client).get()
        elapsed = time.monotonic() - started
    assert info.value.limit == 8 * MIB
    assert elapsed < 3, elapsed
    assert len(server.requests) == 1


async def test_a_quadratic_html_error_page_does_not_stall_the_loop() -> None:
    # 205 KiB of "<title>" with no closing tag: a lazy title regex would backtrack
    # over the rest of the body from each of the ~30,000 openings.
    body = b"<title>" * (205 * 1024 // 7)
    data = response(404, body, content_type="text/html")
    async with RawServer(answer(data), max_requests=20) as server:
        report = await run_child(
            {"base_url": server.base_url, "call": "get", "retry": FAST_CHILD_RETRY},
            timeout=15,
        )
    assert report["error"] == "NotFoundError", report
    assert report["max_gap"] < 0.5, report


DEEP = nested_json(100_000)


async def _deep_in_process(status: int, call: str) -> BaseException | None:
    data = response(status, DEEP)
    async with connected(answer(data), max_requests=50) as (_server, client):
        with anyio.fail_after(10):
            try:
                if call == "get":
                    await session_of(client).get()
                else:
                    await client.install(AI).reports.appointment_volume()
            except Exception as exc:
                return exc
    return None


@pytest.mark.parametrize(
    ("status", "call", "expected"),
    [
        (404, "get", sp.NotFoundError),
        (200, "get", sp.DecodeError),
        (200, "appointment_volume", sp.DecodeError),
        (404, "appointment_volume", sp.NotFoundError),
    ],
)
async def test_deeply_nested_json_is_a_typed_error(
    status: int, call: str, expected: type[Exception]
) -> None:
    error = await _deep_in_process(status, call)
    assert isinstance(error, expected), repr(error)[:300]


@pytest.mark.parametrize(
    ("status", "call", "expected"),
    [
        (404, "get", "NotFoundError"),
        (200, "get", "DecodeError"),
        (200, "appointment_volume", "DecodeError"),
    ],
)
async def test_deeply_nested_json_is_a_typed_error_without_the_fast_decoder(
    status: int, call: str, expected: str
) -> None:
    spec: dict[str, Any] = {"call": call, "retry": FAST_CHILD_RETRY, "block_fast": True}
    async with RawServer(answer(response(status, DEEP)), max_requests=50) as server:
        report = await run_child({**spec, "base_url": server.base_url})
    assert report["fast_used"] is False, report  # the standard library's decoder was used
    assert report["error"] == expected, report
    assert report["sp_error"], report
