"""Ctrl-C and SIGTERM as a cancellation of a command's work, so it stops cleanly.

A cancellation, not KeyboardInterrupt raised wherever the code happens to be (or, for
SIGTERM, the process ending on the spot): ``sync`` then finishes the session in flight
and logs its run as stopped, ``export`` removes the files it had not finished.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from contextlib import contextmanager

import anyio

from .errors import EXIT_INTERRUPTED, EXIT_TERMINATED, INTERRUPTED, TERMINATED, CliError

__all__ = ["stoppable"]

#: The signals that stop a command cleanly, and the line and exit code of each.
_STOPS = {
    signal.SIGINT: (INTERRUPTED, EXIT_INTERRUPTED),
    signal.SIGTERM: (TERMINATED, EXIT_TERMINATED),
}


@contextmanager
def stoppable() -> Iterator[None]:
    """Ctrl-C and SIGTERM cancel the block, which then raises the signal's CliError
    (its one line and exit code) once everything inside has unwound."""
    loop = asyncio.get_running_loop()
    got: list[int] = []
    scope = anyio.CancelScope()

    def stop(signum: int) -> None:
        if not got:  # a second signal while stopping changes nothing: it is stopping
            got.append(signum)
            scope.cancel()

    installed = []
    try:
        for signum in _STOPS:
            try:
                loop.add_signal_handler(signum, stop, signum)
            except (ValueError, RuntimeError, NotImplementedError):  # not the main thread
                continue
            installed.append(signum)
        with scope:
            yield
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)  # back to Python's defaults
    if got:
        line, code = _STOPS[signal.Signals(got[0])]
        raise CliError(line, code)
