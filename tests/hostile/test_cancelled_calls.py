"""A call cancelled while a server is slow to answer (the notebook's stop button, a
timeout around the call), against a server that is not the fake: one line saying which
call stopped, and the timeouts around it still end it."""

from __future__ import annotations

import asyncio

import anyio
import pytest

from ..conftest import raised
from ._helpers import connected
from ._server import AI, Conn, Request, json_response, page, sid

ROWS = [{"sid": sid("ES", n), "installSid": AI, "examSid": sid("EX", 1)} for n in range(40)]


async def slow_pages(request: Request, conn: Conn) -> None:
    if request.offset:  # the first page at once, every later one after a while
        await anyio.sleep(0.5)
    await conn.send(json_response(page(ROWS[request.offset : request.offset + 5], total=40)))


async def test_a_cancelled_collect_says_so_in_one_line() -> None:
    async with connected(slow_pages, page_size=5) as (_server, client):
        run = asyncio.create_task(client.install(AI).reports.appointments().collect())
        await asyncio.sleep(0.2)  # the first page read, the next ones on their way
        run.cancel()
        with pytest.raises(asyncio.CancelledError) as cancelled:
            await run
    assert str(raised(cancelled.value)) == "collect() was cancelled (interrupted or timed out)"


async def test_timeouts_around_a_collect_still_end_it() -> None:
    async with connected(slow_pages, page_size=5) as (_server, client):
        rows = client.install(AI).reports.appointments()
        with anyio.move_on_after(0.2) as scope:
            await rows.collect()
        assert scope.cancelled_caught
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(rows.collect(), 0.2)
