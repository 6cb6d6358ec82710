"""The paginator against the fake API over loopback."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeAPI, Fault, generate_data

from .conftest import FAST_RETRY, MakeClient, busiest, handle
from .test_pagination_logic import expected_requests


def _offsets(fake: FakeAPI) -> list[tuple[int, int]]:
    pairs = [dict(r.query) for r in fake.requests if r.route and r.route.endswith("/events")]
    return sorted((int(q["offset"]), int(q["limit"])) for q in pairs)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    total=st.integers(0, 260),
    page_cap=st.none() | st.integers(1, 40),
    page_size=st.integers(1, 60),
)
def test_every_record_exactly_once_in_order(
    total: int, page_cap: int | None, page_size: int
) -> None:
    async def main() -> None:
        data = generate_data(seed=1, installs=1, exams=1, sessions_per_exam=1)
        s = data.add_session(events=total)
        async with FakeAPI(data, page_cap=page_cap) as fake:
            async with sp.Client(
                fake.token,
                base_url=fake.base_url,
                page_size=page_size,
                rate_limit=None,
                retry=FAST_RETRY,
            ) as client:
                got = [e.sid async for e in handle(client, s).events()]
            assert got == [e["sid"] for e in s.events]
            assert len(fake.requests) == expected_requests(total, page_size, page_cap)

    asyncio.run(main())


async def test_offsets_advance_by_what_was_received(fake: FakeAPI, make_client: MakeClient) -> None:
    fake.page_cap = 7
    s = busiest(fake)
    events = await handle(make_client(page_size=20), s).events().collect()
    assert len(events) == len(s.events)
    offsets = _offsets(fake)
    assert [o for o, _ in offsets] == list(range(0, len(s.events), 7))
    assert {limit for _, limit in offsets} == {20}


async def test_pages_carry_total_and_offset(fake: FakeAPI, make_client: MakeClient) -> None:
    s = busiest(fake)
    pages = [p async for p in handle(make_client(page_size=30), s).events().pages()]
    assert all(isinstance(p, sp.Page) for p in pages)
    assert [p.offset for p in pages] == list(range(0, len(s.events), 30))
    assert {p.total for p in pages} == {len(s.events)}
    assert sum(len(p.items) for p in pages) == len(s.events)


async def test_nothing_fetched_before_iteration_and_twice_fetches_twice(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    s = fake.data.sessions[0]
    pager = handle(make_client(), s).annotations(sort_order="DESC")
    await asyncio.sleep(0.01)
    assert fake.requests == []
    first = await pager.collect()
    count = len(fake.requests)
    assert await pager.collect() == first
    assert len(fake.requests) == 2 * count
    assert [a.sid for a in first] == [a["sid"] for a in reversed(s.annotations)]
    assert dict(fake.requests[0].query)["sortOrder"] == "DESC"


async def test_remaining_pages_are_fetched_concurrently(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    fake.page_cap, fake.latency = 10, 0.03
    s = busiest(fake)
    assert len(s.events) >= 60
    await handle(make_client(), s).events().collect()
    assert 2 <= fake.max_in_flight <= 4  # a few pages ahead, not all at once


async def test_drift_while_paging_yields_no_duplicate(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    fake.page_cap = 10
    s = busiest(fake)
    original = [e["sid"] for e in s.events]
    fake.insert_while_paging(route="/sessions/{sessionSid}/events", per_request=2)
    for order in ("ASC", "DESC"):
        sids = [e.sid async for e in handle(make_client(), s).events(sort_order=order)]
        assert len(sids) == len(set(sids))
        assert set(original) <= set(sids)


async def test_leaving_early_leaves_no_connection_or_task(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    fake.page_cap, fake.latency = 5, 0.05
    client = make_client()
    s = busiest(fake)
    async for _event in handle(client, s).events():
        break
    # The abandoned generator is closed by the loop's async-generator finalizer, which
    # cancels the pages fetched ahead; that takes a few loop turns, not a page's latency.
    for _ in range(20):
        await asyncio.sleep(0.001)
    pending = [t for t in asyncio.all_tasks() if "Paginator" in repr(t.get_coro())]
    assert pending == []
    connector = client._transport._session.connector  # type: ignore[union-attr]
    assert connector is not None
    assert not connector._acquired  # type: ignore[attr-defined]


async def test_errors_in_prefetched_pages_surface_in_order(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    fake.page_cap = 5
    s = busiest(fake)
    assert len(s.events) > 25
    # The first two page requests pass (a stall of no time), every later one is a 404.
    fake.add_fault(Fault("stall", route="/events", delay=0.0, times=2))
    fake.add_fault(Fault("status", status=404, route="/events", times=None))
    # One request at a time, so the pages fetched ahead reach the server in offset order.
    pager = handle(make_client(max_concurrency=1), s).events()
    got: list[str | None] = []

    async def consume() -> None:
        async for event in pager:
            got.append(event.sid)
            if len(got) == 1:
                # Page 3 is fetched ahead, and fails, before page 2 is read.
                for _ in range(1000):
                    if any(r.status == 404 for r in fake.requests):
                        break
                    await asyncio.sleep(0.005)
                else:
                    pytest.fail("no page was fetched ahead")

    with pytest.raises(sp.NotFoundError):
        await consume()
    assert got == [e["sid"] for e in s.events[:10]]
    served = [(int(dict(r.query)["offset"]), r.status) for r in fake.requests]
    assert served[:3] == [(0, 200), (5, 200), (10, 404)]


async def test_cancelling_the_consumer_leaves_no_page_task(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    import anyio

    fake.page_cap, fake.latency = 5, 0.05
    s = busiest(fake)
    pager = handle(make_client(), s).events()
    with anyio.move_on_after(0.12):
        async for _ in pager:
            pass
    pending = [t for t in asyncio.all_tasks() if "Paginator" in repr(t.get_coro())]
    assert pending == []
