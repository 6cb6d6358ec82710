"""Bulk fan-out against the fake API: completeness, bounds, failures, exits."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import anyio
import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeAPI, Fault, generate_data

from .conftest import FAST_RETRY, MakeClient


def refs_of(fake: FakeAPI) -> list[sp.SessionRef]:
    return [sp.SessionRef(s.install_sid, s.exam_sid, s.sid) for s in fake.data.sessions]


@pytest.fixture
async def big() -> AsyncIterator[FakeAPI]:
    """Hundreds of sessions with a handful of events each."""
    data = generate_data(seed=3, exams=4, sessions_per_exam=60, events=(0, 12), annotations=(0, 4))
    async with FakeAPI(data, page_cap=5) as fake:
        yield fake


async def test_gather_is_complete_and_in_input_order(big: FakeAPI) -> None:
    refs = refs_of(big)
    assert len(refs) >= 200
    async with sp.Client(big.token, base_url=big.base_url, rate_limit=None) as client:
        results = await client.gather_session_results(refs, concurrency=32)
    assert [r.ref for r in results] == refs
    for result, s in zip(results, big.data.sessions, strict=True):
        assert result.ok
        assert result.session is not None and result.session.to_dict() == s.wire
        assert [e.to_dict() for e in result.events or ()] == list(s.events)
        assert [a.to_dict() for a in result.annotations or ()] == s.annotations


async def test_stream_yields_everything_and_holds_the_cap(big: FakeAPI) -> None:
    big.latency = 0.005
    refs = refs_of(big)[:80]
    seen: list[sp.SessionRef] = []
    async with (
        sp.Client(big.token, base_url=big.base_url, rate_limit=None, max_concurrency=6) as client,
        client.stream_session_results(refs, concurrency=32) as results,
    ):
        async for result in results:
            assert result.ok
            assert result.ref is not None
            seen.append(result.ref)
    assert sorted(seen, key=refs.index) == refs
    assert big.max_in_flight <= 6


async def test_session_concurrency_is_bounded(big: FakeAPI) -> None:
    big.latency = 0.01
    refs = refs_of(big)[:40]
    async with sp.Client(big.token, base_url=big.base_url, rate_limit=None) as client:
        await client.gather_session_results(refs, concurrency=2, events=False, annotations=False)
    assert big.max_in_flight <= 2


async def test_partial_failure_is_per_session(
    smarterproctoring_fake: FakeAPI, smarterproctoring_client: sp.Client
) -> None:
    refs = refs_of(smarterproctoring_fake)[:6]
    missing = sp.SessionRef(refs[0].install_sid, refs[0].exam_sid, "ES" + "0" * 32)
    bad = sp.SessionRef(refs[0].install_sid, refs[0].exam_sid, "ES-not-a-sid")
    results = await smarterproctoring_client.gather_session_results(
        [*refs[:3], missing, bad, *refs[3:]]
    )
    assert [r.ok for r in results] == [True] * 3 + [False, False] + [True] * 3
    assert isinstance(results[3].error, sp.NotFoundError)
    assert results[3].session is None
    assert isinstance(results[4].error, sp.InvalidSidError)
    assert results[4].ref == bad


async def test_retries_exhausted_in_one_session_do_not_stop_the_others(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    refs = refs_of(fake)[:8]
    fake.add_fault(Fault("status", status=503, route="/annotations", times=4))
    client = make_client(retry=sp.RetryPolicy(max_attempts=4, base_delay=0.001))
    results = await client.gather_session_results(refs, concurrency=1)
    assert isinstance(results[0].error, sp.ServerError)
    assert all(r.ok for r in results[1:])


async def test_authentication_failure_aborts_the_run(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    fake.latency = 0.01
    client = make_client(token="expired")
    refs = refs_of(fake) * 20

    async def consume() -> None:
        async with client.stream_session_results(refs, concurrency=4) as results:
            async for _ in results:
                pytest.fail("no result should arrive")

    with pytest.raises(sp.AuthenticationError):
        await consume()
    # At most one wave per slot, plus the one /v1/check that confirms the token is bad.
    assert len(fake.requests) <= 4 * 3 + 1
    assert [r.path for r in fake.requests].count("/v1/check") == 1
    with pytest.raises(sp.AuthenticationError):
        await client.gather_session_results(refs)


def _arrived(fake: FakeAPI) -> int:
    """Requests that reached the fake: answered (logged) or still being answered."""
    return len(fake.requests) + fake.in_flight


async def test_leaving_early_stops_everything(big: FakeAPI) -> None:
    big.latency = 0.05
    async with sp.Client(big.token, base_url=big.base_url, rate_limit=None) as client:
        with anyio.fail_after(10):  # a teardown that waits for the work would hang here
            async with client.stream_session_results(refs_of(big), concurrency=16) as results:
                async for _ in results:
                    leaving = time.monotonic()
                    break
        stopped = time.monotonic()
        arrived = _arrived(big)
        # Leaving cancels the 16 sessions in progress: it does not wait for their pages.
        assert stopped - leaving < 0.5
        connector = client._transport._session.connector  # type: ignore[union-attr]
        assert connector is not None
        assert not connector._acquired  # type: ignore[attr-defined]
        mine = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        assert all(
            "FakeAPI" in repr(t.get_coro())
            or "RequestHandler" in repr(t.get_coro())
            or "Server" in repr(t.get_coro())
            for t in mine
        ), mine
        await asyncio.sleep(0.25)  # five page latencies: time for any straggler to show
        assert _arrived(big) == arrived


async def test_cancellation_stops_within_half_a_second(big: FakeAPI) -> None:
    big.latency = 1.0  # no answer comes before the cancel, nor soon after it
    scope = anyio.CancelScope()
    cancelled_at: list[float] = []

    async def cancel_once_every_slot_is_busy() -> None:
        for _ in range(1000):
            if big.in_flight >= 16:
                break
            await asyncio.sleep(0.005)
        cancelled_at.append(anyio.current_time())
        scope.cancel()

    async with (
        sp.Client(big.token, base_url=big.base_url, rate_limit=None, max_concurrency=16) as client,
        anyio.create_task_group() as group,
    ):
        group.start_soon(cancel_once_every_slot_is_busy)
        with scope:
            async with client.stream_session_results(refs_of(big)) as results:
                async for _ in results:
                    pass
        # From the cancel to the end of the teardown.
        elapsed = anyio.current_time() - cancelled_at[0]
        arrived = _arrived(big)
        assert scope.cancelled_caught
        assert arrived >= 16  # sixteen requests were in flight when it was cancelled
        assert elapsed < 0.5
        connector = client._transport._session.connector  # type: ignore[union-attr]
        assert connector is not None
        assert not connector._acquired  # type: ignore[attr-defined]
        await asyncio.sleep(0.25)
        assert _arrived(big) == arrived


async def test_slow_consumer_keeps_memory_bounded(fake: FakeAPI, make_client: MakeClient) -> None:
    pulled = 0
    sessions = refs_of(fake)

    def refs() -> Iterator[sp.SessionRef]:
        nonlocal pulled
        for i in range(10_000):
            pulled += 1
            yield sessions[i % len(sessions)]

    consumed = 0
    client = make_client()
    async with client.stream_session_results(
        refs(), concurrency=4, events=False, annotations=False
    ) as results:
        async for _ in results:
            consumed += 1
            await asyncio.sleep(0.01)  # slower than the fetching
            # in progress (4) + buffered (4) + the one being started
            assert pulled - consumed <= 4 + 4 + 1
            if consumed == 30:
                break
    assert pulled < 50


async def test_async_refs_and_progress(fake: FakeAPI, make_client: MakeClient) -> None:
    refs = refs_of(fake)[:5]
    missing = sp.SessionRef(refs[0].install_sid, refs[0].exam_sid, "ES" + "1" * 32)
    calls: list[tuple[int, int | None, int]] = []

    async def source() -> AsyncIterator[sp.SessionRef]:
        for ref in [*refs, missing]:
            yield ref

    results = await make_client().gather_session_results(
        source(), on_progress=lambda *a: calls.append(a)
    )
    assert len(results) == 6
    assert [c[0] for c in calls] == [1, 2, 3, 4, 5, 6]
    assert {c[1] for c in calls} == {None}
    assert calls[-1][2] == 1
    calls.clear()
    await make_client().gather_session_results(refs, on_progress=lambda *a: calls.append(a))
    assert calls[-1] == (5, 5, 0)


async def test_only_terminal_skips_open_sessions(fake: FakeAPI, make_client: MakeClient) -> None:
    results = await make_client().gather_session_results(refs_of(fake), only_terminal=True)
    for result, s in zip(results, fake.data.sessions, strict=True):
        terminal = s.status in ("Closed", "Cancelled")
        assert result.skipped is not terminal
        assert result.session is not None and result.session.sid == s.sid
        assert (result.events is not None) is terminal


async def test_rows_without_a_session_are_reported(fake: FakeAPI, make_client: MakeClient) -> None:
    class Row:
        @property
        def session_ref(self) -> sp.SessionRef:
            raise sp.DecodeError("row has no examSid")

    results = await make_client().gather_session_results([Row(), *refs_of(fake)[:2]])
    assert isinstance(results[0].error, sp.DecodeError)
    assert results[0].ref is None
    assert results[1].ok


async def test_bad_bulk_arguments_fail_before_any_request(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    client = make_client()
    with pytest.raises(TypeError):
        await client.gather_session_results(42)  # type: ignore[arg-type]
    with pytest.raises(sp.InvalidFilterError):
        await client.gather_session_results(refs_of(fake), concurrency=0)
    assert fake.requests == []
    # An item that is no ref at all is that item's own failure, not the run's.
    (result,) = await client.gather_session_results([object()])
    assert isinstance(result.error, TypeError) and result.ref is None
    assert fake.requests == []


async def test_sync_session_waits_then_pulls(fake: FakeAPI, make_client: MakeClient) -> None:
    s = next(s for s in fake.data.sessions if s.status == "In Progress")
    fake.close_session_after(s.sid, delay=0.2)
    ref = sp.SessionRef(s.install_sid, s.exam_sid, s.sid)
    result = await make_client().sync_session(ref, poll_interval=0.05, timeout=5)
    assert result.ok
    assert result.session is not None and result.session.status == "Closed"
    assert [e.to_dict() for e in result.events or ()] == list(s.events)


def test_fast_retry_policy_is_fast() -> None:
    assert FAST_RETRY.base_delay < 0.01


async def test_refs_from_a_report_paginator_are_read_lazily(big: FakeAPI) -> None:
    install = big.data.installs[0]["sid"]
    calls: list[tuple[int, int | None, int]] = []
    async with sp.Client(big.token, base_url=big.base_url, rate_limit=None, page_size=10) as client:
        appointments = client.install(install).reports.appointments()
        async with client.stream_session_results(
            appointments,
            concurrency=2,
            events=False,
            annotations=False,
            on_progress=lambda *a: calls.append(a),
        ) as results:
            got = []
            async for result in results:
                got.append(result)
                if len(got) == 6:
                    break
    assert all(r.ok for r in got)
    pages = [r for r in big.requests if r.route and r.route.endswith("/reports/appointments")]
    # page cap 5: far fewer pages than the report has, yet progress knows the total
    assert len(pages) <= 6
    assert calls[0][1] == len(big.data.install_sessions(install))


async def test_gather_from_a_report_paginator(
    fake: FakeAPI, smarterproctoring_client: sp.Client
) -> None:
    install = fake.data.installs[0]["sid"]
    client = smarterproctoring_client  # the plugin's client, of the same fake
    closed = client.install(install).reports.appointments(status="Closed")
    results = await client.gather_session_results(closed, events=False, annotations=False)
    expected = [s.sid for s in fake.data.install_sessions(install) if s.status == "Closed"]
    assert [r.ref.session_sid for r in results if r.ref] == expected
    assert all(r.ok for r in results)


async def test_the_stream_must_be_entered_once(fake: FakeAPI, make_client: MakeClient) -> None:
    run = make_client().stream_session_results(refs_of(fake)[:1])
    with pytest.raises(TypeError, match="async with"):
        async for _ in run:
            pass
    async with run as results:
        assert [r.ok async for r in results] == [True]
    with pytest.raises(RuntimeError, match="once"):
        async with run:
            pass
    assert len(fake.requests) == 3
