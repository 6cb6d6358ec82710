"""One request budget shared through Redis by every process that uses the same key.

:class:`RedisRateLimiter` has the face of :class:`~smarterproctoring_async.RateLimiter`
(a client takes either as ``rate_limiter=``) and the same schedule, burst, 429 pause
and slow-down, kept in Redis by one atomic Lua script (:mod:`._redis_script`) on the
Redis server's clock. ``pause`` and ``slow_down`` must not block: they take effect in
this process at once and reach Redis from a short background task (or with the next
booking, whichever comes first). A waiter asks Redis again when its slot comes: it
waits out a pause begun elsewhere meanwhile, and books again if Redis lost the state
its slot belongs to (``FLUSHALL``, a restart) or answers later than the slack after
the slot (a stalled Redis): a slot is used within the slack of its time or not at
all, so nothing queued behind a stall goes at once. The slack is measured
(:mod:`._jitter`).

redis-py is imported here only, and only when a limiter is built, so that the package
imports without the ``redis`` extra.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import time
from collections.abc import Coroutine
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Any

from . import _redis_script as script
from . import errors
from ._jitter import Jitter
from ._ratelimit import PausedError, RateLimiter, deadline_error, schedule_figures
from ._redis_connection import connect, fraction, password
from ._redis_failures import Unreachable, failed_exchange, location
from ._redis_fallback import Fallback
from ._redis_outbox import Outbox
from ._redis_script import Answer, Exchange

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["RedisRateLimiter"]

logger = logging.getLogger(__name__)

_SHA = hashlib.sha1(script.SCRIPT.encode()).hexdigest()


class RedisRateLimiter:
    """At most ``rate`` requests per second, with bursts of ``burst``, for every process
    that uses the Redis key ``key``.

    ``redis`` is a URL (``redis://[user:password@]host:port/db``, ``rediss://`` or
    ``unix://``: the limiter owns that connection and closes it in :meth:`aclose`) or
    your own ``redis.asyncio.Redis`` client (never closed here). Every holder of a key
    should use the same ``rate`` and ``burst``: each booking advances the shared
    schedule by its own holder's interval. ``rate=None`` shares only the 429 pauses.

    When Redis cannot be reached, requests fail with
    :class:`~smarterproctoring_async.errors.RateLimiterUnavailableError`, unless
    ``fallback`` is a fraction in (0, 1]: then a WARNING is logged and requests go
    through a local :class:`~smarterproctoring_async.RateLimiter` at that fraction of
    the rate (and of the burst) until Redis answers again, tried every
    :attr:`RECONNECT_INTERVAL` seconds. N processes on the fallback spend at most
    N x ``fallback`` of the budget.

    One instance serves the clients of one event loop; other loops, threads and
    processes make their own instance with the same key. Use it as an async context
    manager, or call :meth:`aclose`, to let the last pauses reach Redis and close the
    connection it owns.
    """

    #: The lowest fraction of ``rate`` that repeated 429s can bring the budget to.
    MIN_FACTOR = RateLimiter.MIN_FACTOR
    #: How much of ``rate`` comes back per second after a slow-down.
    RECOVERY_PER_SECOND = RateLimiter.RECOVERY_PER_SECOND
    #: Seconds between attempts to reach Redis again while on the fallback.
    RECONNECT_INTERVAL = 1.0
    #: Socket timeouts of a connection made from a URL (unless the URL sets them).
    SOCKET_TIMEOUT = 5.0
    #: Script runs in flight at once; the others queue. Each takes a connection of the
    #: client's pool, which refuses more than its size (100 by default) instead of
    #: waiting: hundreds of waiting requests must not look like Redis being down.
    MAX_CALLS = 16

    def __init__(
        self,
        redis: str | Redis,
        *,
        key: str,
        rate: float | None = 10.0,
        burst: int | None = None,
        fallback: float | None = None,
    ) -> None:
        module = _import_redis()
        if not isinstance(key, str) or not key or "{" in key or "}" in key:
            raise errors.ConfigurationError("key must be a non-empty str without braces")
        self.burst, self._interval, _ = schedule_figures(rate, burst)
        # The burst less one, in seconds; the script takes the measured slack off it.
        self._spare = min(self.burst - 1, 2**53) * self._interval
        self._jitter = Jitter(self._interval)
        self._epoch = ""  # of the state in Redis, as last seen
        self._warm = False
        if fallback is not None and not fraction(fallback):
            raise errors.ConfigurationError("fallback must be a number in (0, 1] or None")
        self.rate = rate
        self.key = key
        self.fallback = fallback
        self._redis: Redis
        self._redis, self._owned = connect(module, redis, self.SOCKET_TIMEOUT)
        self._where = location(self._redis)
        self._keys = script.keys(key)
        self._fallback = Fallback(
            rate, self.burst, fallback, where=self._where, key=key, logger=logger
        )
        self._paused_until = -math.inf  # time.monotonic(), as far as this process knows
        self._shift = 0.0  # total of this process's own pauses
        self._outbox = Outbox(
            lambda: self._call(False),
            lambda: self._fallback.in_use() is None,
            where=self._where,
            logger=logger,
        )
        self._calls = asyncio.Semaphore(self.MAX_CALLS)

    def __repr__(self) -> str:
        # Where, never the URL: it may hold a password.
        return (
            f"RedisRateLimiter(key={self.key!r}, rate={self.rate!r}, burst={self.burst!r}, "
            f"redis={self._where!r}, fallback={self.fallback!r})"
        )

    async def __aenter__(self) -> RedisRateLimiter:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Send what Redis has not been told yet, then close a connection made from a URL.

        Idempotent. Afterwards :meth:`acquire` raises
        :class:`~smarterproctoring_async.errors.ClientStateError`.
        """
        await self._outbox.close()
        if self._owned:
            self._owned = False
            close = getattr(self._redis, "aclose", None) or self._redis.close
            await close()

    async def acquire(
        self, deadline: float | None = None, *, max_pause: float | None = None
    ) -> float:
        """Wait for this request's slot in the shared schedule; the seconds spent waiting.

        Same contract as :meth:`RateLimiter.acquire
        <smarterproctoring_async.RateLimiter.acquire>`: ``TimeoutError`` when the slot
        lies after ``deadline`` (nothing booked), ``PausedError`` when a pause has more
        than ``max_pause`` seconds left, and the slot given back (to every holder of the
        key) when cancelled or out of time while waiting.
        """
        began = time.monotonic()
        self._enter()
        self._check_pause(began, max_pause)
        patient = True  # a slot missed once is booked again; the next one is used late
        while True:
            local = self._fallback.in_use()
            if local is None:
                outage = ""
                try:
                    if await self._attempt(deadline, max_pause, patient):
                        return time.monotonic() - began
                    patient = False
                    continue  # its slot is gone or missed: book again
                except Unreachable as unreachable:
                    outage = unreachable.reason
                local = self._fallback.take_over(outage, self.RECONNECT_INTERVAL)
            await local.acquire(deadline, max_pause=max_pause)
            return time.monotonic() - began

    async def _attempt(
        self, deadline: float | None, max_pause: float | None, patient: bool
    ) -> bool:
        """Book a slot and wait for it; whether to use it (False: book again)."""
        seen = self._shift
        if not self._warm:
            # Connected and the script loaded before the first booking: the first slot
            # does not pay for them, and this round trip is the first measure of jitter.
            _, sent, received = await self._answer(self._call(False), deadline)
            self._warm = True
            self._jitter.add(received - sent, received)
        booked, sent, received = await self._book(deadline, max_pause)
        if booked.status == "paused":
            raise PausedError(booked.paused_for)
        if booked.status == "late":
            raise deadline_error("next free slot is {:.1f} s away", booked.wait)
        try:
            return await self._hold(booked, (sent, received, seen), deadline, patient)
        except Unreachable:
            raise  # the slot stays booked: Redis is out of reach
        except BaseException:
            self._give_back(booked)
            raise

    async def wait_if_paused(
        self, deadline: float | None = None, *, max_pause: float | None = None
    ) -> float:
        """Sleep while a pause this process knows of is on; the seconds spent waiting.

        It knows of its own pauses at once and of other processes' pauses from its
        last exchange with Redis (each booking is one). ``deadline`` and ``max_pause``
        work as for :meth:`acquire`.
        """
        start = time.monotonic()
        self._check_pause(start, max_pause)
        while (until := self._paused_until) > (now := time.monotonic()):
            if deadline is not None and until > deadline:
                raise deadline_error("pause ends in {:.1f} s", until - now)
            await asyncio.sleep(until - now)
        return time.monotonic() - start

    def pause(self, seconds: float) -> None:
        """Hold every request of every holder of the key back for ``seconds`` from now."""
        if not seconds >= 0:
            return
        if self._fallback.limiter is not None:
            self._fallback.limiter.pause(seconds)
        until = (now := time.monotonic()) + seconds
        if until <= self._paused_until:
            return
        self._shift += until - max(now, self._paused_until)
        self._paused_until = until
        self._outbox.post(("p", until, ""))

    def slow_down(self) -> None:
        """Halve the shared rate (a 429); it recovers by itself, for every holder."""
        if self._fallback.limiter is not None:
            self._fallback.limiter.slow_down()
        if self._interval:
            self._outbox.post(("s", 0.0, ""))

    @property
    def paused_until(self) -> float:
        """``time.monotonic()`` value until which requests are held back, as far as known."""
        return self._paused_until

    # -- the exchange with Redis

    async def _book(self, deadline: float | None, max_pause: float | None) -> Exchange:
        """Book a slot; the answer and the local times the booking left and came back."""
        remaining = None if deadline is None else deadline - time.monotonic()
        return await self._answer(self._call(True, remaining, max_pause), deadline)

    async def _answer(
        self, exchange: Coroutine[Any, Any, Exchange], deadline: float | None
    ) -> Exchange:
        """Wait for ``exchange`` until ``deadline`` at most (a stalled Redis answers late)."""
        call: asyncio.Task[Exchange] = self._outbox.spawn(exchange)
        try:
            # Shielded: a waiter cancelled or out of time during the round trip gives
            # its slot back once the answer arrives, instead of leaving it booked.
            if deadline is None:
                return await asyncio.shield(call)
            left = max(0.0, deadline - time.monotonic())
            return await asyncio.wait_for(asyncio.shield(call), left)
        except asyncio.CancelledError:
            call.add_done_callback(self._return_unused)
            raise
        except asyncio.TimeoutError:
            call.add_done_callback(self._return_unused)
        errors.raise_alone(deadline_error("answer from Redis is not in {:.1f} s", left))

    async def _call(
        self, reserve: bool, deadline: float | None = None, max_pause: float | None = None
    ) -> Exchange:
        """Run the script once with what is pending; learn what it says of pauses."""
        async with self._calls:
            pending = self._outbox.take()
            sent = time.monotonic()
            args = script.script_args(
                interval=self._interval,
                spare=self._spare,
                slack=self._jitter.slack(sent),
                reserve=reserve,
                deadline=deadline,
                max_pause=max_pause if max_pause is not None and math.isfinite(max_pause) else None,
                min_factor=self.MIN_FACTOR,
                recovery=self.RECOVERY_PER_SECOND,
                ops=script.to_send(pending, sent),
            )
            module, keys = _import_redis(), self._keys
            failure: Exception | None = None
            try:
                try:
                    reply = await self._redis.evalsha(_SHA, len(keys), *keys, *args)
                except module.exceptions.NoScriptError:
                    # EVAL also loads the script, for the next EVALSHA.
                    reply = await self._redis.eval(script.SCRIPT, len(keys), *keys, *args)
                answer = script.read_answer(reply)
            except (module.exceptions.RedisError, OSError, ValueError) as exc:
                failure = exc
            if failure is not None:
                self._outbox.ops[:0] = script.still_useful(pending, time.monotonic())
                raise failed_exchange(
                    module, failure, where=self._where, key=self.key, secret=password(self._redis)
                )
        received = time.monotonic()
        if answer.paused_for > 0:
            self._paused_until = max(self._paused_until, received + answer.paused_for)
        if answer.epoch != self._epoch:
            if self._epoch and self._paused_until > received:
                # Redis lost the state, and the pause with it: every holder must know.
                self._outbox.post(("p", self._paused_until, ""))
            self._epoch = answer.epoch
        self._fallback.hand_back()
        return answer, sent, received

    async def _hold(
        self,
        booked: Answer,
        times: tuple[float, float, float],
        deadline: float | None,
        patient: bool,
    ) -> bool:
        """Sleep until the slot, plus every pause begun since; whether to use it (False:
        Redis lost its schedule, or, if ``patient``, answered later than the slack after
        the slot). ``times``: when the booking left, came back, and ``_shift`` then."""
        sent, received, seen = times
        moved_there, missed = 0.0, False  # moved by pauses Redis knows of (others' too)
        if booked.wait > 0:
            target = received + booked.wait
            while True:
                wake, now = target + max(self._shift - seen, moved_there), time.monotonic()
                if wake > now:
                    if deadline is not None and wake > deadline:
                        raise deadline_error("next free slot is {:.1f} s away", wake - now)
                    await asyncio.sleep(wake - now)
                    continue
                check, _, _ = await self._answer(self._call(False), deadline)
                if check.epoch != booked.epoch:
                    return False  # the schedule is gone; the new one starts empty
                if check.shift - booked.shift > moved_there:  # a pause elsewhere moved it
                    moved_there = check.shift - booked.shift
                    continue
                # Sent now, it would join the requests of the slots after it.
                missed = check.now - booked.start - moved_there > check.slack
                break
        # Redis ran the booking after `sent`: the slot came no earlier than that.
        now = time.monotonic()
        self._jitter.add(now - sent - booked.wait - max(self._shift - seen, moved_there), now)
        return not (missed and patient)

    def _give_back(self, booked: Answer) -> None:
        if self._interval:
            self._outbox.post(("g", booked.unshifted, booked.epoch))

    def _return_unused(self, booking: asyncio.Task[Exchange]) -> None:
        if booking.cancelled() or booking.exception() is not None:
            return
        answer = booking.result()[0]
        if answer.status == "ok":
            self._give_back(answer)

    # -- local state

    def _enter(self) -> None:
        if self._outbox.closed:
            raise errors.ClientStateError("this RedisRateLimiter is closed")
        loop = asyncio.get_running_loop()
        if self._outbox.loop is None:
            self._outbox.loop = loop
        elif self._outbox.loop is not loop:
            raise errors.ClientStateError(
                "this RedisRateLimiter is used on another event loop; make one per loop "
                "with the same key (they share one budget)"
            )

    def _check_pause(self, now: float, max_pause: float | None) -> None:
        remaining = self._paused_until - now
        if max_pause is not None and remaining > max_pause:
            raise PausedError(remaining)


def _import_redis() -> ModuleType:
    try:
        import redis
        import redis.asyncio
        import redis.exceptions
    except ImportError:
        raise ImportError(
            "RedisRateLimiter needs redis-py: pip install 'smarterproctoring-async[redis]'"
        ) from None
    return redis
