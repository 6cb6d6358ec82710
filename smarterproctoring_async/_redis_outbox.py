"""What a ``RedisRateLimiter`` did that Redis has not been told yet, and the background
tasks that tell it.

``pause``, ``slow_down`` and a slot given back must not block: each is posted here,
takes effect in this process at once, and reaches Redis from one short background
task (or with the next booking, which carries everything pending, whichever comes
first).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from . import errors
from ._redis_failures import Unreachable
from ._redis_script import Pending

__all__ = ["Outbox"]


class Outbox:
    """The pending ops of one limiter, and every task it started (awaited on close).

    ``send`` runs the script once, booking nothing, with whatever is pending;
    ``may_send`` says whether to try now (not while the fallback waits to retry).
    """

    def __init__(
        self,
        send: Callable[[], Awaitable[object]],
        may_send: Callable[[], bool],
        *,
        where: str,
        logger: logging.Logger,
    ) -> None:
        self.ops: list[Pending] = []
        self.tasks: set[asyncio.Task[Any]] = set()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.closed = False
        self._pusher: asyncio.Task[Any] | None = None
        self._send, self._may_send = send, may_send
        self._where, self._logger = where, logger

    def post(self, op: Pending) -> None:
        """Keep ``op`` for Redis and send it soon."""
        self.ops.append(op)
        self.push_soon()

    def take(self) -> list[Pending]:
        """Everything pending, now in the caller's hands."""
        pending, self.ops = self.ops, []
        return pending

    def push_soon(self) -> None:
        """Tell Redis what is pending from a background task, if none is doing it."""
        if self.closed:  # the connection is gone: nothing more reaches Redis
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop: the next booking carries it
            return
        if self.loop is None:
            self.loop = loop
        if loop is not self.loop or (self._pusher is not None and not self._pusher.done()):
            return
        self._pusher = self.spawn(self._push())

    def spawn(self, work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run ``work`` as a task that closing waits for."""
        task = asyncio.get_running_loop().create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def close(self) -> None:
        """Post nothing more; wait for every task started (the last pushes)."""
        self.closed = True
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)

    async def _push(self) -> None:
        while self.ops and self._may_send():
            try:
                await self._send()
            except (Unreachable, errors.RateLimiterUnavailableError) as failed:
                # Still pending: the next booking carries it, or raises.
                self._logger.debug("could not tell Redis at %s of a pause: %s", self._where, failed)
                return
