"""A small per-client cache for reports that change slowly: TTL, bounded, single flight.

The reporting guide advises caching the install-level volume and distribution reports
for 15-30 minutes rather than requesting them on every page load. Entries expire
``ttl`` seconds after their answer arrived (``time.monotonic``, so wall-clock jumps do
not matter); the least recently used entry goes first when ``max_entries`` is
reached. Callers asking for a key that is being fetched wait for that one request
instead of sending their own. A failure is handed to the callers that were waiting
for it and then forgotten: the next caller sends a new request.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar, cast

__all__ = ["ResponseCache"]

T = TypeVar("T")

#: Enough for every report of a few installs with a few filter combinations each.
MAX_ENTRIES = 256


class _Flight:
    """One request in progress for a key, and what became of it."""

    __slots__ = ("done", "error", "ok", "value")

    def __init__(self) -> None:
        self.done = asyncio.Event()
        self.ok = False
        self.value: object = None
        self.error: Exception | None = None


class ResponseCache:
    """Answers by key, for ``ttl`` seconds, with one request per key at once.

    Every caller gets the same stored object, so store immutable values (the client
    stores response bodies as ``bytes`` and decodes a fresh copy for each caller).
    """

    def __init__(
        self,
        ttl: float,
        *,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not (math.isfinite(ttl) and ttl > 0):
            raise ValueError(f"ttl must be a positive number of seconds, got {ttl!r}")
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, got {max_entries}")
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, object]] = OrderedDict()
        self._flights: dict[Hashable, _Flight] = {}

    def __repr__(self) -> str:
        return f"<ResponseCache ttl={self.ttl} entries={len(self._entries)}>"

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        """Forget every stored answer (requests in flight still complete)."""
        self._entries.clear()

    def discard(self, key: Hashable) -> None:
        """Forget the stored answer for ``key``, if there is one."""
        self._entries.pop(key, None)

    async def get(self, key: Hashable, fetch: Callable[[], Awaitable[T]]) -> T:
        """The fresh stored answer for ``key``, else the answer of ``fetch()``.

        If ``fetch`` for this key is already running, wait for it instead; if that
        caller is cancelled before an answer arrived, one of the waiters fetches.
        """
        while True:
            found, value = self._lookup(key)
            if found:
                return cast(T, value)
            flight = self._flights.get(key)
            if flight is None:
                return await self._lead(key, fetch)
            await flight.done.wait()
            if flight.ok:
                return cast(T, flight.value)
            if flight.error is not None:
                raise flight.error

    async def _lead(self, key: Hashable, fetch: Callable[[], Awaitable[T]]) -> T:
        flight = self._flights[key] = _Flight()
        try:
            value = await fetch()
        except Exception as exc:
            flight.error = exc
            raise
        else:
            flight.ok, flight.value = True, value
            self._store(key, value)
            return value
        finally:
            # Whatever happened (answer, error, cancellation), the next caller of this
            # key must not wait on a flight that is over.
            del self._flights[key]
            flight.done.set()

    def _lookup(self, key: Hashable) -> tuple[bool, Any]:
        entry = self._entries.get(key)
        if entry is None:
            return False, None
        expires, value = entry
        if self._clock() >= expires:
            del self._entries[key]
            return False, None
        self._entries.move_to_end(key)
        return True, value

    def _store(self, key: Hashable, value: object) -> None:
        self._entries[key] = (self._clock() + self.ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
