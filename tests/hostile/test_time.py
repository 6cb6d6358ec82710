"""Time bounds: deadlines hold, abandoned waiters cost nothing, a long Retry-After stops
the client at once instead of being ignored."""

from __future__ import annotations

import asyncio
import time

import anyio
import pytest

import smarterproctoring_async as sp

from ._helpers import connected, ref, session_of
from ._server import (
    Conn,
    MiniAPI,
    Request,
    answer,
    json_response,
    response,
    sid,
    stall,
)

RETRY_AFTER_HOUR = json_response(
    {"code": "TOOMANYREQUESTS", "message": "slow down"}, 429, headers=[("Retry-After", "3600")]
)


async def test_a_deadline_bounds_the_call_and_no_request_starts_after_it() -> None:
    slow_503 = stall(0.3, answer(json_response({"code": "BUSY"}, 503)))
    retry = sp.RetryPolicy(max_attempts=50, base_delay=0.001, max_delay=0.01, deadline=1.0)
    async with connected(slow_503, max_requests=50, rate_limit=2.0, burst=1, retry=retry) as (
        server,
        client,
    ):
        started = time.monotonic()
        with anyio.fail_after(5), pytest.raises(sp.SmarterProctoringError):
            await session_of(client).get()
        elapsed = time.monotonic() - started
    assert elapsed < 1.0 + 0.3, elapsed
    late = [round(r.time - started, 3) for r in server.requests if r.time > started + 1.0]
    assert late == []
    assert server.requests  # it did try


def sessions_api(count: int) -> MiniAPI:
    return MiniAPI({sid("ES", k + 1): 2 for k in range(count)})


async def _next_call_is_prompt(client: sp.Client, api: MiniAPI) -> None:
    es = next(iter(api.sessions))
    with anyio.fail_after(0.6):
        details = await session_of(client, es).get()
    assert details.sid == es


async def test_cancelled_waiters_give_their_slots_back() -> None:
    api = sessions_api(1)
    es = next(iter(api.sessions))
    async with connected(api, max_requests=500, rate_limit=10.0) as (server, client):
        session = session_of(client, es)
        tasks = [asyncio.create_task(session.get()) for _ in range(300)]
        await asyncio.sleep(0.2)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await _next_call_is_prompt(client, api)
    assert len(server.requests) < 40


async def test_a_timed_out_gather_gives_its_slots_back() -> None:
    api = sessions_api(100)
    async with connected(api, max_requests=1_000, rate_limit=10.0) as (_server, client):
        refs = [ref(es) for es in api.sessions]
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(client.gather_session_results(refs), 0.2)
        await _next_call_is_prompt(client, api)


async def test_leaving_a_stream_early_gives_its_slots_back() -> None:
    api = sessions_api(100)
    async with connected(api, max_requests=1_000, rate_limit=10.0) as (_server, client):
        refs = [ref(es) for es in api.sessions]
        with anyio.fail_after(5):
            async with client.stream_session_results(refs) as results:
                async for _result in results:
                    break
        await _next_call_is_prompt(client, api)


async def test_a_long_retry_after_fails_this_call_and_the_next_at_once() -> None:
    async with connected(answer(RETRY_AFTER_HOUR), max_requests=50) as (server, client):
        session = session_of(client)
        with anyio.fail_after(0.5), pytest.raises(sp.RateLimitError) as info:
            await session.get()
        assert info.value.retry_after == pytest.approx(3600, abs=5)
        assert len(server.requests) == 1
        for call in (session.get, session.events().collect, session.annotations().collect):
            with anyio.fail_after(0.5), pytest.raises(sp.RateLimitError) as again:
                await call()
            assert again.value.retry_after is not None
            assert 3500 < again.value.retry_after <= 3600
        assert len(server.requests) == 1


async def test_a_long_retry_after_stops_a_bulk_run() -> None:
    api = sessions_api(30)
    first_429: list[float] = []

    async def handle(request: Request, conn: Conn) -> None:
        if len(server.requests) <= 5:
            await api(request, conn)
            return
        if not first_429:
            first_429.append(time.monotonic())
        await conn.send(RETRY_AFTER_HOUR)

    async with connected(handle, max_requests=1_000) as (server, client):
        with anyio.fail_after(5), pytest.raises(sp.RateLimitError):
            await client.gather_session_results([ref(es) for es in api.sessions])
    assert first_429
    late = [round(r.time - first_429[0], 3) for r in server.requests if r.time > first_429[0] + 0.2]
    assert late == []


async def test_a_429_without_retry_after_is_retried_then_typed() -> None:
    data = response(429, b'{"code": "TOOMANYREQUESTS"}')
    retry = sp.RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.01)
    async with connected(answer(data), max_requests=50, retry=retry) as (server, client):
        with anyio.fail_after(5), pytest.raises(sp.RateLimitError) as info:
            await session_of(client).get()
    assert info.value.retry_after is None
    assert len(server.requests) == 3
