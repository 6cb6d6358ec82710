"""A bound on work in progress whose waiters are served by rank, then in arrival order.

The exam-level bulk ranks each exam's work by the exam's place in the run. With plain
first-come slots every exam would advance a little at a time and all of them would
finish together at the end (a progress bar stuck at zero, then done); served by rank,
the first exams take the slots they can use and finish first, while the slots they
leave idle still go to the next ones, so nothing waits that could run.
"""

from __future__ import annotations

import heapq
from itertools import count
from types import TracebackType

import anyio

__all__ = ["RankedSlots", "Slot"]


class RankedSlots:
    """At most ``total`` holders at once; a freed slot goes to the lowest rank waiting."""

    def __init__(self, total: int) -> None:
        self._free = total
        self._waiting: list[tuple[int, int, anyio.Event]] = []
        self._order = count()  # arrival order, between waiters of one rank

    def rank(self, rank: int) -> Slot:
        """The slots as seen by work of ``rank`` (lower is served first)."""
        return Slot(self, rank)

    async def _acquire(self, rank: int) -> None:
        if self._free > 0 and not self._waiting:
            self._free -= 1
            return
        entry = (rank, next(self._order), anyio.Event())
        heapq.heappush(self._waiting, entry)
        try:
            await entry[2].wait()
        except BaseException:
            if entry[2].is_set():  # handed a slot while being cancelled: pass it on
                self._release()
            else:
                self._waiting.remove(entry)
                heapq.heapify(self._waiting)
            raise

    def _release(self) -> None:
        if self._waiting:
            # Handed over directly: no one can take it in between.
            heapq.heappop(self._waiting)[2].set()
        else:
            self._free += 1


class Slot:
    """One rank's door to :class:`RankedSlots`: ``async with slot:`` or acquire/release."""

    def __init__(self, slots: RankedSlots, rank: int) -> None:
        self._slots = slots
        self._rank = rank

    async def acquire(self) -> None:
        """Wait for a slot."""
        await self._slots._acquire(self._rank)

    def release(self) -> None:
        """Give a slot back."""
        self._slots._release()

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()
