"""The request budget shared by every request of one or more clients.

A generic cell rate algorithm: each caller reserves the next free slot on a schedule
and sleeps until it. Reservations happen without awaiting, so callers are served in
arrival order (fair), nobody polls (no busy-waiting), and over any window of W
seconds at most ``rate * W + burst`` requests start. No loop-bound primitive is
held, so one limiter may serve clients on different event loops.
"""

from __future__ import annotations

import math
import time

import anyio

__all__ = ["RateLimiter"]


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
        if rate is not None and not (math.isfinite(rate) and rate > 0):
            raise ValueError(f"rate must be a positive number or None, got {rate!r}")
        if burst is not None and burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst!r}")
        self.rate = rate
        # One second's worth of requests may go at once unless told otherwise.
        self.burst = burst if burst is not None else max(1, int(rate or 1))
        self._interval = 1.0 / rate if rate else 0.0
        # The request after a full burst waits a tenth of an interval (at most 50 ms)
        # longer than the budget strictly allows: a server bucket with the very same
        # rate and burst starts counting at the first arrival, so without this slack
        # the network delaying the burst's first request a little earns a 429.
        slack = min(0.1 * self._interval, 0.05)
        self._tolerance = max(0.0, (self.burst - 1) * self._interval - slack)
        self._tat = -math.inf  # theoretical arrival time of the next request
        self._paused_until = -math.inf
        # Total pause added so far; a sleeper compares it with the value it saw when
        # it reserved, so one pause shifts every pending reservation by the same amount.
        self._shift = 0.0
        # After a slow-down the rate is rate * (low + RECOVERY_PER_SECOND * seconds
        # since slowed_at), capped at the full rate.
        self._low = 1.0
        self._slowed_at = -math.inf

    def __repr__(self) -> str:
        return f"RateLimiter(rate={self.rate!r}, burst={self.burst!r})"

    async def acquire(self) -> float:
        """Wait for this request's slot; return the seconds spent waiting."""
        now = time.monotonic()
        factor = self._factor(now)
        start = max(now, self._tat - self._tolerance / factor, self._paused_until)
        if self._interval:
            self._tat = max(self._tat, start) + self._interval / factor
        shift_seen = self._shift
        while True:
            target = start + (self._shift - shift_seen)
            delay = target - time.monotonic()
            if delay <= 0:
                return time.monotonic() - now
            await anyio.sleep(delay)

    async def wait_if_paused(self) -> float:
        """Sleep while a pause is on (for requests admitted before it began)."""
        start = time.monotonic()
        # Not a poll: each sleep lasts until the pause ends, which a new 429 may extend.
        while (delay := self._paused_until - time.monotonic()) > 0:  # noqa: ASYNC110
            await anyio.sleep(delay)
        return time.monotonic() - start

    def pause(self, seconds: float) -> None:
        """Hold every request of this limiter back for ``seconds`` from now."""
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
        now = time.monotonic()
        if not self._interval or now < self._slowed_at:
            return
        self._low = max(self.MIN_FACTOR, self._factor(now) / 2)
        self._slowed_at = max(now, self._paused_until)

    def _factor(self, now: float) -> float:
        """The fraction of ``rate`` in force at ``now``."""
        if self._low >= 1.0:
            return 1.0
        climbed = self.RECOVERY_PER_SECOND * max(0.0, now - self._slowed_at)
        return min(1.0, self._low + climbed)

    @property
    def paused_until(self) -> float:
        """``time.monotonic()`` value until which requests are held back."""
        return self._paused_until
