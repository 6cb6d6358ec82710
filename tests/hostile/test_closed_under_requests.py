"""A client closed while its requests wait for their answers: each raises
ClientStateError at once, counted as a failure, never as a connection retry and never
with a "giving up" WARNING (the network did nothing wrong)."""

from __future__ import annotations

import asyncio
import logging
import time

import anyio
import pytest

import smarterproctoring_async as sp

from ._helpers import make_client, session_of
from ._server import ES, Conn, MiniAPI, RawServer, Request, stall

IN_FLIGHT = 3


async def test_closing_under_requests_fails_them_at_once_as_closed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="smarterproctoring_async")
    async with RawServer(stall(5, MiniAPI({ES: 0}))) as server:
        client = make_client(server.base_url, retry=sp.RetryPolicy(max_attempts=4))
        calls = [asyncio.ensure_future(session_of(client).get()) for _ in range(IN_FLIGHT)]
        with anyio.fail_after(5):
            while len(server.requests) < IN_FLIGHT:  # noqa: ASYNC110 - the server's own count
                await asyncio.sleep(0.01)
        await client.aclose()
        closed = time.monotonic()
        with anyio.fail_after(5):
            results = await asyncio.gather(*calls, return_exceptions=True)
        took = time.monotonic() - closed
    assert all(isinstance(r, sp.errors.ClientStateError) for r in results), results
    assert took < 0.5, took  # no backoff wait before saying so
    counts = next(iter(client.stats.endpoints.values()))
    assert (counts.requests, counts.failures, dict(counts.retries)) == (IN_FLIGHT, IN_FLIGHT, {})
    assert not [r for r in caplog.records if r.levelno >= logging.INFO], caplog.records


@pytest.mark.parametrize("chunked", [False, True], ids=["length", "chunked"])
async def test_closing_while_a_body_is_read_ends_it_at_once(chunked: bool) -> None:
    # The headers are in, the body never ends: the read must not wait out its timeout.
    head = (
        'Transfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\n'
        if chunked
        else ('Content-Length: 100\r\n\r\n{"a":')
    )

    async def endless(request: Request, conn: Conn) -> None:
        await conn.send(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{head}".encode())
        await asyncio.sleep(20)

    async with RawServer(endless) as server:
        client = make_client(server.base_url, retry=sp.RetryPolicy(max_attempts=4), timeout=10)
        call = asyncio.ensure_future(session_of(client).get())
        with anyio.fail_after(5):
            while not server.requests:  # noqa: ASYNC110 - the server's own count
                await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)  # the headers are read, the body is awaited
        await client.aclose()
        closed = time.monotonic()
        with anyio.fail_after(5):
            [result] = await asyncio.gather(call, return_exceptions=True)
        took = time.monotonic() - closed
    assert isinstance(result, sp.errors.ClientStateError), result
    assert took < 0.5, took
    counts = next(iter(client.stats.endpoints.values()))
    assert dict(counts.retries) == {}
