"""What a command says on stderr besides its errors: ``--verbose`` and ``--quiet``.

By default a command prints its progress, a line when a wait runs long (see
``waiting``), the SDK's WARNINGs and its one error line. WARNINGs stay on by default
because they are how the SDK is loud about what it did not understand (a value kept in
``extra``, a list shorter than its total, an exam read another way). The WARNING of a
request that gives up (``record.gave_up``) shows only with ``-v``: the error line says
it already, and one failure is one line. ``-v`` adds the
``smarterproctoring_async`` logger's INFO lines (retries, pauses, a page size fallen
back); ``-vv`` its DEBUG lines as well (one per attempt: method, path, status,
attempt, time). ``-q`` leaves only the error line: no WARNINGs, no progress and no
waiting notice. Logs never name the token.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["add_output_options", "configured", "is_quiet"]

LOGGER = "smarterproctoring_async"
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

#: Set for the length of one run by :func:`configured` (a run is one ``asyncio.run``;
#: a module flag rather than an argument so that ``Progress`` needs no plumbing).
_quiet = False


def add_output_options(parser: argparse.ArgumentParser) -> None:
    """``-v``/``--verbose`` (repeatable) and ``-q``/``--quiet``, mutually exclusive."""
    group = parser.add_argument_group("output").add_mutually_exclusive_group()
    group.add_argument(
        "-v", "--verbose", action="count", default=0,
        help="log the SDK's retries and pauses to stderr (INFO); -vv: every attempt (DEBUG)",
    )  # fmt: skip
    group.add_argument(
        "-q", "--quiet", action="store_true",
        help="errors only: no progress, no notice of a long wait",
    )  # fmt: skip


def is_quiet() -> bool:
    """Whether the running command was given ``--quiet``."""
    return _quiet


@contextmanager
def configured(args: argparse.Namespace) -> Iterator[None]:
    """For the run of ``args``: the logger's level and stderr handler, and the quiet flag.

    Everything is put back afterwards: ``main()`` may run in-process (tests, a notebook)
    next to an application with its own logging set up.
    """
    global _quiet
    verbose: int = getattr(args, "verbose", 0) or 0
    quiet = bool(getattr(args, "quiet", False))
    level = logging.DEBUG if verbose >= 2 else logging.INFO if verbose == 1 else logging.WARNING
    if quiet:
        level = logging.ERROR
    logger = logging.getLogger(LOGGER)
    saved = logger.level, logger.propagate
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.setLevel(level)
    if verbose == 0:
        handler.addFilter(lambda record: not getattr(record, "gave_up", False))
    logger.addHandler(handler)
    # Below the level nothing is emitted: the SDK then skips formatting those lines.
    logger.setLevel(level)
    logger.propagate = False  # our handler says it; the root's (or lastResort) must not
    _quiet = quiet
    try:
        yield
    finally:
        _quiet = False
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
