"""How late a holder of a shared budget hands its slots over: the slack it asks for.

A server bucket with the very rate and burst of the budget counts from the moment
each request arrives, not from its slot: when the first request of a burst reaches
it later than the one after the burst, that one finds no token. The schedule leaves
room for that spread (the slack) after every full burst. It is measured, never
guessed: the limiter records, for every slot it hands over, the upper bound of its
delay (the time from sending the booking to Redis to handing the slot over, less the
wait Redis asked for, so Redis round trips and late wake-ups count in full), and asks
for :data:`FACTOR` times the largest delay of the last ``2 x WINDOW`` seconds, the
factor covering what it cannot see (the connection slot, the HTTP client, the
network to the API). One delay counts as :data:`CEILING` at most: later than that is
an outage, not jitter, and its slot is not used (the holder books again).
"""

from __future__ import annotations

import math

__all__ = ["CEILING", "FACTOR", "WINDOW", "Jitter"]

#: Slack asked for, as a multiple of the largest delay measured.
FACTOR = 2.0
#: Seconds of each of the two windows whose largest delay counts.
WINDOW = 5.0
#: The most one delay counts for, in seconds (or one interval, if longer).
CEILING = 0.1


class Jitter:
    """The largest delays of the last two windows of :data:`WINDOW` seconds."""

    def __init__(self, interval: float) -> None:
        self._ceiling = max(CEILING, interval)
        self._current = 0.0
        self._previous = 0.0
        self._began = -math.inf

    def add(self, delay: float, now: float) -> None:
        """Record one slot handed over ``delay`` seconds after it came, at most."""
        self._roll(now)
        self._current = max(self._current, min(max(0.0, delay), self._ceiling))

    def slack(self, now: float) -> float:
        """The slack to ask for: :data:`FACTOR` times the largest recent delay."""
        self._roll(now)
        return FACTOR * max(self._current, self._previous)

    def _roll(self, now: float) -> None:
        if now - self._began < WINDOW:
            return
        # A window with nothing in it leaves nothing to remember.
        self._previous = self._current if now - self._began < 2 * WINDOW else 0.0
        self._current, self._began = 0.0, now
