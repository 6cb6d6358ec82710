"""client.stats against the fake API: each counter matches what the server saw."""

from __future__ import annotations

import re

import aiohttp
import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.stats import ClientStats, EndpointStats, route_key
from smarterproctoring_async.testing import FakeAPI, Fault

from .conftest import MakeClient, busiest, handle

SESSION = "/v1/installs/{installSid}/exams/{examSid}/sessions/{sessionSid}"
EVENTS = SESSION + "/events"
RETRIES = sp.RetryPolicy(max_attempts=8, base_delay=0.001, max_delay=0.01)
SID = re.compile(r"[A-Z]{2}[0-9a-f]{32}")


async def test_retries_by_cause_429s_and_pauses(fake: FakeAPI, make_client: MakeClient) -> None:
    s = fake.data.sessions[0]
    for fault in (
        Fault("status", status=503),
        Fault("status", status=429, retry_after=0.05),
        Fault("malformed"),
        Fault("stall", delay=0.5),
        Fault("status", status=502),
        Fault("status", status=503),
    ):
        fake.add_fault(Fault(**{**fault.__dict__, "route": "/sessions/{sessionSid}"}))
    client = make_client(timeout=0.15, retry=RETRIES)
    await handle(client, s).get()
    stats = client.stats
    assert stats.requests == 7
    assert stats.retries == {"503": 2, "429": 1, "undecodable": 1, "timeout": 1, "502": 1}
    assert stats.rate_limited == 1
    assert stats.pauses == 1
    assert stats.pause_seconds == pytest.approx(0.05)
    assert stats.failures == 0
    assert list(stats.endpoints) == [SESSION]
    assert stats.endpoints[SESSION].requests == 7


async def test_every_template_counts_its_own_requests(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    s = busiest(fake)
    fake.page_cap = 7
    fake.add_fault(Fault("status", status=500, route="/events"))
    client = make_client(page_size=7)
    await handle(client, s).get()
    pages = [page async for page in handle(client, s).events().pages()]
    with pytest.raises(sp.NotFoundError):
        await client.install(s.install_sid).exam(s.exam_sid).session("ES" + "0" * 32).get()
    seen: dict[str | None, int] = {}
    for record in fake.requests:
        seen[record.route] = seen.get(record.route, 0) + 1
    endpoints = client.stats.endpoints
    assert {route: counts.requests for route, counts in endpoints.items()} == seen
    assert endpoints[EVENTS].pages == len(pages) > 3
    assert endpoints[EVENTS].retries == {"500": 1}
    assert endpoints[SESSION].pages == 0
    assert endpoints[SESSION].failures == 1
    assert client.stats.pages == len(pages)
    assert client.stats.requests == len(fake.requests)


async def test_bytes_received_are_the_bodies_read(fake: FakeAPI, make_client: MakeClient) -> None:
    s = fake.data.sessions[0]
    client = make_client()
    await handle(client, s).get()
    await handle(client, s).get()
    path = f"/v1/installs/{s.install_sid}/exams/{s.exam_sid}/sessions/{s.sid}"
    async with (
        aiohttp.ClientSession(headers={"token": fake.token}) as raw,
        raw.get(fake.base_url + path) as response,
    ):
        body = await response.read()
    assert client.stats.bytes_received == 2 * len(body)


async def test_limiter_wait_is_counted(fake: FakeAPI, make_client: MakeClient) -> None:
    s = fake.data.sessions[0]
    # 20 requests/s, no burst: five requests in a row wait about 0.2 s for their turns.
    client = make_client(rate_limit=20.0, burst=1)
    for _ in range(5):
        await handle(client, s).get()
    assert 0.1 <= client.stats.limiter_wait < 5.0
    assert client.stats.endpoints[SESSION].limiter_wait == client.stats.limiter_wait


async def test_reset_zeroes_everything_and_counting_goes_on(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    s = fake.data.sessions[0]
    fake.add_fault(Fault("status", status=503, route="/sessions/{sessionSid}"))
    client = make_client()
    await handle(client, s).get()
    assert client.stats.requests == 2
    client.stats.reset()
    assert client.stats.as_dict() == {**EndpointStats().as_dict(), "endpoints": {}}
    assert client.stats.endpoints == {}
    await handle(client, s).get()
    assert client.stats.requests == 1
    assert client.stats.retries == {}


async def test_escape_hatch_routes_are_keyed_without_sids(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    s = fake.data.sessions[0]
    client = make_client()
    sids = {"installSid": s.install_sid, "examSid": s.exam_sid, "sessionSid": s.sid}
    await client.get_json(EVENTS, **sids)
    await client.get_json(f"/v1/installs/{s.install_sid}/exams/{s.exam_sid}/sessions/{s.sid}")
    await client.paginate(EVENTS, **sids).collect()
    assert set(client.stats.endpoints) == {EVENTS, "/v1/installs/{id}/exams/{id}/sessions/{id}"}
    assert client.stats.endpoints[EVENTS].requests >= 2


def test_route_key_keeps_words_and_placeholders_only() -> None:
    assert route_key("/v1/installs/{installSid}/reports/examVolume") == (
        "/v1/installs/{installSid}/reports/examVolume"
    )
    assert route_key("/v2/installs/AI" + "a" * 32 + "/sessions") == "/v2/installs/{id}/sessions"
    assert route_key("/v1/installs/ann.smith@example.org/x-1") == "/v1/installs/{id}/{id}"


async def test_repr_and_as_dict_are_readable_and_hold_no_sid(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    s = fake.data.sessions[0]
    client = make_client()
    await handle(client, s).get()
    await handle(client, s).annotations().collect()
    stats = client.stats
    text = repr(stats)
    assert text.startswith("ClientStats(requests=2, retries={},")
    assert "endpoints=2" in text
    everything = text + repr(stats.as_dict()) + repr(stats.endpoints)
    assert not SID.search(everything), everything
    assert fake.token not in everything
    assert stats.as_dict()["endpoints"][SESSION]["requests"] == 1


def test_a_new_stats_object_is_empty() -> None:
    stats = ClientStats()
    assert stats.requests == stats.pages == stats.failures == 0
    assert stats.retries == {} and stats.endpoints == {}
    assert repr(EndpointStats()) == (
        "EndpointStats(requests=0, retries={}, rate_limited=0, pauses=0, pause_seconds=0.0, "
        "limiter_wait=0.0, bytes_received=0, pages=0, short_lists=0, failures=0)"
    )
