"""wait_until_terminal: polling through the limiter, case-insensitive, with a deadline."""

from __future__ import annotations

import time

import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeAPI

from .conftest import MakeClient, handle


def _open_session(fake: FakeAPI) -> sp.SessionRef:
    s = next(s for s in fake.data.sessions if s.status not in ("Closed", "Cancelled"))
    return sp.SessionRef(s.install_sid, s.exam_sid, s.sid)


async def test_returns_once_the_session_closes(fake: FakeAPI, make_client: MakeClient) -> None:
    ref = _open_session(fake)
    fake.close_session_after(ref.session_sid, delay=0.3, status="closed")  # any letter case
    closed = await make_client().session(ref).wait_until_terminal(poll_interval=0.05, timeout=5)
    assert closed.status == "closed"
    assert closed.is_terminal
    assert 4 <= len(fake.requests) <= 12


async def test_polls_share_the_rate_limit(fake: FakeAPI, make_client: MakeClient) -> None:
    ref = _open_session(fake)
    fake.close_session_after(ref.session_sid, delay=0.5)
    client = make_client(rate_limit=5.0, burst=1)
    started = time.monotonic()
    await client.session(ref).wait_until_terminal(poll_interval=0.001, timeout=5)
    polls = len(fake.requests)
    assert polls <= 5 * (time.monotonic() - started) + 2


async def test_deadline_raises_timeout_error(fake: FakeAPI, make_client: MakeClient) -> None:
    ref = _open_session(fake)
    with pytest.raises(TimeoutError, match=r"still .*not terminal") as info:
        await make_client().session(ref).wait_until_terminal(poll_interval=0.05, timeout=0.2)
    assert isinstance(info.value, sp.TimeoutError)


async def test_terminal_session_returns_at_once(fake: FakeAPI, make_client: MakeClient) -> None:
    s = next(s for s in fake.data.sessions if s.status == "Cancelled")
    done = await handle(make_client(), s).wait_until_terminal(poll_interval=10)
    assert done.status == "Cancelled"
    assert len(fake.requests) == 1


def _routes(fake: FakeAPI) -> list[str]:
    return [
        "status" if r.route and r.route.endswith("/status") else "details" for r in fake.requests
    ]


async def test_polls_use_the_lightweight_status_then_read_the_details(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    ref = _open_session(fake)
    fake.close_session_after(ref.session_sid, delay=0.3)
    closed = await make_client().session(ref).wait_until_terminal(poll_interval=0.05, timeout=5)
    assert closed.is_terminal
    routes = _routes(fake)
    # Details once at the start and once at the end; status polls in between.
    assert routes[0] == routes[-1] == "details" and len(routes) >= 4
    assert set(routes[1:-1]) == {"status"}


async def test_an_unavailable_status_endpoint_falls_back_to_the_details(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    from smarterproctoring_async.testing import Fault

    ref = _open_session(fake)
    fake.add_fault(Fault("status", status=404, route="/status", times=None))
    fake.close_session_after(ref.session_sid, delay=0.3)
    closed = await make_client().session(ref).wait_until_terminal(poll_interval=0.05, timeout=5)
    assert closed.is_terminal
    routes = _routes(fake)
    assert routes.count("status") == 1  # tried once, then details only
    assert routes[-1] == "details"


async def test_require_review_waits_for_the_proctor(fake: FakeAPI, make_client: MakeClient) -> None:
    ref = _open_session(fake)
    fake.data.set_review(ref.session_sid, "pending", 0)
    fake.close_session_after(ref.session_sid, delay=0.1)
    fake.review_session_after(ref.session_sid, delay=0.6)
    session = make_client().session(ref)
    started = time.monotonic()
    done = await session.wait_until_terminal(poll_interval=0.05, timeout=5, require_review=True)
    assert done.is_terminal and done.reviewed is True
    assert time.monotonic() - started >= 0.5  # closed long before, but not reviewed
    assert set(_routes(fake)) == {"details"}  # the status cannot tell about the review
    other = _open_session(fake)
    fake.data.set_review(other.session_sid, "pending", 0)
    fake.close_session_after(other.session_sid, delay=0.05)
    waiting = make_client().session(other)
    with pytest.raises(TimeoutError, match="not reviewed"):
        await waiting.wait_until_terminal(poll_interval=0.05, timeout=0.4, require_review=True)


@pytest.mark.parametrize(("poll", "timeout"), [(0, 1.0), (-1, 1.0), (1.0, 0)])
async def test_bad_arguments(
    fake: FakeAPI, make_client: MakeClient, poll: float, timeout: float
) -> None:
    with pytest.raises(sp.InvalidFilterError):
        await handle(make_client(), fake.data.sessions[0]).wait_until_terminal(
            poll_interval=poll, timeout=timeout
        )
    assert fake.requests == []
