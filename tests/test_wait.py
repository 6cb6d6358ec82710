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
    with pytest.raises(TimeoutError, match="still") as info:
        await make_client().session(ref).wait_until_terminal(poll_interval=0.05, timeout=0.2)
    assert isinstance(info.value, sp.TimeoutError)


async def test_terminal_session_returns_at_once(fake: FakeAPI, make_client: MakeClient) -> None:
    s = next(s for s in fake.data.sessions if s.status == "Cancelled")
    done = await handle(make_client(), s).wait_until_terminal(poll_interval=10)
    assert done.status == "Cancelled"
    assert len(fake.requests) == 1


@pytest.mark.parametrize(("poll", "timeout"), [(0, 1.0), (-1, 1.0), (1.0, 0)])
async def test_bad_arguments(
    fake: FakeAPI, make_client: MakeClient, poll: float, timeout: float
) -> None:
    with pytest.raises(sp.InvalidFilterError):
        await handle(make_client(), fake.data.sessions[0]).wait_until_terminal(
            poll_interval=poll, timeout=timeout
        )
    assert fake.requests == []
