"""page_size="auto" against the fake: large pages, a server that honours fewer, a refusal.

Refusals worded as the API maker's framework words them: tests/test_page_size_fallback.py.
"""

from __future__ import annotations

import logging

import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeAPI, FakeSession, Fault

from .conftest import MakeClient, handle


def limits(fake: FakeAPI) -> list[int]:
    """The ``limit`` of every list request the fake received, in order."""
    return [int(dict(r.query)["limit"]) for r in fake.requests if "limit" in dict(r.query)]


def sized(fake: FakeAPI, *counts: int) -> list[FakeSession]:
    return [fake.data.add_session(events=n) for n in counts]


SIZES = (0, 1, 49, 50, 51, 120, 499, 500, 501, 1_250)


async def test_auto_never_sends_more_requests_than_pages_of_fifty(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    sessions = sized(fake, *SIZES)
    costs: dict[object, list[int]] = {}
    for page_size in (50, "auto"):
        client = make_client(page_size=page_size)
        costs[page_size] = []
        for s in sessions:
            fake.clear_requests()
            events = await handle(client, s).events().collect()
            assert [e.to_dict() for e in events] == list(s.events)
            costs[page_size].append(len(fake.requests))
    assert all(a <= b for a, b in zip(costs["auto"], costs[50], strict=True)), costs
    # Pages of 500; a first page of 50 or more reaching the total is confirmed, as is a
    # full last page; nothing else costs a request (both clients share this code, so the
    # counts are pinned, not only compared).
    assert costs["auto"] == [1, 1, 1, 2, 2, 2, 2, 2, 2, 3], costs
    assert sum(costs["auto"]) < sum(costs[50]) / 2, costs


async def test_auto_is_the_default_and_asks_for_500_first(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    (s,) = sized(fake, 1_250)
    client = make_client()
    assert "page_size='auto'" in repr(client)
    await handle(client, s).events().collect()
    assert limits(fake)[0] == 500
    assert sorted(set(limits(fake))) == [500]


async def test_a_server_honouring_fewer_is_followed(fake: FakeAPI, make_client: MakeClient) -> None:
    fake.page_cap = 120
    (s,) = sized(fake, 1_000)
    events = await handle(make_client(), s).events().collect()
    assert [e.to_dict() for e in events] == list(s.events)
    offsets = sorted(int(dict(r.query)["offset"]) for r in fake.requests)
    # The stride is the server's 120 (plus the end's confirmation), not the 500 asked for.
    assert offsets[:9] == [120 * k for k in range(9)]


async def test_a_refused_size_falls_back_to_fifty_per_route_for_the_client_and_its_views(
    fake: FakeAPI, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    fake.max_limit = 100
    first, second = sized(fake, 130, 70)
    client = make_client()
    caplog.set_level(logging.INFO, "smarterproctoring_async")
    events = await handle(client, first).events().collect()
    assert [e.to_dict() for e in events] == list(first.events)
    assert limits(fake) == [500, 50, 50, 50]
    fake.clear_requests()
    view = client.with_options(timeout=5.0)
    for c in (client, view):
        events = await handle(c, second).events().collect()
        assert [e.to_dict() for e in events] == list(second.events)
    # The events route remembers 50, for the client and its view alike.
    assert set(limits(fake)) == {50}
    fake.clear_requests()
    for c in (view, client):
        annotations = await handle(c, second).annotations().collect()
        assert [a.to_dict() for a in annotations] == second.annotations
    # Another route is asked 500 once, for both: the view learnt it for the client.
    assert limits(fake) == [500, 50, 50]
    said = [r for r in caplog.records if "limit=500" in r.getMessage()]
    assert [r.levelno for r in said] == [logging.INFO, logging.INFO]
    assert "/events" in said[0].getMessage() and "/annotations" in said[1].getMessage()
    assert all("{sessionSid}" in r.getMessage() for r in said)
    everything = " ".join(r.getMessage() for r in caplog.records)
    assert fake.token not in everything and second.sid not in everything


async def test_a_400_at_fifty_too_is_raised_and_the_route_keeps_its_size(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    (s,) = sized(fake, 10)
    client = make_client()
    fake.add_fault(Fault("status", status=400, route="/events", times=2))
    with pytest.raises(sp.errors.InvalidInputError):
        await handle(client, s).events().collect()
    assert limits(fake) == [500, 50]
    fake.clear_requests()
    await handle(client, s).events().collect()
    assert limits(fake) == [500]


async def test_a_400_not_naming_limit_is_asked_again_at_fifty(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    (s,) = sized(fake, 10)
    fake.add_fault(Fault("status", status=400, route="/events", times=1))
    events = await handle(make_client(), s).events().collect()
    assert [e.to_dict() for e in events] == list(s.events)
    assert limits(fake) == [500, 50]


async def test_a_fixed_page_size_is_never_changed(fake: FakeAPI, make_client: MakeClient) -> None:
    fake.max_limit = 100
    (s,) = sized(fake, 10)
    with pytest.raises(sp.errors.InvalidInputError, match="limit"):
        await handle(make_client(page_size=200), s).events().collect()
    assert limits(fake) == [200]


@pytest.mark.parametrize("bad", [0, -1, True, 2.5, "big", None])
def test_a_bad_page_size_is_refused_at_once(bad: object) -> None:
    with pytest.raises(sp.errors.ConfigurationError, match="page_size"):
        sp.Client("t", base_url="http://127.0.0.1:1", page_size=bad)  # type: ignore[arg-type]
