"""The shared limiter: its window bound, fairness and pauses (real clock, generous margins)."""

from __future__ import annotations

import time

import anyio
import anyio.lowlevel
import pytest

from smarterproctoring_async import RateLimiter


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
    limiter = RateLimiter(10.0, burst=1)
    await limiter.acquire()
    with anyio.move_on_after(0.01):
        await limiter.acquire()
    await limiter.acquire()  # completes: the schedule moved on


@pytest.mark.parametrize(("rate", "burst"), [(0, None), (-1, None), (float("inf"), None), (1, 0)])
def test_bad_settings(rate: float, burst: int | None) -> None:
    with pytest.raises(ValueError, match=r"rate|burst"):
        RateLimiter(rate, burst)


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
