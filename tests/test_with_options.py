"""client.with_options(): a view with its own timeout and retries, sharing everything else."""

from __future__ import annotations

import asyncio

import anyio
import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeAPI, Fault

from .conftest import FAST_RETRY, MakeClient, handle

SESSION_ROUTE = "/sessions/{sessionSid}"


async def test_the_view_has_its_own_timeout(fake: FakeAPI, make_client: MakeClient) -> None:
    s = fake.data.sessions[0]
    client = make_client(timeout=5.0)
    hasty = client.with_options(timeout=0.1, retry=sp.RetryPolicy(max_attempts=1))
    fake.add_fault(Fault("stall", delay=0.6, route=SESSION_ROUTE))
    with anyio.fail_after(3), pytest.raises(sp.TimeoutError):
        await handle(hasty, s).get()
    fake.add_fault(Fault("stall", delay=0.3, route=SESSION_ROUTE))
    details = await handle(client, s).get()  # the client's own 5 s
    assert details.sid == s.sid
    assert "timeout=0.1" in repr(hasty) and "view" in repr(hasty)
    assert "view" not in repr(client)


async def test_the_view_has_its_own_retry_policy(fake: FakeAPI, make_client: MakeClient) -> None:
    s = fake.data.sessions[0]
    client = make_client()
    once = client.with_options(retry=sp.RetryPolicy(max_attempts=1))
    fake.add_fault(Fault("status", status=503, route=SESSION_ROUTE))
    with pytest.raises(sp.ServerError):
        await handle(once, s).get()
    assert len(fake.requests) == 1
    fake.add_fault(Fault("status", status=503, route=SESSION_ROUTE))
    await handle(client, s).get()  # the client retries
    assert len(fake.requests) == 3


async def test_client_and_view_share_connection_slots(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    sessions = fake.data.sessions[:6]
    fake.latency = 0.05
    client = make_client(max_concurrency=2)
    view = client.with_options(timeout=10.0)
    async with anyio.create_task_group() as tg:
        for index, s in enumerate(sessions):
            tg.start_soon(handle(view if index % 2 else client, s).get)
    assert len(fake.requests) == 6
    assert fake.max_in_flight <= 2


async def test_client_and_view_share_limiter_cache_and_stats(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    s = fake.data.sessions[0]
    client = make_client(rate_limit=50.0)
    view = client.with_options(timeout=2.0)
    assert view.rate_limiter is client.rate_limiter
    reports = client.install(s.install_sid).reports
    first = await reports.exam_volume().collect()
    sent = len(fake.requests)
    again = await view.install(s.install_sid).reports.exam_volume().collect()
    assert again == first and len(fake.requests) == sent  # from the client's cache
    await handle(view, s).get()
    assert view.stats is client.stats
    assert client.stats.requests == len(fake.requests)


async def test_closing_the_view_leaves_the_client_open(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    s = fake.data.sessions[0]
    client = make_client()
    async with client.with_options(timeout=1.0) as view:
        await handle(view, s).get()
    with pytest.raises(sp.ClientStateError, match="view"):
        await handle(view, s).get()
    await handle(client, s).get()
    assert len(fake.requests) == 2


async def test_closing_the_client_makes_its_views_unusable(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    s = fake.data.sessions[0]
    client = make_client()
    early = client.with_options(timeout=1.0)  # made before the session exists
    await handle(client, s).get()
    late = early.with_options(retry=FAST_RETRY)  # a view of a view
    await client.aclose()
    for view in (early, late):
        with pytest.raises(sp.ClientStateError, match="with_options"):
            await handle(view, s).get()
    assert len(fake.requests) == 1


async def test_a_view_opened_first_opens_the_shared_session(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    s = fake.data.sessions[0]
    client = make_client()
    view = client.with_options(timeout=1.0)
    await handle(view, s).get()
    await view.aclose()
    await handle(client, s).get()
    await client.aclose()
    # Nothing left open: the one session is closed with the client.
    await asyncio.sleep(0)
    assert client._transport._session is None


@pytest.mark.parametrize(
    "options",
    [
        {"timeout": 0},
        {"timeout": -1.0},
        {"timeout": float("nan")},
        {"timeout": "30"},
        {"timeout": True},
        {"retry": 3},
        {"retry": {"max_attempts": 3}},
    ],
    ids=repr,
)
async def test_bad_options_raise_before_any_request(
    fake: FakeAPI, make_client: MakeClient, options: dict[str, object]
) -> None:
    client = make_client()
    with pytest.raises(sp.ConfigurationError):
        client.with_options(**options)  # type: ignore[arg-type]
    assert len(fake.requests) == 0
