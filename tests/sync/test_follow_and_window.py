"""follow=True (passes every interval until cancelled) and windows (with a fake clock)."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone

import anyio
import anyio.lowlevel
import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.sync import _clock
from smarterproctoring_async.sync._window import parse_window
from smarterproctoring_async.testing import FakeAPI

from ..conftest import MakeClient
from .conftest import TERMINAL, assert_store_holds, install_of, last_run, table, terminal_sids

INTERVAL = 0.4


async def _seconds_until(check: Callable[[], Awaitable[bool]], limit: float = 5) -> float:
    """Seconds until ``check()`` is true, polling the store (fails after ``limit``)."""
    started = time.monotonic()
    with anyio.fail_after(limit):
        while True:  # the store announces nothing: it is read again and again
            if await check():
                return time.monotonic() - started
            await anyio.sleep(0.02)


async def _until_stored(store: sp.Store, install: str, sid: str) -> float:
    """Seconds until ``sid`` is in the store."""

    async def stored() -> bool:
        return sid in await store.versions(install)

    return await _seconds_until(stored)


async def test_follow_stores_changes_within_one_interval_and_stops_cleanly(
    fake: FakeAPI, make_client: MakeClient, store: sp.Store
) -> None:
    install = install_of(fake)
    running = next(s for s in fake.data.sessions if s.status not in TERMINAL)
    closed = next(s for s in fake.data.sessions if s.status == "Closed")
    fake.data.set_review(closed.sid, "pending", int(time.time() * 1000))
    client = make_client()
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(lambda: client.sync(install, store, follow=True, interval=INTERVAL))
        await _until_stored(store, install, closed.sid)
        # A session turns terminal: stored within one interval (plus a pass's time).
        fake.data.set_status(running.sid, "Closed", int(time.time() * 1000))
        assert await _until_stored(store, install, running.sid) < INTERVAL + 0.5
        # A review completes with a late annotation: fetched again within one interval.
        version = (await store.versions(install))[closed.sid]
        note = fake.data.add_annotation(closed, title="added at review")
        fake.data.set_review(closed.sid, "complete", int(time.time() * 1000))

        async def refetched() -> bool:
            return (await store.versions(install))[closed.sid] != version

        assert await _seconds_until(refetched) < INTERVAL + 0.5
        tasks.cancel_scope.cancel()
    await assert_store_holds(store, fake, terminal_sids(fake))
    assert note["sid"] in {r["sid"] for r in await table(store, "annotations")}
    run = await last_run(store)
    assert run["status"] == "stopped" and run["finished"] is not None
    assert run["stored"] == len(terminal_sids(fake)) + 1  # the reviewed one twice


class FakeClock:
    """Time that moves only when the sync sleeps (and the sleeps it was asked for)."""

    def __init__(self, start: datetime, fake: FakeAPI) -> None:
        self.moment = start
        self.slept: list[float] = []
        self.requests_when_slept: list[int] = []
        self._fake = fake

    def now(self) -> datetime:
        return self.moment

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.requests_when_slept.append(self._fake.requests.total)
        self.moment += timedelta(seconds=seconds)
        await anyio.lowlevel.checkpoint()


async def test_outside_the_window_the_sync_waits_and_says_until_when(
    fake: FakeAPI,
    make_client: MakeClient,
    store: sp.Store,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Noon in Paris (UTC+1 in January); the window opens at 22:00 there.
    clock = FakeClock(datetime(2025, 1, 6, 11, 0, tzinfo=timezone.utc), fake)
    monkeypatch.setattr(_clock, "CLOCK", clock)
    caplog.set_level(logging.INFO, logger="smarterproctoring_async")
    with anyio.fail_after(10):  # a wrong window would wait forever
        summary = await make_client().sync(
            install_of(fake), store, window="22:00-06:00", tz="Europe/Paris"
        )
    assert clock.slept == [10 * 3600.0]
    assert clock.requests_when_slept == [0]  # nothing was asked before the window opened
    said = [r.getMessage() for r in caplog.records if "outside the window" in r.getMessage()]
    assert said == [
        "outside the window 22:00-06:00 (Europe/Paris): waiting until 2025-01-06T22:00:00+01:00"
    ]
    assert summary.started == datetime(2025, 1, 6, 21, 0, tzinfo=timezone.utc)
    assert summary.stored == len(terminal_sids(fake))


async def test_inside_the_window_the_sync_starts_at_once(
    fake: FakeAPI, make_client: MakeClient, store: sp.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 02:30 in Paris: inside a window that runs across midnight.
    clock = FakeClock(datetime(2025, 1, 7, 1, 30, tzinfo=timezone.utc), fake)
    monkeypatch.setattr(_clock, "CLOCK", clock)
    with anyio.fail_after(10):
        summary = await make_client().sync(
            install_of(fake), store, window="22:00-06:00", tz="Europe/Paris"
        )
    assert clock.slept == [] and summary.stored == len(terminal_sids(fake))


@pytest.mark.parametrize(
    ("text", "local", "inside", "next_start"),
    [
        ("22:00-06:00", "2025-01-06T21:59", False, "2025-01-06T22:00"),
        ("22:00-06:00", "2025-01-06T22:00", True, "2025-01-06T22:00"),
        ("22:00-06:00", "2025-01-07T05:59", True, "2025-01-07T22:00"),
        ("22:00-06:00", "2025-01-07T06:00", False, "2025-01-07T22:00"),
        ("09:30-17:00", "2025-01-06T17:00", False, "2025-01-07T09:30"),
        ("09:30-17:00", "2025-01-06T08:00", False, "2025-01-06T09:30"),
        ("09:30-17:00", "2025-01-06T12:00", True, "2025-01-07T09:30"),
        # The night the clocks go forward in Paris: 02:30 does not exist that day.
        ("01:00-03:00", "2025-03-30T03:30", False, "2025-03-31T01:00"),
    ],
)
def test_window_bounds_across_midnight_and_dst(
    text: str, local: str, inside: bool, next_start: str
) -> None:
    window = parse_window(text, "Europe/Paris")
    assert window is not None
    moment = datetime.fromisoformat(local).replace(tzinfo=window.zone)
    assert window.contains(moment) is inside
    following = window.next_start(moment)
    assert following.replace(tzinfo=None) == datetime.fromisoformat(next_start)
    assert following >= moment
