"""The request budget shared by every request of one or more clients.

A generic cell rate algorithm: each caller reserves the next free slot on a schedule
and sleeps until it. Reservations happen without awaiting, so callers are served in
arrival order (fair), nobody polls (no busy-waiting), and over any window of W
seconds at most ``rate * W + burst`` requests start.

A caller cancelled, or out of time, before its slot gives the slot back, and the next
caller takes the earliest such slot still ahead before extending the schedule: waiters
that gave up cost nobody a wait, and since each slot serves one request at most, the
window bound still holds. :meth:`RateLimiter.acquire` and
:meth:`RateLimiter.wait_if_paused` take a ``deadline`` (a ``time.monotonic()`` value):
a slot or pause end after it raises :class:`~smarterproctoring_async.errors.TimeoutError`
at once, or by the deadline at the latest when a pause pushes it there later on.

The schedule changes only under a :class:`threading.Lock`, never held across an
await, and no loop-bound primitive is used: one limiter may serve clients running on
different threads and event loops.
"""

from __future__ import annotations

import asyncio
import heapq
import math
import numbers
import threading
import time
from typing import Protocol, runtime_checkable

import anyio

from . import errors

__all__ = ["Limiter", "PausedError", "RateLimiter", "deadline_error", "schedule_figures"]


class PausedError(Exception):
    """The limiter is paused for longer than the caller's ``max_pause`` allows.

    Internal: the transport turns it into the public ``RateLimitError``. ``remaining``
    is how many seconds of the pause were left.
    """

    def __init__(self, remaining: float) -> None:
        self.remaining = remaining
        super().__init__(f"the rate limiter is paused for another {remaining:.1f} s")


@runtime_checkable
class Limiter(Protocol):
    """What a client needs of its request budget: :class:`RateLimiter` (one process) and
    ``RedisRateLimiter`` (every process using one Redis key) both provide it, and the
    transport does not know which one it has.

    ``acquire`` and ``wait_if_paused`` return the seconds they waited, raise
    :class:`~smarterproctoring_async.errors.TimeoutError` when the slot or the pause's
    end lies after ``deadline`` (a ``time.monotonic()`` value) and ``PausedError`` when
    a pause has more than ``max_pause`` seconds left, and give their slot back when
    cancelled. ``pause`` and ``slow_down`` are called by the transport on a 429 (they
    must not block: a limiter that shares them elsewhere does so in the background).
    """

    async def acquire(
        self, deadline: float | None = None, *, max_pause: float | None = None
    ) -> float:
        """Wait for this request's slot; the seconds spent waiting."""
        ...

    async def wait_if_paused(
        self, deadline: float | None = None, *, max_pause: float | None = None
    ) -> float:
        """Sleep while a pause is on; the seconds spent waiting."""
        ...

    def pause(self, seconds: float) -> None:
        """Hold every request of this budget back for ``seconds`` from now."""
        ...

    def slow_down(self) -> None:
        """Lower the rate after a 429 (it recovers by itself)."""
        ...


class RateLimiter:
    """At most ``rate`` requests per second on average, with bursts of ``burst``.

    Pass one instance to several clients to make them share one budget. ``rate=None``
    spaces nothing and only applies pauses. :meth:`pause` (called on a 429 with
    ``Retry-After``) holds back every request of this limiter, queued or new, and
    :meth:`slow_down` (called on every 429) halves the rate, which then climbs back to
    ``rate`` by 5 % of it per second: a budget set above the server's converges on
    what the server allows instead of hitting its limit after every pause.
    """

    #: The lowest fraction of ``rate`` that repeated 429s can bring the limiter to.
    MIN_FACTOR = 0.125
    #: How much of ``rate`` comes back per second after a slow-down.
    RECOVERY_PER_SECOND = 0.05

    def __init__(self, rate: float | None, burst: int | None = None) -> None:
        self.rate = rate
        self.burst, self._interval, self._tolerance = schedule_figures(rate, burst)
        self._tat = -math.inf  # theoretical arrival time of the next request
        self._paused_until = -math.inf
        # Total pause added so far; a sleeper compares it with the value it saw when
        # it reserved, so one pause shifts every pending reservation by the same amount.
        self._shift = 0.0
        # Slots given back, as start - shift at reservation: adding the current shift
        # moves them with later pauses exactly like the slots of pending sleepers.
        self._free: list[float] = []
        # After a slow-down the rate is rate * (low + RECOVERY_PER_SECOND * seconds
        # since slowed_at), capped at the full rate.
        self._low = 1.0
        self._slowed_at = -math.inf
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RateLimiter(rate={self.rate!r}, burst={self.burst!r})"

    async def acquire(
        self, deadline: float | None = None, *, max_pause: float | None = None
    ) -> float:
        """Wait for this request's slot; return the seconds spent waiting.

        Raises :class:`~smarterproctoring_async.errors.TimeoutError` if the slot lies
        after ``deadline`` (a ``time.monotonic()`` value), at once or, when a pause
        pushes it there while waiting, by the deadline at the latest; and ``PausedError``
        if a pause has more than ``max_pause`` seconds left. After either, or a
        cancellation, no slot stays consumed.
        """
        now = time.monotonic()
        with self._lock:
            self._check_pause(now, max_pause)
            start = self._reserve(now, deadline)
            shift_seen = self._shift
        try:
            while True:
                target = start + (self._shift - shift_seen)
                current = time.monotonic()
                if target <= current:
                    return current - now
                if deadline is not None and target > deadline:
                    raise deadline_error("next free slot is {:.1f} s away", target - current)
                await anyio.sleep(target - current)
        except BaseException:
            self._give_back(start - shift_seen)
            raise

    async def wait_if_paused(
        self, deadline: float | None = None, *, max_pause: float | None = None
    ) -> float:
        """Sleep while a pause is on (for requests admitted before it began).

        ``deadline`` and ``max_pause`` work as for :meth:`acquire`; the pause's end is
        what must come before the deadline.
        """
        start = time.monotonic()
        self._check_pause(start, max_pause)
        # Not a poll: each sleep lasts until the pause ends, which a new 429 may extend.
        while (until := self._paused_until) > (now := time.monotonic()):
            if deadline is not None and until > deadline:
                raise deadline_error("pause ends in {:.1f} s", until - now)
            await anyio.sleep(until - now)
        return time.monotonic() - start

    def pause(self, seconds: float) -> None:
        """Hold every request of this limiter back for ``seconds`` from now."""
        # A negative (or NaN) pause would shift pending sleepers earlier, past the budget.
        if not seconds >= 0:
            return
        with self._lock:
            now = time.monotonic()
            until = now + seconds
            if until <= self._paused_until:
                return
            delta = until - max(now, self._paused_until)
            self._paused_until = until
            self._shift += delta
            # New reservations start after the pause, one interval apart: no burst right
            # after a 429, whose budget on the server side is likely still empty.
            self._tat = max(self._tat + delta, until + self._tolerance)

    def slow_down(self) -> None:
        """Halve the current rate (the server said 429); it recovers over time.

        All the 429s of one wave count once: a slow-down during the pause that the
        previous one started is ignored.
        """
        with self._lock:
            now = time.monotonic()
            if not self._interval or now < self._slowed_at:
                return
            self._low = max(self.MIN_FACTOR, self._factor(now) / 2)
            self._slowed_at = max(now, self._paused_until)

    @property
    def paused_until(self) -> float:
        """``time.monotonic()`` value until which requests are held back."""
        return self._paused_until

    def _check_pause(self, now: float, max_pause: float | None) -> None:
        remaining = self._paused_until - now
        if max_pause is not None and remaining > max_pause:
            raise PausedError(remaining)

    def _reserve(self, now: float, deadline: float | None) -> float:
        """Book the earliest slot for a request arriving at ``now``; hold the lock."""
        earliest = max(now, self._paused_until)
        free, shift = self._free, self._shift
        # A given-back slot already past would let two requests start back to back.
        while free and free[0] + shift < earliest:
            heapq.heappop(free)
        factor = self._factor(now)
        start = max(earliest, self._tat - self._tolerance / factor)
        reuse = bool(free) and free[0] + shift <= start
        if reuse:
            start = free[0] + shift
        # Checked before booking anything, so a request that cannot make it costs nothing.
        if deadline is not None and start > deadline:
            raise deadline_error("next free slot is {:.1f} s away", start - now)
        if reuse:
            heapq.heappop(free)
        elif self._interval:
            self._tat = max(self._tat, start) + self._interval / factor
        return start

    def _give_back(self, unshifted: float) -> None:
        # Without a rate, slots are not exclusive: nothing to hand on.
        if not self._interval:
            return
        with self._lock:
            if unshifted + self._shift > time.monotonic():
                heapq.heappush(self._free, unshifted)

    def _factor(self, now: float) -> float:
        """The fraction of ``rate`` in force at ``now``."""
        if self._low >= 1.0:
            return 1.0
        climbed = self.RECOVERY_PER_SECOND * max(0.0, now - self._slowed_at)
        return min(1.0, self._low + climbed)


def schedule_figures(rate: float | None, burst: int | None) -> tuple[int, float, float]:
    """Check a limiter's settings; its burst, interval and tolerance (all in seconds).

    Shared by every limiter with this face, so that they space requests alike: the
    tolerance is how far ahead of the schedule a request may start (``burst - 1``
    intervals, less a little slack).
    """
    # The value itself is not echoed: it may be huge.
    if rate is not None and not _positive_real(rate):
        raise errors.ConfigurationError("rate must be a finite positive number or None")
    if burst is not None and (
        isinstance(burst, bool) or not isinstance(burst, numbers.Integral) or burst < 1
    ):
        raise errors.ConfigurationError("burst must be a positive int or None")
    # One second's worth of requests may go at once unless told otherwise.
    whole = int(burst) if burst is not None else max(1, int(rate or 1))
    interval = 1.0 / float(rate) if rate else 0.0
    # The request after a full burst waits a tenth of an interval (at most 50 ms)
    # longer than the budget strictly allows: a server bucket with the very same
    # rate and burst starts counting at the first arrival, so without this slack
    # the network delaying the burst's first request a little earns a 429.
    slack = min(0.1 * interval, 0.05)
    # Past 2**53 a burst is unlimited anyway, and a bigger int overflows a float.
    spare = min(whole - 1, 2**53)
    return whole, interval, max(0.0, spare * interval - slack)


def _positive_real(value: object) -> bool:
    # bool is a number to Python but never what a caller meant.
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    try:
        as_float = float(value)
    except OverflowError:
        return False
    return math.isfinite(as_float) and as_float > 0


def deadline_error(what: str, seconds: float) -> errors.TimeoutError:
    """The error of a wait that would end after the caller's deadline."""
    return errors.TimeoutError(f"the rate limiter's {what.format(seconds)}, after the deadline")


async def admit(
    limiter: Limiter, slots: asyncio.Semaphore, deadline: float | None, max_pause: float
) -> float:
    """Take a request's turn: its slot of the budget, then a connection slot; the
    seconds spent waiting for the budget and for any pause.

    Time queued for a connection slot is not budget time: a request admitted before a
    429 paused the limiter waits out the pause too. On failure no slot stays taken; on
    success the caller releases ``slots`` when the request is over.
    """
    waited = 0.0
    if not _open_now(limiter, deadline):
        waited = await limiter.acquire(deadline=deadline, max_pause=max_pause)
    if deadline is None:
        await slots.acquire()
    else:  # a cancel scope costs a little: only when there is a deadline to keep
        with anyio.move_on_after(deadline - time.monotonic()) as scope:
            await slots.acquire()
        if scope.cancelled_caught:
            raise errors.TimeoutError("no free connection slot before the deadline")
    if _open_now(limiter, deadline):
        return waited
    try:
        return waited + await limiter.wait_if_paused(deadline=deadline, max_pause=max_pause)
    except BaseException:
        slots.release()
        raise


def _open_now(limiter: Limiter, deadline: float | None) -> bool:
    """Whether ``limiter`` lets a request go now with nothing to book or wait for: a
    plain :class:`RateLimiter` without a rate, not paused (a client with
    ``rate_limit=None``). Its ``acquire`` and ``wait_if_paused`` would return 0 at once,
    but cost two coroutines, a lock and five clock readings per request."""
    if type(limiter) is not RateLimiter or limiter._interval:
        return False
    now = time.monotonic()
    return limiter._paused_until <= now and (deadline is None or now <= deadline)
