"""The sync's clock: the one place it reads the time or sleeps.

The engine looks up :data:`CLOCK` at each use, so a test replaces it
(``monkeypatch.setattr(smarterproctoring_async.sync._clock, "CLOCK", fake)``) with an
object that has the same two methods and moves time by hand: windows and follow
intervals are then tested in milliseconds, with the network left real.
"""

from __future__ import annotations

from datetime import datetime, timezone

import anyio

__all__ = ["CLOCK", "Clock"]


class Clock:
    """Wall time (timezone-aware, UTC) and sleeping, as the event loop does them."""

    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        return datetime.now(timezone.utc)

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (cancellable, as any await)."""
        await anyio.sleep(max(0.0, seconds))


#: The clock the sync engine uses; replaced by tests (see the module's docstring).
CLOCK = Clock()
