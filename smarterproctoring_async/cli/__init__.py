"""The ``smarterproctoring-async`` command line (also ``python -m smarterproctoring_async``).

Commands: ``sync`` (an install's terminal sessions into a database, exactly once:
``client.sync``), ``export`` (the store's rows as JSON Lines, CSV or Parquet files),
``report`` (any install-level report), ``demo`` (the main job against the embedded fake
API) and ``fake-api`` (that fake in the foreground). This
package is an application on top of the library: ``import smarterproctoring_async``
never loads it, and it is the only part of the product that uses the fake (``testing``).

This module stays small and imports nothing heavy: the console script imports it
before :func:`main` can guard against Ctrl-C, so the less runs first, the shorter the
time in which an interrupt could still end in a traceback.
"""

from __future__ import annotations

import os
import signal
import sys
from contextlib import suppress

from .errors import EXIT_INTERRUPTED, EXIT_TERMINATED, INTERRUPTED, PROG, TERMINATED, fail

TYPE_CHECKING = False  # not typing's: see the package's __init__
if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import FrameType

__all__ = ["main"]


def _exit_quietly(signum: int, frame: FrameType | None) -> None:
    # os.write, not sys.stderr: the interrupted code may be inside a write to it.
    with suppress(BaseException):  # leaving anyway: the output is what it is
        sys.stdout.flush()
    said, code = (
        (TERMINATED, EXIT_TERMINATED)
        if signum == signal.SIGTERM
        else (INTERRUPTED, EXIT_INTERRUPTED)
    )
    os.write(2, f"{PROG}: error: {said}\n".encode())
    os._exit(code)


def _is_the_program() -> bool:
    """Whether this process is the command (console script or ``-m``), not an importer."""
    program = sys.modules.get("__main__")
    spec = getattr(program, "__spec__", None)
    if spec is not None:  # python -m smarterproctoring_async
        return bool(spec.name == f"{__package__.rpartition('.')[0]}.__main__")
    return os.path.basename(getattr(program, "__file__", None) or "").startswith(PROG)


#: The console script or ``python -m``: this process's Ctrl-C is ours to report.
_PROGRAM = _is_the_program()
if _PROGRAM:
    # Until main() is called, no try can catch KeyboardInterrupt: the console script is
    # still importing this module or calling main. SIGTERM, which would end the process
    # without a word, says so too (a command that stops cleanly on it, such as sync,
    # takes it over while it runs).
    signal.signal(signal.SIGINT, _exit_quietly)
    signal.signal(signal.SIGTERM, _exit_quietly)


def raise_on_ctrl_c() -> None:
    """From now on Ctrl-C raises KeyboardInterrupt (caught by :func:`main`): called just
    before ``asyncio.run``, which turns it into the cancellation of the command."""
    if _PROGRAM:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``smarterproctoring-async`` command; the exit code.

    Ctrl-C at any moment, while the command's modules load, while it parses or runs,
    gives one line on stderr and exit code 130. When this process is the command
    (the console script or ``python -m``), that holds from the import of this module
    to the interpreter's exit.
    """
    try:
        # Imports and parsing run under _exit_quietly still: a KeyboardInterrupt raised
        # there could land in a callback whose errors Python ignores (an import lock's,
        # a __del__), print "Exception ignored" and let the command go on.
        from .app import run

        code = run(argv)
    except KeyboardInterrupt:
        if _PROGRAM:
            signal.signal(signal.SIGINT, _exit_quietly)  # a second Ctrl-C: no traceback
        code = fail(INTERRUPTED, EXIT_INTERRUPTED)
    if _PROGRAM:
        # What is left (returning through the console script, sys.exit, flushing the
        # streams, the interpreter's shutdown) must not print a traceback either, and a
        # command's own SIGTERM handling, once removed, left the default behind.
        signal.signal(signal.SIGINT, _exit_quietly)
        signal.signal(signal.SIGTERM, _exit_quietly)
    return code
