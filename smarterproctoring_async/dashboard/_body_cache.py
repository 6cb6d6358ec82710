"""Where the dashboard keeps report bodies between page loads: in memory, or in Redis.

A body is the JSON text of one report's rows and the time it was fetched, so a page
can say how old each figure is, also when another dashboard fetched it (Redis). The
guide advises caching these reports for 15 to 30 minutes: ``ttl`` is counted from the
fetch, never extended by a read.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from .._cache import ResponseCache

__all__ = ["BodyCache", "MemoryBodyCache"]

Fetch = Callable[[], Awaitable[bytes]]


class BodyCache(Protocol):
    """What the dashboard needs of a cache: a body by key, fetched once per ``ttl``."""

    async def get(self, key: str, fetch: Fetch) -> bytes:
        """The stored body for ``key`` while fresh, else the one ``fetch()`` returns."""
        ...

    async def forget(self, key: str) -> None:
        """Drop the stored body for ``key`` (one found unreadable), so the next
        :meth:`get` fetches."""
        ...

    async def aclose(self) -> None:
        """Let go of any connection."""
        ...


class MemoryBodyCache:
    """This process's cache: one request per key at once, none while fresh."""

    def __init__(self, ttl: float) -> None:
        self._cache = ResponseCache(ttl)

    def __repr__(self) -> str:
        return f"<MemoryBodyCache ttl={self._cache.ttl}>"

    async def get(self, key: str, fetch: Fetch) -> bytes:
        """The stored body for ``key`` while fresh, else the one ``fetch()`` returns."""
        return await self._cache.get(key, fetch)

    async def forget(self, key: str) -> None:
        """Drop the stored body for ``key``."""
        self._cache.discard(key)

    async def aclose(self) -> None:
        """Forget every body."""
        self._cache.clear()
