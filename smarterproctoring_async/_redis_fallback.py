"""Where a ``RedisRateLimiter`` turns while Redis is out of reach: an error, or a
local :class:`~smarterproctoring_async.RateLimiter` at a fraction of the budget.

No request goes out on a budget nobody else can see unless the caller chose a
``fallback`` fraction: then N processes on their fallbacks spend at most N times that
fraction of the budget, and each says so once (a WARNING), and once again when Redis
answers (INFO).
"""

from __future__ import annotations

import logging
import math
import time

from . import errors
from ._ratelimit import RateLimiter

__all__ = ["Fallback"]


class Fallback:
    """The local limiter of one ``RedisRateLimiter`` (none without a ``fallback``),
    and whether requests go through it for now."""

    def __init__(
        self,
        rate: float | None,
        burst: int,
        fraction: float | None,
        *,
        where: str,
        key: str,
        logger: logging.Logger,
    ) -> None:
        self.limiter: RateLimiter | None = None
        if fraction is not None:
            share = max(1, int(min(burst, 2**53) * fraction))
            self.limiter = RateLimiter(rate * fraction if rate else None, share)
        self._fraction = fraction
        self._where, self._key, self._logger = where, key, logger
        self.degraded = False
        self._retry_at = -math.inf

    def in_use(self) -> RateLimiter | None:
        """The local limiter while Redis is out of reach and not yet due to be retried."""
        if self.degraded and time.monotonic() < self._retry_at:
            return self.limiter
        return None

    def take_over(self, reason: str, retry_in: float) -> RateLimiter:
        """Redis cannot be reached (``reason``): the local limiter, for ``retry_in``
        seconds; or :class:`~smarterproctoring_async.errors.RateLimiterUnavailableError`
        without one."""
        if self.limiter is None:
            errors.raise_alone(
                errors.RateLimiterUnavailableError(
                    f"Redis at {self._where} cannot be reached ({reason}); no request is "
                    f"sent without the shared budget of key {self._key!r} (see the fallback "
                    "option)"
                )
            )
        if not self.degraded:
            self.degraded = True
            self._logger.warning(
                "Redis at %s cannot be reached (%s): requests of key %r go through a local "
                "limiter at %g of the rate until it answers again",
                self._where,
                reason,
                self._key,
                self._fraction,
            )
        self._retry_at = time.monotonic() + retry_in
        return self.limiter

    def hand_back(self) -> None:
        """Redis answered: back to the shared budget (said once)."""
        if self.degraded:
            self.degraded = False
            self._logger.info("Redis at %s answers again: back to the shared budget", self._where)
