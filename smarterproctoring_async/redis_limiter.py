"""One request budget shared through Redis by every process that uses the same key.

:class:`RedisRateLimiter` has the face of :class:`~smarterproctoring_async.RateLimiter`
(a client takes either as ``rate_limiter=``) and the same schedule, burst, 429 pause
and slow-down, kept in Redis by one atomic Lua script (:mod:`._redis_script`) on the
Redis server's clock. ``pause`` and ``slow_down`` must not block: they take effect in
this process at once and reach Redis from a short background task (or with the next
booking, whichever comes first). A waiter booked before a pause from elsewhere asks
Redis again when its slot comes, and waits the pause too.

redis-py is imported here only, and only when a limiter is built, so that the package
imports without the ``redis`` extra.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import numbers
import time
from collections.abc import Coroutine
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Any

from . import errors
from ._ratelimit import PausedError, RateLimiter, deadline_error, schedule_figures
from ._redis_failures import Unreachable, failed_exchange, location
from ._redis_script import SCRIPT, Answer, keys, read_answer, script_args, still_useful, to_send

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["RedisRateLimiter"]

logger = logging.getLogger(__name__)

_SHA = hashlib.sha1(SCRIPT.encode()).hexdigest()


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
        self.burst, self._interval, self._tolerance = schedule_figures(rate, burst)
        if fallback is not None and not _fraction(fallback):
            raise errors.ConfigurationError("fallback must be a number in (0, 1] or None")
        self.rate = rate
        self.key = key
        self.fallback = fallback
        self._redis, self._owned = _client(module, redis, self.SOCKET_TIMEOUT)
        self._where = location(self._redis)
        self._keys = keys(key)
        self._local: RateLimiter | None = None
        if fallback is not None:
            share = max(1, int(min(self.burst, 2**53) * fallback))
            self._local = RateLimiter(rate * fallback if rate else None, share)
        self._paused_until = -math.inf  # time.monotonic(), as far as this process knows
        self._shift = 0.0  # total of this process's own pauses
        # What this process did that Redis has not been told yet, with local times.
        self._ops: list[tuple[str, float]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._pusher: asyncio.Task[Any] | None = None
        self._degraded = False
        self._retry_at = -math.inf
        self._closed = False
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
        self._closed = True
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
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
        local = self._local
        if local is not None and self._degraded and began < self._retry_at:
            return await local.acquire(deadline, max_pause=max_pause)
        seen = self._shift
        outage = None
        try:
            answer, received = await self._book(deadline, max_pause)
        except Unreachable as unreachable:
            outage = unreachable.reason
        if outage is not None:
            return await self._fall_back(outage).acquire(deadline, max_pause=max_pause)
        if answer.status == "paused":
            raise PausedError(answer.paused_for)
        if answer.status == "late":
            raise deadline_error("next free slot is {:.1f} s away", answer.wait)
        try:
            if answer.wait > 0:
                await self._sleep_until(received + answer.wait, answer.shift, seen, deadline)
        except BaseException:
            self._give_back(answer.unshifted)
            raise
        return time.monotonic() - began

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
        if self._local is not None:
            self._local.pause(seconds)
        now = time.monotonic()
        until = now + seconds
        if until <= self._paused_until:
            return
        self._shift += until - max(now, self._paused_until)
        self._paused_until = until
        self._ops.append(("p", until))
        self._push_soon()

    def slow_down(self) -> None:
        """Halve the shared rate (a 429); it recovers by itself, for every holder."""
        if self._local is not None:
            self._local.slow_down()
        if self._interval:
            self._ops.append(("s", 0.0))
            self._push_soon()

    @property
    def paused_until(self) -> float:
        """``time.monotonic()`` value until which requests are held back, as far as known."""
        return self._paused_until

    # -- the exchange with Redis

    async def _book(self, deadline: float | None, max_pause: float | None) -> tuple[Answer, float]:
        """Book a slot; the answer and the local time it came back."""
        remaining = None if deadline is None else deadline - time.monotonic()
        booking = self._spawn(self._call(True, remaining, max_pause))
        try:
            # Shielded: a waiter cancelled during the round trip gives its slot back
            # once the answer arrives, instead of leaving it booked for nobody.
            answer = await asyncio.shield(booking)
        except asyncio.CancelledError:
            booking.add_done_callback(self._return_unused)
            raise
        return answer, time.monotonic()

    async def _call(
        self, reserve: bool, deadline: float | None = None, max_pause: float | None = None
    ) -> Answer:
        """Run the script once with what is pending; learn what it says of pauses."""
        async with self._calls:
            return await self._call_now(reserve, deadline, max_pause)

    async def _call_now(
        self, reserve: bool, deadline: float | None, max_pause: float | None
    ) -> Answer:
        pending, self._ops = self._ops, []
        args = script_args(
            interval=self._interval,
            tolerance=self._tolerance,
            reserve=reserve,
            deadline=deadline,
            max_pause=max_pause if max_pause is not None and math.isfinite(max_pause) else None,
            min_factor=self.MIN_FACTOR,
            recovery=self.RECOVERY_PER_SECOND,
            ops=to_send(pending, time.monotonic()),
        )
        module = _import_redis()
        failure: Exception | None = None
        try:
            try:
                reply = await self._redis.evalsha(_SHA, len(self._keys), *self._keys, *args)
            except module.exceptions.NoScriptError:
                # EVAL also loads the script, for the next EVALSHA.
                reply = await self._redis.eval(SCRIPT, len(self._keys), *self._keys, *args)
            answer = read_answer(reply)
        except (module.exceptions.RedisError, OSError, ValueError) as exc:
            failure = exc
        if failure is not None:
            self._ops = still_useful(pending, time.monotonic()) + self._ops
            raise failed_exchange(
                module, failure, where=self._where, key=self.key, secret=self._password()
            )
        received = time.monotonic()
        if answer.paused_for > 0:
            self._paused_until = max(self._paused_until, received + answer.paused_for)
        if self._degraded:
            self._degraded = False
            logger.info("Redis at %s answers again: back to the shared budget", self._where)
        return answer

    async def _sleep_until(
        self, target: float, shift: float, seen: float, deadline: float | None
    ) -> None:
        """Sleep until ``target`` plus every pause begun since it was booked."""
        moved_there = 0.0  # by pauses Redis knows of (other processes' too)
        slept = False
        while True:
            moved = max(self._shift - seen, moved_there)
            now = time.monotonic()
            if target + moved > now:
                if deadline is not None and target + moved > deadline:
                    raise deadline_error("next free slot is {:.1f} s away", target + moved - now)
                await asyncio.sleep(target + moved - now)
                slept = True
                continue
            if not slept:
                return
            # Slept until the slot: did a pause elsewhere move it meanwhile?
            slept = False
            try:
                answer = await self._call(False)
            except (Unreachable, errors.RateLimiterUnavailableError):
                return  # the slot was booked; only news of a later pause is missing
            moved_there = max(moved_there, answer.shift - shift)

    def _give_back(self, unshifted: float) -> None:
        if self._interval:
            self._ops.append(("g", unshifted))
            self._push_soon()

    def _return_unused(self, booking: asyncio.Task[Answer]) -> None:
        if booking.cancelled() or booking.exception() is not None:
            return
        answer = booking.result()
        if answer.status == "ok":
            self._give_back(answer.unshifted)

    def _push_soon(self) -> None:
        """Tell Redis what is pending from a background task, if none is doing it."""
        if self._closed:  # its connection is gone: nothing more reaches Redis
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop: the next booking carries it
            return
        if self._loop is None:
            self._loop = loop
        if loop is not self._loop or (self._pusher is not None and not self._pusher.done()):
            return
        self._pusher = self._spawn(self._push())

    async def _push(self) -> None:
        while self._ops and not (self._degraded and time.monotonic() < self._retry_at):
            try:
                await self._call(False)
            except (Unreachable, errors.RateLimiterUnavailableError) as failed:
                # Still pending: the next booking carries it, or raises.
                logger.debug("could not tell Redis at %s of a pause: %s", self._where, failed)
                return

    def _spawn(self, work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -- local state

    def _password(self) -> str | None:
        password = self._redis.connection_pool.connection_kwargs.get("password")
        return password if isinstance(password, str) and password else None

    def _enter(self) -> None:
        if self._closed:
            raise errors.ClientStateError("this RedisRateLimiter is closed")
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif self._loop is not loop:
            raise errors.ClientStateError(
                "this RedisRateLimiter is used on another event loop; make one per loop "
                "with the same key (they share one budget)"
            )

    def _check_pause(self, now: float, max_pause: float | None) -> None:
        remaining = self._paused_until - now
        if max_pause is not None and remaining > max_pause:
            raise PausedError(remaining)

    def _fall_back(self, reason: str) -> RateLimiter:
        if self._local is None:
            errors.raise_alone(
                errors.RateLimiterUnavailableError(
                    f"Redis at {self._where} cannot be reached ({reason}); no request is "
                    f"sent without the shared budget of key {self.key!r} (see the fallback "
                    "option)"
                )
            )
        if not self._degraded:
            self._degraded = True
            logger.warning(
                "Redis at %s cannot be reached (%s): requests of key %r go through a local "
                "limiter at %g of the rate until it answers again",
                self._where,
                reason,
                self.key,
                self.fallback,
            )
        self._retry_at = time.monotonic() + self.RECONNECT_INTERVAL
        return self._local


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


def _client(module: ModuleType, redis: object, timeout: float) -> tuple[Redis, bool]:
    """The client to use and whether this limiter owns it."""
    if isinstance(redis, str):
        try:
            made = module.asyncio.Redis.from_url(
                redis, socket_timeout=timeout, socket_connect_timeout=timeout
            )
        except (ValueError, TypeError):
            # Not echoed: a URL may hold a password.
            raise errors.ConfigurationError(
                "redis must be a redis://, rediss:// or unix:// URL (unreadable URL given)"
            ) from None
        return made, True
    if isinstance(redis, module.asyncio.Redis):
        return redis, False
    raise errors.ConfigurationError("redis must be a URL or a redis.asyncio.Redis client")


def _fraction(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    return 0 < float(value) <= 1
