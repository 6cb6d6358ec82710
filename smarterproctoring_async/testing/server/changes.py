"""Data that changes under a client: timed changes, and records inserted while it pages.

``Timeline`` runs changes (close a session, complete its review) once their time has
come: from a loop timer when an event loop runs, and in any case before the next request
is answered, so a change is never late by more than the request that would see it.
``Drifts`` remembers which lists grow while paged (``FakeAPI.insert_while_paging``).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import time
from collections.abc import Callable

from ..handlers import Listing
from .routing import load_routes

Change = Callable[[], None]


class Timeline:
    """Changes to the data set, each due at a ``time.monotonic()`` moment."""

    def __init__(self) -> None:
        self._due: list[tuple[float, int, Change]] = []
        self._order = itertools.count()  # equal times run in the order scheduled

    def after(self, delay: float, change: Change) -> None:
        """Run ``change`` ``delay`` seconds from now."""
        heapq.heappush(self._due, (time.monotonic() + delay, next(self._order), change))
        with contextlib.suppress(RuntimeError):  # no loop yet: the next request applies it
            asyncio.get_running_loop().call_later(max(0.0, delay), self.apply_due)

    def apply_due(self) -> None:
        """Run every change whose time has come, earliest first."""
        now = time.monotonic()
        while self._due and self._due[0][0] <= now:
            _, _, change = heapq.heappop(self._due)
            change()

    def __len__(self) -> int:
        return len(self._due)


class Drifts:
    """Lists that get new records after each page served: (route suffix, per page)."""

    def __init__(self) -> None:
        self._drifts: list[tuple[str, int]] = []

    def add(self, route: str, per_request: int) -> None:
        """Grow the lists whose route template ends with ``route``."""
        if not any(r.template.endswith(route) for r in load_routes()):
            raise ValueError(f"no route ends with {route!r}")
        self._drifts.append((route, per_request))

    def apply(self, template: str, listing: Listing, at_head: bool) -> None:
        """After a page of ``listing`` (route ``template``) was served, insert its records."""
        if listing.drift is None:
            return
        for suffix, count in self._drifts:
            if template.endswith(suffix):
                for _ in range(count):
                    listing.drift(listing.rows, at_head)
