"""Injected faults and the server-side rate limit, seen by a raw aiohttp client."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from smarterproctoring_async.testing import FakeAPI, Fault, generate_data


@pytest.fixture
async def fake() -> AsyncIterator[FakeAPI]:
    async with FakeAPI(generate_data(seed=5, sessions_per_exam=2, events=(20, 20))) as api:
        yield api


@pytest.fixture
async def http(fake: FakeAPI) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(headers={"token": fake.token}) as session:
        yield session


def events_url(fake: FakeAPI) -> str:
    s = fake.data.sessions[0]
    return f"{fake.base_url}/v1/installs/{s.install_sid}/exams/{s.exam_sid}/sessions/{s.sid}/events"


def exam_events_url(fake: FakeAPI) -> str:
    s = fake.data.sessions[0]
    return f"{fake.base_url}/v1/installs/{s.install_sid}/exams/{s.exam_sid}/events"


async def test_status_fault_counts_down_and_matches_route_suffix(
    fake: FakeAPI, http: aiohttp.ClientSession
) -> None:
    fake.add_fault(Fault("status", route="/sessions/{sessionSid}/events", status=503, times=2))
    async with http.get(exam_events_url(fake)) as response:
        assert response.status == 200  # the suffix names session events only
    for _ in range(2):
        async with http.get(events_url(fake)) as response:
            body = await response.json()
            assert response.status == 503
            assert "Retry-After" not in response.headers
            assert body == {
                "statusCode": 503,
                "error": "Service Unavailable",
                "message": "Injected fault",
            }
    async with http.get(events_url(fake)) as response:
        assert response.status == 200
    assert [r.fault for r in fake.requests] == [None, "status", "status", None]
    assert [r.status for r in fake.requests] == [200, 503, 503, 200]


@pytest.mark.parametrize(
    ("retry_after", "header"), [(2, "2"), ("Wed, 21 Oct 2015 07:28:00 GMT",) * 2]
)
async def test_status_fault_retry_after(
    fake: FakeAPI, http: aiohttp.ClientSession, retry_after: float | str, header: str
) -> None:
    fake.add_fault(Fault("status", status=429, retry_after=retry_after))
    async with http.get(events_url(fake)) as response:
        assert response.status == 429
        assert response.headers["Retry-After"] == header
        assert (await response.json())["error"] == "Too Many Requests"


async def test_fault_for_every_route_and_forever(
    fake: FakeAPI, http: aiohttp.ClientSession
) -> None:
    fake.add_fault(Fault("status", status=500, times=None))
    for url in (events_url(fake), f"{fake.base_url}/v1/check"):
        for _ in range(3):
            async with http.get(url) as response:
                assert response.status == 500
    fake.clear_faults()
    async with http.get(events_url(fake)) as response:
        assert response.status == 200


async def test_faults_come_after_auth_and_validation(
    fake: FakeAPI, http: aiohttp.ClientSession
) -> None:
    fake.add_fault(Fault("status", status=503))
    async with aiohttp.ClientSession() as anonymous, anonymous.get(events_url(fake)) as response:
        assert response.status == 401
    async with http.get(events_url(fake), params={"nope": "1"}) as response:
        assert response.status == 400
    async with http.get(events_url(fake)) as response:
        assert response.status == 503


async def test_reset(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    # aiohttp itself resends an idempotent request once after a disconnect: two resets
    # are needed before the caller sees one.
    fake.add_fault(Fault("reset", route="/events", times=2))
    with pytest.raises(aiohttp.ClientError):
        async with http.get(events_url(fake)) as response:
            await response.read()
    async with http.get(events_url(fake)) as response:
        assert response.status == 200
    assert [(r.status, r.fault) for r in fake.requests] == [(0, "reset")] * 2 + [(200, None)]


async def test_html(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    fake.add_fault(Fault("html"))
    fake.add_fault(Fault("html", status=504))
    for status in (502, 504):
        async with http.get(events_url(fake)) as response:
            assert response.status == status
            assert response.content_type == "text/html"
            assert "<html>" in await response.text()


async def test_malformed(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    fake.add_fault(Fault("malformed"))
    async with http.get(events_url(fake)) as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        with pytest.raises(json.JSONDecodeError):
            json.loads(await response.read())


async def test_truncated(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    fake.add_fault(Fault("truncated", route="/events"))
    async with http.get(events_url(fake)) as response:
        assert response.status == 200
        announced = int(response.headers["Content-Length"])
        with pytest.raises(aiohttp.ClientPayloadError):
            await response.read()
    async with http.get(events_url(fake)) as response:
        full = await response.read()
        assert len(full) == announced
        assert json.loads(full)["count"] == 20
    assert fake.requests[0].fault == "truncated"


async def test_stall(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    fake.add_fault(Fault("stall", delay=0.3))
    began = time.monotonic()
    async with http.get(events_url(fake)) as response:
        assert response.status == 200
        assert (await response.json())["count"] == 20
    assert time.monotonic() - began >= 0.29


async def test_stall_past_client_timeout(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    fake.add_fault(Fault("stall", delay=0.5))
    with pytest.raises(asyncio.TimeoutError):  # not the builtin one on 3.10
        async with http.get(events_url(fake), timeout=aiohttp.ClientTimeout(total=0.1)):
            pass


async def test_redirect(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    fake.add_fault(Fault("redirect", location="https://elsewhere.example.com/v1/check"))
    fake.add_fault(Fault("redirect", status=307))
    async with http.get(events_url(fake), allow_redirects=False) as response:
        assert response.status == 302
        assert response.headers["Location"] == "https://elsewhere.example.com/v1/check"
    async with http.get(events_url(fake), allow_redirects=False) as response:
        assert response.status == 307
        assert response.headers["Location"] == events_url(fake)


def test_fault_kind_is_checked() -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        Fault("explode")


async def test_rate_limit(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    fake.rate_limit, fake.rate_burst = 0.5, 2  # slow refill: no timing races
    statuses = []
    for _ in range(3):
        async with http.get(f"{fake.base_url}/v1/check") as response:
            statuses.append(response.status)
            if response.status == 429:
                assert response.headers["Retry-After"] == "2"
                assert await response.json() == {
                    "statusCode": 429,
                    "error": "Too Many Requests",
                    "message": "Rate limit of 0.5 requests/s exceeded",
                }
    assert statuses == [200, 200, 429]
    assert fake.requests[-1].status == 429
    fake.retry_after = "Wed, 21 Oct 2015 07:28:00 GMT"
    async with http.get(f"{fake.base_url}/v1/check") as response:
        assert response.status == 429
        assert response.headers["Retry-After"] == "Wed, 21 Oct 2015 07:28:00 GMT"
    fake.retry_after, fake.rate_limit, fake.rate_burst = 1.0, 0.25, 1
    async with http.get(f"{fake.base_url}/v1/check") as response:
        assert response.status == 200  # a new rate starts with a full bucket
    async with http.get(f"{fake.base_url}/v1/check") as response:
        assert response.status == 429
        assert response.headers["Retry-After"] == "4"
    fake.rate_limit = None
    async with http.get(f"{fake.base_url}/v1/check") as response:
        assert response.status == 200
