"""Bulk runs: one poisoned session cannot sink the run, an abandoned run leaves no work
behind, and a storm of transient faults loses or repeats no event."""

from __future__ import annotations

import asyncio
import random
import time

import anyio
import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.models import SessionResult

from ._helpers import connected, ref
from ._server import (
    AI,
    Conn,
    Handler,
    MiniAPI,
    Request,
    answer,
    closing,
    event,
    events_path,
    json_response,
    nested_json,
    page,
    reset,
    response,
    sid,
    stall,
)

SESSIONS = [sid("ES", k + 1) for k in range(5)]
POISONED = SESSIONS[2]

POISONS = {
    "superscript-total": json_response(page([event(POISONED, 0)], total="²")),
    "deep-nesting": response(200, nested_json(100_000)),
    "not-json": response(200, b"<html><title>oops</title></html>", content_type="text/html"),
}


def poisoned_api(poison: bytes) -> MiniAPI:
    api = MiniAPI({es: 12 for es in SESSIONS})
    bad_path = events_path(POISONED)
    api.fault = lambda request: answer(poison) if request.path == bad_path else None
    return api


def check_results(api: MiniAPI, results: list[SessionResult]) -> None:
    by_sid = {r.ref.session_sid: r for r in results if r.ref is not None}
    assert sorted(by_sid) == sorted(SESSIONS)
    bad = by_sid.pop(POISONED)
    assert isinstance(bad.error, sp.SmarterProctoringError), repr(bad.error)
    for es, result in by_sid.items():
        assert result.ok, (es, result.error)
        assert result.events is not None
        assert [e.sid for e in result.events] == [e["sid"] for e in api.events[es]]


@pytest.mark.parametrize("poison", list(POISONS), ids=list(POISONS))
async def test_one_poisoned_session_does_not_sink_a_gather(poison: str) -> None:
    api = poisoned_api(POISONS[poison])
    async with connected(api, max_requests=500) as (_server, client):
        with anyio.fail_after(15):
            results = await client.gather_session_results([ref(es) for es in SESSIONS])
    assert [r.ref for r in results] == [ref(es) for es in SESSIONS]
    check_results(api, results)


@pytest.mark.parametrize("poison", list(POISONS), ids=list(POISONS))
async def test_one_poisoned_session_does_not_sink_a_stream(poison: str) -> None:
    api = poisoned_api(POISONS[poison])
    collected: list[SessionResult] = []
    async with connected(api, max_requests=500) as (_server, client):
        with anyio.fail_after(15):
            async with client.stream_session_results([ref(es) for es in SESSIONS]) as results:
                async for result in results:
                    collected.append(result)
    check_results(api, collected)


async def test_leaving_a_stream_fed_by_a_report_leaves_no_request_behind() -> None:
    api = MiniAPI({sid("ES", k + 1): 3 for k in range(400)}, delay=0.05)
    # Small report pages: the stream pulls past the first page at once, so pages are
    # being fetched ahead (queued in the rate limiter) when the stream is left.
    options = {"max_requests": 5_000, "rate_limit": 20.0, "burst": 1, "page_size": 5}
    async with connected(api, **options) as (server, client):
        pager = client.install(AI).reports.appointments()
        with anyio.fail_after(10):
            async with client.stream_session_results(pager, concurrency=2) as results:
                done = 0
                async for result in results:
                    assert result.ok, result.error
                    done += 1
                    if done == 8:  # into the third page: later pages are queued by now
                        break
        left = time.monotonic()
        # Long enough for every request still queued in the limiter (20/s) to go out.
        await asyncio.sleep(1.5)
    late = [(round(r.time - left, 3), r.target) for r in server.requests if r.time > left + 0.01]
    assert late == []
    assert any("/reports/appointments" in r.path for r in server.requests)


async def test_a_fault_storm_loses_and_repeats_nothing() -> None:
    rng = random.Random(20240501)
    counts = {sid("ES", k + 1): rng.randint(0, 120) for k in range(20)}
    counts[sid("ES", 1)] = 0  # at least one session without any event
    api = MiniAPI(counts, page_cap=7)
    faults = {"status": 0, "reset": 0, "truncated": 0, "429": 0, "stall": 0}

    def truncated(request: Request) -> Handler:
        body = api.honest(request).partition(b"\r\n\r\n")[2]
        return closing(response(200, body[: len(body) // 2], length=len(body)))

    def fault(request: Request) -> Handler | None:
        if rng.random() >= 0.3:
            return None
        kind = rng.choice(list(faults))
        faults[kind] += 1
        if kind == "status":
            status = rng.choice([500, 502, 503, 504])
            return answer(json_response({"code": "OOPS", "message": "try later"}, status))
        if kind == "reset":
            return reset
        if kind == "truncated":
            return truncated(request)
        if kind == "429":
            return answer(
                json_response({"code": "SLOWDOWN"}, 429, headers=[("Retry-After", "0.01")])
            )

        async def honest(request: Request, conn: Conn) -> None:
            await conn.send(api.honest(request))

        return stall(0.2, honest)

    api.fault = fault
    retry = sp.RetryPolicy(max_attempts=12, base_delay=0.001, max_delay=0.01)
    async with connected(api, max_requests=5_000, retry=retry, timeout=1.0) as (_server, client):
        with anyio.fail_after(30):
            results = await client.gather_session_results([ref(es) for es in api.sessions])
    assert all(faults.values()), faults
    for es, result in zip(api.sessions, results, strict=True):
        assert result.ok, (es, result.error)
        assert result.session is not None and result.session.sid == es
        assert result.events is not None
        assert [e.sid for e in result.events] == [e["sid"] for e in api.events[es]]
