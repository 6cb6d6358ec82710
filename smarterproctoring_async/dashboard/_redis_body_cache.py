"""The dashboard's report cache shared through Redis (``--redis-url``).

Several dashboards (or one restarted) then share each report's body for ``ttl``
seconds: whichever finds a report missing asks the API (two at once may both ask),
the others read Redis. redis-py is not imported
here: as for the rate limiter's helpers, :mod:`..redis_limiter` (the one module the
import contract lets load it) hands the module over. When Redis cannot be reached
the dashboard does not fail: it logs one line (no URL: it may hold a password) and
caches in memory until Redis answers again.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any

from .. import errors
from .._redis_connection import connect
from ._body_cache import Fetch, MemoryBodyCache

__all__ = ["RedisBodyCache", "redis_cache"]

logger = logging.getLogger("smarterproctoring_async.dashboard")

#: Seconds one Redis call may take before the dashboard caches in memory instead.
REDIS_TIMEOUT = 2.0


def _redis_module() -> Any:
    from ..redis_limiter import _import_redis

    try:
        return _import_redis()
    except ImportError:
        raise ImportError(
            "the dashboard's shared cache (redis_url) needs redis-py: "
            "pip install 'smarterproctoring-async[redis]'"
        ) from None


class RedisBodyCache:
    """Bodies under ``prefix`` + a hash of the key, each expiring ``ttl`` s after its fetch."""

    def __init__(self, url: str, ttl: float, *, prefix: str = "smarterproctoring:dashboard:"):
        self._module = _redis_module()
        self._redis, self._owned = connect(self._module, url, REDIS_TIMEOUT)
        self._ttl_ms = max(int(ttl * 1000), 1)
        self._prefix = prefix
        self._fallback = MemoryBodyCache(ttl)
        self._locks: dict[str, asyncio.Lock] = {}
        self._warned = False
        #: What a Redis call may raise when Redis is away: the dashboard carries on.
        self._failures = (self._module.exceptions.RedisError, OSError, asyncio.TimeoutError)

    def __repr__(self) -> str:
        return f"<RedisBodyCache ttl={self._ttl_ms / 1000:g}>"

    def _redis_key(self, key: str) -> str:
        # Hashed: a key names the API host and install, which need not sit in Redis.
        return self._prefix + hashlib.sha256(key.encode()).hexdigest()[:32]

    async def get(self, key: str, fetch: Fetch) -> bytes:
        """The body in Redis while fresh, else ``fetch()``'s, stored there for ``ttl``."""
        name = self._redis_key(key)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:  # one fetch per key in this process at once
            try:
                found = await self._redis.get(name)
            except self._failures as error:
                self._warn(error)
                return await self._fallback.get(key, fetch)
            if isinstance(found, bytes):
                return found
            body = await fetch()
            try:
                await self._redis.set(name, body, px=self._ttl_ms)
            except self._failures as error:
                self._warn(error)
            return body

    async def forget(self, key: str) -> None:
        """Delete the body for ``key`` in Redis (and in the memory fallback)."""
        await self._fallback.forget(key)
        try:
            await self._redis.delete(self._redis_key(key))
        except self._failures as error:
            self._warn(error)

    def _warn(self, error: BaseException) -> None:
        if not self._warned:
            self._warned = True
            logger.warning(
                "dashboard: Redis unreachable (%s); caching reports in memory meanwhile",
                type(error).__name__,
            )

    async def aclose(self) -> None:
        """Close the Redis client (it was made from the URL)."""
        await self._fallback.aclose()
        if self._owned:
            await self._redis.aclose()


def redis_cache(url: str, ttl: float) -> RedisBodyCache:
    """:class:`RedisBodyCache`, or ConfigurationError for a URL redis-py cannot read."""
    try:
        return RedisBodyCache(url, ttl)
    except errors.ConfigurationError as error:
        raise errors.ConfigurationError(f"redis_url: {error}") from None
