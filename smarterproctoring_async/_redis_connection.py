"""The connection of a ``RedisRateLimiter``: the client to use and what it holds.

redis-py is not imported here (only :mod:`.redis_limiter` imports it): the limiter
passes its module in.
"""

from __future__ import annotations

import numbers
from types import ModuleType
from typing import Any

from . import errors

__all__ = ["connect", "fraction", "password"]


def connect(module: ModuleType, redis: object, timeout: float) -> tuple[Any, bool]:
    """The ``redis.asyncio.Redis`` client to use and whether the limiter owns it."""
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


def password(client: Any) -> str | None:
    """The password a client sends, to cut out of messages (None without one)."""
    secret = client.connection_pool.connection_kwargs.get("password")
    return secret if isinstance(secret, str) and secret else None


def fraction(value: object) -> bool:
    """Whether ``value`` is a number in (0, 1] (a ``fallback``), bool excluded."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    return 0 < float(value) <= 1
