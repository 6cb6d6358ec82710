"""The report cache: TTL, bypass, bounds, single flight, errors never cached.

First the cache alone with a hand-driven clock, then through the client against the
fake API, counting the requests that reach the server.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

import smarterproctoring_async as sp
from smarterproctoring_async._cache import ResponseCache
from smarterproctoring_async.testing import FakeAPI, Fault, generate_data


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Source:
    """A fetch function that counts its calls and can be held open or made to fail."""

    def __init__(self) -> None:
        self.calls = 0
        self.gate: asyncio.Event | None = None
        self.fail: Exception | None = None

    async def __call__(self) -> dict[str, Any]:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.fail is not None:
            raise self.fail
        return {"call": self.calls, "rows": [1, 2]}


async def test_answers_are_kept_for_the_ttl() -> None:
    clock, source = Clock(), Source()
    cache = ResponseCache(60.0, clock=clock)
    assert (await cache.get("k", source))["call"] == 1
    clock.now += 59.9
    assert (await cache.get("k", source))["call"] == 1
    clock.now += 0.1
    assert (await cache.get("k", source))["call"] == 2
    assert source.calls == 2


async def test_keys_are_separate_and_clear_forgets() -> None:
    cache, source = ResponseCache(60.0), Source()
    await cache.get(("/a", ()), source)
    await cache.get(("/a", (("x", "1"),)), source)
    await cache.get(("/a", ()), source)
    assert source.calls == 2
    cache.clear()
    await cache.get(("/a", ()), source)
    assert source.calls == 3


async def test_discard_forgets_one_key() -> None:
    cache, source = ResponseCache(60.0), Source()
    await cache.get("a", source)
    await cache.get("b", source)
    cache.discard("a")
    cache.discard("never stored")
    await cache.get("a", source)
    await cache.get("b", source)
    assert source.calls == 3  # "a" fetched again, "b" still stored


async def test_every_caller_gets_the_stored_value() -> None:
    cache, source = ResponseCache(60.0), Source()
    first = await cache.get("k", source)
    assert await cache.get("k", source) is first
    assert source.calls == 1


async def test_the_least_recently_used_entry_goes_first() -> None:
    cache, source = ResponseCache(60.0, max_entries=2), Source()
    await cache.get("a", source)
    await cache.get("b", source)
    await cache.get("a", source)  # "a" is now the most recent
    await cache.get("c", source)
    assert len(cache) == 2
    await cache.get("a", source)
    assert source.calls == 3
    await cache.get("b", source)
    assert source.calls == 4


async def test_concurrent_callers_share_one_fetch() -> None:
    cache, source = ResponseCache(60.0), Source()
    source.gate = asyncio.Event()
    waiting = [asyncio.create_task(cache.get("k", source)) for _ in range(5)]
    await asyncio.sleep(0.01)
    source.gate.set()
    answers = await asyncio.gather(*waiting)
    assert source.calls == 1
    assert all(answer == {"call": 1, "rows": [1, 2]} for answer in answers)


async def test_errors_reach_the_waiters_but_are_not_cached() -> None:
    cache, source = ResponseCache(60.0), Source()
    source.gate, source.fail = asyncio.Event(), sp.ServerError(503, None, "down")
    waiting = [asyncio.create_task(cache.get("k", source)) for _ in range(3)]
    await asyncio.sleep(0.01)
    source.gate.set()
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert source.calls == 1
    assert all(isinstance(result, sp.ServerError) for result in results)
    source.fail = None
    assert (await cache.get("k", source))["call"] == 2
    assert len(cache) == 1


async def test_a_cancelled_first_caller_hands_over_to_a_waiter() -> None:
    cache, source = ResponseCache(60.0), Source()
    source.gate = asyncio.Event()
    leader = asyncio.create_task(cache.get("k", source))
    await asyncio.sleep(0.01)
    follower = asyncio.create_task(cache.get("k", source))
    await asyncio.sleep(0.01)
    leader.cancel()
    await asyncio.sleep(0.01)
    source.gate.set()
    assert (await follower)["call"] == 2
    assert leader.cancelled()


def test_the_ttl_must_be_positive() -> None:
    for wrong in (0.0, -1.0, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="ttl"):
            ResponseCache(wrong)
    with pytest.raises(ValueError, match="max_entries"):
        ResponseCache(1.0, max_entries=0)


def test_client_cache_ttl_is_checked() -> None:
    with pytest.raises(sp.ConfigurationError, match="cache_ttl"):
        sp.Client("t", cache_ttl=-5)


# Through the client, against the fake API.


@pytest.fixture
async def fake() -> AsyncIterator[FakeAPI]:
    async with FakeAPI(generate_data(seed=5, sessions_per_exam=4, events=(0, 3))) as api:
        yield api


def client_of(fake: FakeAPI, **options: Any) -> sp.Client:
    retry = sp.RetryPolicy(max_attempts=1)
    return sp.Client(fake.token, base_url=fake.base_url, rate_limit=None, retry=retry, **options)


def hits(fake: FakeAPI, route_end: str) -> int:
    return sum(1 for r in fake.requests if r.route is not None and r.route.endswith(route_end))


async def test_single_object_reports_are_cached_per_query(fake: FakeAPI) -> None:
    async with client_of(fake) as client:
        reports = client.install(fake.data.installs[0]["sid"]).reports
        first = await reports.appointment_volume()
        again = await reports.appointment_volume()
        assert again.to_dict() == first.to_dict()
        assert hits(fake, "/appointmentVolume") == 1
        await reports.appointment_volume(course_sid=fake.data.courses[0]["sid"])
        assert hits(fake, "/appointmentVolume") == 2
        await reports.appointment_volume(cache=False)
        assert hits(fake, "/appointmentVolume") == 3
        await reports.modality_distribution()
        await reports.modality_distribution()
        await reports.exam_type_stats()
        await reports.exam_type_stats()
        await reports.proctor_volume()
        await reports.proctor_volume()
        assert [hits(fake, r) for r in ("/modalityDistribution", "/aggregatedStats")] == [1, 1]
        assert hits(fake, "/proctorAccountVolume") == 1


def _requests(total: int, page_size: int) -> int:
    """Pages of a list read whole: one more when the last page is full (the end is confirmed)."""
    return -(-total // page_size) + (total > 0 and total % page_size == 0)


async def test_callers_of_a_cached_report_get_their_own_copy(fake: FakeAPI) -> None:
    async with client_of(fake) as client:
        reports = client.install(fake.data.installs[0]["sid"]).reports
        first = await reports.appointment_volume()
        pristine = first.to_dict()
        for value in first.extra.values():  # change what the first caller got, deeply
            if isinstance(value, (list, dict)):
                value.clear()
        assert (await reports.appointment_volume()).to_dict() == pristine
        assert hits(fake, "/appointmentVolume") == 1


async def test_paginated_reports_are_cached_page_by_page(fake: FakeAPI) -> None:
    async with client_of(fake, page_size=2) as client:
        reports = client.install(fake.data.installs[0]["sid"]).reports
        first = [row.to_dict() async for row in reports.service_distribution()]
        pages = hits(fake, "/serviceDistribution")
        assert pages == _requests(len(first), 2)
        assert [row.to_dict() async for row in reports.service_distribution()] == first
        assert hits(fake, "/serviceDistribution") == pages
        volume = await reports.exam_volume().collect()
        weeks = await reports.exams_by_week().collect()
        counts = hits(fake, "/examVolume"), hits(fake, "/examsByWeek")
        assert counts == (_requests(len(volume), 2), _requests(len(weeks), 2))
        await reports.exam_volume().collect()
        await reports.exams_by_week().collect()
        assert (hits(fake, "/examVolume"), hits(fake, "/examsByWeek")) == counts
        await reports.exam_volume(cache=False).collect()
        assert hits(fake, "/examVolume") == 2 * counts[0]


async def test_other_reports_are_never_cached(fake: FakeAPI) -> None:
    async with client_of(fake) as client:
        reports = client.install(fake.data.installs[0]["sid"]).reports
        for _ in range(2):
            await reports.appointments().collect()
            await reports.session_events().collect()
        assert hits(fake, "/appointments") == hits(fake, "/examSessionEvents") == 2


@pytest.mark.parametrize("ttl", [0, None])
async def test_cache_ttl_zero_or_none_turns_the_cache_off(fake: FakeAPI, ttl: float | None) -> None:
    async with client_of(fake, cache_ttl=ttl) as client:
        reports = client.install(fake.data.installs[0]["sid"]).reports
        await reports.appointment_volume()
        await reports.appointment_volume()
        assert hits(fake, "/appointmentVolume") == 2


async def test_entries_expire_after_cache_ttl(fake: FakeAPI) -> None:
    async with client_of(fake, cache_ttl=0.2) as client:
        reports = client.install(fake.data.installs[0]["sid"]).reports
        await reports.exam_type_stats()
        await reports.exam_type_stats()
        assert hits(fake, "/aggregatedStats") == 1
        await asyncio.sleep(0.25)
        await reports.exam_type_stats()
        assert hits(fake, "/aggregatedStats") == 2


async def test_concurrent_callers_send_one_request(fake: FakeAPI) -> None:
    fake.latency = 0.05
    async with client_of(fake) as client:
        reports = client.install(fake.data.installs[0]["sid"]).reports
        answers = await asyncio.gather(*(reports.modality_distribution() for _ in range(6)))
        assert hits(fake, "/modalityDistribution") == 1
        assert len({repr(a.to_dict()) for a in answers}) == 1


async def test_errors_are_not_cached(fake: FakeAPI) -> None:
    fake.add_fault(Fault("status", route="/appointmentVolume", status=500, times=1))
    async with client_of(fake) as client:
        reports = client.install(fake.data.installs[0]["sid"]).reports
        with pytest.raises(sp.ServerError):
            await reports.appointment_volume()
        volume = await reports.appointment_volume()
        assert volume.extra["total"] == len(fake.data.sessions)
        assert [r.status for r in fake.requests] == [500, 200]


async def test_each_client_has_its_own_cache(fake: FakeAPI) -> None:
    install = fake.data.installs[0]["sid"]
    async with client_of(fake) as one, client_of(fake) as two:
        await one.install(install).reports.exam_type_stats()
        await two.install(install).reports.exam_type_stats()
        assert hits(fake, "/aggregatedStats") == 2
