"""Progress on stderr: one line redrawn in place on a terminal, periodic lines otherwise.

Logs and CI output get a plain line every few seconds instead of a wall of carriage
returns; nothing here goes to stdout, which stays for the command's own output, and
nothing at all under ``--quiet``.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from .console import is_quiet

__all__ = ["Progress"]


class Progress:
    """Report ``done`` out of ``total`` (None: unknown) with a short note.

    ``interval`` is the seconds between plain lines when stderr is not a terminal;
    a terminal is redrawn at most ten times a second.
    """

    def __init__(self, label: str, *, stream: TextIO | None = None, interval: float = 5.0) -> None:
        self.label = label
        self.silent = is_quiet()  # read once: the run's setting, fixed while it runs
        self.stream = stream if stream is not None else sys.stderr
        self.live = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = interval if not self.live else 0.1
        self._started = time.monotonic()
        self._last = 0.0
        self._width = 0

    def update(self, done: int, total: int | None, note: str = "", *, force: bool = False) -> None:
        """Show the counts if enough time has passed since the last display (or ``force``)."""
        now = time.monotonic()
        if self.silent or (not force and now - self._last < self.interval):
            return
        self._last = now
        elapsed = now - self._started
        of = f"/{total}" if total is not None else ""
        text = f"{self.label}: {done}{of} {note}".rstrip() + f" ({elapsed:.1f} s)"
        if self.live:
            pad = max(0, self._width - len(text))
            self.stream.write(f"\r{text}{' ' * pad}")
            self._width = len(text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End the redrawn line so that later output starts on a line of its own."""
        if self.live and self._width:
            self.stream.write("\n")
            self.stream.flush()
            self._width = 0
