"""The shared limiter: its window bound, fairness and pauses (real clock, generous margins)."""

from __future__ import annotations

import itertools
import math
import threading
import time
from fractions import Fraction
from types import FrameType
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from smarterproctoring_async import RateLimiter, errors
from smarterproctoring_async._ratelimit import PausedError


async def _admit(limiter: RateLimiter, n: int) -> list[float]:
    times: list[float] = []

    async def one() -> None:
        await limiter.acquire()
        times.append(time.monotonic())

    async with anyio.create_task_group() as tg:
        for _ in range(n):
            tg.start_soon(one)
    return sorted(times)


def _max_in_window(times: list[float], window: float) -> int:
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] < t - window + 1e-9:
            j += 1
        best = max(best, i - j + 1)
    return best


async def test_window_bound_holds() -> None:
    rate, burst = 40.0, 4
    times = await _admit(RateLimiter(rate, burst), 30)
    for window in (0.05, 0.1, 0.25, 0.5):
        # rate * W + burst, plus one for the timer's granularity at the window edges.
        assert _max_in_window(times, window) <= rate * window + burst + 1


async def test_burst_goes_at_once_then_spaced() -> None:
    limiter = RateLimiter(20.0, burst=5)
    start = time.monotonic()
    times = await _admit(limiter, 7)
    assert times[4] - start < 0.04  # the burst
    assert times[6] - start >= 2 / 20.0 - 0.01  # then one every 50 ms


async def test_waiters_are_served_in_arrival_order() -> None:
    limiter = RateLimiter(50.0, burst=1)
    order: list[int] = []

    async def one(i: int) -> None:
        await limiter.acquire()
        order.append(i)

    async with anyio.create_task_group() as tg:
        for i in range(10):
            tg.start_soon(one, i)
            await anyio.lowlevel.checkpoint()  # arrival order is start order
    assert order == list(range(10))


async def test_pause_holds_back_queued_and_new_requests() -> None:
    limiter = RateLimiter(100.0, burst=1)
    await limiter.acquire()
    limiter.pause(0.2)
    start = time.monotonic()
    times = await _admit(limiter, 3)
    assert times[0] - start >= 0.19
    # no burst after a pause: still one interval apart
    assert times[2] - times[0] >= 2 / 100.0 - 0.005


async def test_no_rate_means_only_pauses() -> None:
    limiter = RateLimiter(None)
    # Nobody waits (the waits are measured by the limiter itself, whatever the load).
    assert max([await limiter.acquire() for _ in range(100)]) < 0.05
    start = time.monotonic()
    limiter.pause(0.1)
    await limiter.acquire()
    assert time.monotonic() - start >= 0.1


async def test_a_shorter_pause_does_not_shorten_a_longer_one() -> None:
    limiter = RateLimiter(None)
    limiter.pause(0.2)
    limiter.pause(0.05)
    start = time.monotonic()
    await limiter.acquire()
    assert time.monotonic() - start >= 0.15


async def test_cancelled_waiter_does_not_block_others() -> None:
    # Two requests a second: half a second between slots leaves room for a slow machine.
    limiter = RateLimiter(2.0, burst=1)
    with anyio.fail_after(5):
        await limiter.acquire()
        with anyio.move_on_after(0.01) as scope:
            await limiter.acquire()  # books the second slot, then gives up
        assert scope.cancelled_caught
        booked = limiter._tat
        waited = await limiter.acquire()
    # The next request took the abandoned slot: the schedule did not grow, and it waited
    # less than one interval instead of about two.
    assert limiter._tat == booked
    assert waited < 0.75


@pytest.mark.parametrize(
    ("rate", "burst"),
    [
        (0, None),
        (-1, None),
        (float("inf"), None),
        (float("nan"), None),
        (10**400, None),
        (True, None),
        ("10", None),
        (1, 0),
        (1, -3),
        (1, 2.5),
        (1, True),
    ],
)
def test_bad_settings(rate: float, burst: int | None) -> None:
    with pytest.raises(errors.ConfigurationError, match=r"^(rate|burst) must be") as info:
        RateLimiter(rate, burst)
    assert isinstance(info.value, ValueError)  # what callers caught before
    assert "400" not in str(info.value)  # a huge value is not echoed


def test_good_settings() -> None:
    assert RateLimiter(Fraction(1, 2), 3)._interval == 2.0  # type: ignore[arg-type]
    # A burst past what a float holds means unlimited, not an OverflowError.
    assert RateLimiter(1.0, 10**400)._tolerance >= 2**52


async def test_cancelled_waiters_give_their_slots_back() -> None:
    limiter = RateLimiter(10.0, burst=1)
    with anyio.fail_after(5):
        await limiter.acquire()
        async with anyio.create_task_group() as tg:
            for _ in range(300):
                tg.start_soon(limiter.acquire)
            await anyio.wait_all_tasks_blocked()
            assert limiter._tat > time.monotonic() + 29  # 30 s of slots booked
            tg.cancel_scope.cancel()
        start = time.monotonic()
        await limiter.acquire()
        assert time.monotonic() - start < 0.5


async def test_window_bound_holds_when_some_waiters_give_up() -> None:
    rate, burst = 40.0, 2
    limiter = RateLimiter(rate, burst)
    times: list[float] = []

    async def one(scope: anyio.CancelScope) -> None:
        with scope:
            await limiter.acquire()
            times.append(time.monotonic())

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            scopes = [anyio.CancelScope() for _ in range(40)]
            for scope in scopes:
                tg.start_soon(one, scope)
            await anyio.wait_all_tasks_blocked()
            for scope in scopes[1::2]:
                scope.cancel()
            await anyio.wait_all_tasks_blocked()
            booked = limiter._tat
            for _ in range(20):
                tg.start_soon(one, anyio.CancelScope())
            await anyio.wait_all_tasks_blocked()
            # The newcomers took the abandoned slots (all but the few already past)
            # instead of queueing behind the survivors.
            assert limiter._tat - booked <= 6 / rate
    assert len(times) >= 40
    times.sort()
    for window in (0.05, 0.1, 0.25, 0.5):
        assert _max_in_window(times, window) <= rate * window + burst + 1


async def test_a_slot_given_back_moves_with_a_later_pause() -> None:
    limiter = RateLimiter(10.0, burst=1)
    with anyio.fail_after(5):
        await limiter.acquire()
        with anyio.move_on_after(0.01):
            await limiter.acquire()  # gives back the slot 0.1 s after the first
        limiter.pause(0.3)
        booked = limiter._tat
        await limiter.acquire()
        started = time.monotonic()
    # It took the given-back slot, shifted by the pause like every booked slot.
    assert limiter._tat == booked
    assert started >= limiter.paused_until


async def test_a_slot_given_back_and_already_past_is_not_reused() -> None:
    limiter = RateLimiter(10.0, burst=1)
    with anyio.fail_after(5):
        await limiter.acquire()
        with anyio.move_on_after(0.01):
            await limiter.acquire()
        await anyio.sleep(0.3)  # the slot given back is behind us now
        times = await _admit(limiter, 2)
    # Taking the stale slot would have let both go at once.
    assert times[1] - times[0] >= 0.1 - 0.005


async def test_a_deadline_before_the_next_slot_fails_at_once_and_books_nothing() -> None:
    limiter = RateLimiter(1.0, burst=1)
    with anyio.fail_after(5):
        await limiter.acquire()
        booked = limiter._tat  # the next slot, a second away
        start = time.monotonic()
        with pytest.raises(errors.TimeoutError, match="after the deadline"):
            await limiter.acquire(deadline=start + 0.05)
        assert time.monotonic() - start < 0.2
        assert limiter._tat == booked
        # The next request gets the very slot the first one was refused.
        await limiter.acquire(deadline=booked + 0.5)
        assert time.monotonic() >= booked
    assert limiter._tat == pytest.approx(booked + 1.0)


async def test_a_pause_past_the_deadline_wakes_the_sleeper_by_its_deadline() -> None:
    limiter = RateLimiter(2.0, burst=1)

    async def pause_soon() -> None:
        await anyio.sleep(0.03)
        limiter.pause(5)

    with anyio.fail_after(3):
        await limiter.acquire()
        start = time.monotonic()
        async with anyio.create_task_group() as tg:
            tg.start_soon(pause_soon)
            with pytest.raises(errors.TimeoutError, match="after the deadline"):
                await limiter.acquire(deadline=start + 0.8)  # the slot is 0.5 s away
        elapsed = time.monotonic() - start
    assert elapsed < 0.8 + 0.3  # by the deadline, not at the pause's end 5 s away
    # The slot went back, shifted behind the pause.
    assert len(limiter._free) == 1
    assert limiter._free[0] + limiter._shift >= limiter.paused_until


async def test_wait_if_paused_honours_its_deadline() -> None:
    limiter = RateLimiter(None)

    async def pause_again_soon() -> None:
        await anyio.sleep(0.03)
        limiter.pause(5)

    with anyio.fail_after(3):
        limiter.pause(5)
        start = time.monotonic()
        with pytest.raises(errors.TimeoutError, match="pause ends"):
            await limiter.wait_if_paused(deadline=start + 0.05)
        assert time.monotonic() - start < 0.2

        limiter = RateLimiter(None)
        limiter.pause(0.2)
        start = time.monotonic()
        async with anyio.create_task_group() as tg:
            tg.start_soon(pause_again_soon)
            with pytest.raises(errors.TimeoutError, match="pause ends"):
                await limiter.wait_if_paused(deadline=start + 0.5)
        assert time.monotonic() - start < 0.5 + 0.3
    # Without a pause there is nothing to miss, however close the deadline.
    assert await RateLimiter(None).wait_if_paused(deadline=time.monotonic() - 1) < 0.05


async def test_a_pause_longer_than_max_pause_fails_at_once() -> None:
    limiter = RateLimiter(10.0, burst=1)
    limiter.pause(3600)
    booked = limiter._tat
    with anyio.fail_after(2):
        start = time.monotonic()
        with pytest.raises(PausedError) as info:
            await limiter.acquire(max_pause=60)
        assert info.value.remaining == pytest.approx(3600, abs=5)
        with pytest.raises(PausedError):
            await limiter.wait_if_paused(max_pause=60)
        assert time.monotonic() - start < 0.2
    assert limiter._tat == booked  # nothing booked

    limiter = RateLimiter(10.0, burst=1)
    limiter.pause(0.05)
    with anyio.fail_after(2):
        await limiter.acquire(max_pause=1)  # a pause within the bound is waited out
    assert time.monotonic() >= limiter.paused_until


def _yield_inside_bookings(frame: FrameType, event: str, arg: Any) -> Any:
    def each_line(frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            time.sleep(0.0002)
        return each_line

    return each_line if frame.f_code.co_name == "_reserve" else None


def test_a_negative_or_nan_pause_changes_nothing() -> None:
    limiter = RateLimiter(10.0, burst=1)
    limiter.pause(-5)  # would otherwise move every pending slot 5 s earlier
    limiter.pause(float("nan"))
    assert limiter._shift == 0.0
    assert limiter.paused_until == -math.inf


class RecordingLimiter(RateLimiter):
    """Keeps every slot it books, to check the schedule rather than wake-up times."""

    def __init__(self, rate: float, burst: int) -> None:
        super().__init__(rate, burst)
        self.booked: list[float] = []

    def _reserve(self, now: float, deadline: float | None) -> float:
        start = super()._reserve(now, deadline)
        self.booked.append(start)
        return start


def test_threads_with_their_own_loops_share_one_budget() -> None:
    rate = 50.0
    limiter = RecordingLimiter(rate, burst=1)
    # Bookings queue behind this pause, so every slot is one interval after the last.
    limiter.pause(0.5)
    barrier = threading.Barrier(2)
    results: list[list[float]] = []
    failures: list[BaseException] = []

    async def admit_in_time() -> list[float]:
        # Met once both loops run: starting a loop is slow (all the more when traced).
        barrier.wait(timeout=5)
        with anyio.fail_after(10):
            return await _admit(limiter, 25)

    def run() -> None:
        try:
            results.append(anyio.run(admit_in_time))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run, daemon=True) for _ in range(2)]
    # Bookings take microseconds, so two threads would seldom overlap by chance: give up
    # the GIL at every line of a booking, so that unguarded bookings surely interleave.
    threading.settrace(_yield_inside_bookings)
    try:
        for thread in threads:
            thread.start()
    finally:
        threading.settrace(None)
    for thread in threads:
        thread.join(timeout=15)
    assert not any(thread.is_alive() for thread in threads)
    assert not failures
    # A slot booked twice would show as two slots less than an interval apart.
    booked = sorted(limiter.booked)
    assert len(booked) == 50
    assert min(b - a for a, b in itertools.pairwise(booked)) >= 1 / rate - 1e-6
    times = sorted(results[0] + results[1])
    assert len(times) == 50
    for window in (0.02, 0.05, 0.1, 0.25, 0.5):
        assert _max_in_window(times, window) <= rate * window + 1 + 1


async def test_slow_down_halves_the_rate_once_per_wave_then_recovers() -> None:
    limiter = RateLimiter(100.0, burst=1)
    await limiter.acquire()
    limiter.pause(0.05)
    limiter.slow_down()
    limiter.slow_down()  # the same wave of 429s: counted once
    now = time.monotonic()
    assert limiter._factor(now) == 0.5
    times = await _admit(limiter, 5)
    # Sleeps never end early: the fifth request starts four 50 requests/s intervals
    # after the pause at the soonest (100 requests/s would be two).
    assert times[-1] >= limiter.paused_until + 4 / 50 - 0.002
    # climbs back by 5 % of the rate per second, up to the full rate
    assert limiter._factor(limiter._slowed_at + 4) == pytest.approx(0.7)
    assert limiter._factor(limiter._slowed_at + 60) == 1.0
    # a later wave halves what is in force then, down to a floor
    for _ in range(10):
        limiter._slowed_at = time.monotonic() - 0.001  # the previous wave is over
        limiter.slow_down()
    assert limiter._factor(time.monotonic()) == pytest.approx(RateLimiter.MIN_FACTOR, abs=1e-3)


async def test_slow_down_without_a_rate_does_nothing() -> None:
    limiter = RateLimiter(None)
    limiter.slow_down()
    assert max([await limiter.acquire() for _ in range(50)]) < 0.05
