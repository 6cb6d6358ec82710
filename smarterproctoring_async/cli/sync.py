"""``sync``: an install's terminal sessions into a store, exactly once (``client.sync``).

The command is the library call ``await client.sync(install, store, ...)`` with its
options read from the command line, and nothing of its own: the store keeps what is
stored, its version, the lock and the run log. It prints one summary line; each
failed session is one line on stderr (the run log keeps them too).

Stopping: Ctrl-C and SIGTERM cancel the sync. The session being saved is committed or
rolled back (the store never abandons a transaction half-way), the run is logged as
``stopped``, and the command exits 130 (Ctrl-C) or 143 (SIGTERM) with one line.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

from .budget import SharedBudget, add_budget_options
from .config import add_connection_options, connected, positive_float, read_token
from .console import LOGGER, is_quiet
from .errors import (
    EXIT_FAILED,
    EXIT_OK,
    PROG,
    CliError,
)
from .helptext import SYNC_EPILOG
from .progress import Progress
from .shard import parse_shard, shard_text
from .stopping import stoppable
from .stores import DEFAULT_STORE, STORE_HELP, open_store
from .values import parse_duration, parse_when

if TYPE_CHECKING:
    from .. import AppointmentFilters, SyncSummary

__all__ = ["add_appointment_filters", "add_sync_command", "appointment_filters", "run_sync"]

#: Failed sessions listed on stderr at most (the run log in the store keeps them all).
SHOWN_ERRORS = 20


def add_appointment_filters(parser: argparse.ArgumentParser) -> None:
    """The appointments report's filters: which sessions of the install are synced."""
    group = parser.add_argument_group("which sessions (the appointments report's filters)")
    group.add_argument("--exam", metavar="EX…", help="only this exam's sessions")
    group.add_argument("--course", metavar="CU…", help="only this course's sessions")
    group.add_argument("--course-offering", metavar="CO…", help="only this offering's")
    group.add_argument("--status", help="the report's status filter: Closed or Cancelled")
    group.add_argument(
        "--review-status", metavar="STATUS", help="pending, complete or not-required"
    )
    group.add_argument("--after", type=parse_when, metavar="DATE", help="appointments from DATE on")
    group.add_argument("--before", type=parse_when, metavar="DATE", help="appointments before DATE")


def appointment_filters(args: argparse.Namespace) -> AppointmentFilters:
    """The filters given on the command line, as ``client.sync`` takes them."""
    given = {
        "exam_sid": args.exam,
        "course_sid": args.course,
        "course_offering_sid": args.course_offering,
        "status": args.status,
        "review_status": args.review_status,
        "appointment_after": args.after,
        "appointment_before": args.before,
    }
    return cast("AppointmentFilters", {k: v for k, v in given.items() if v is not None})


async def run_sync(args: argparse.Namespace) -> int:
    """``sync``: see the module documentation."""
    if args.interval is not None and not args.follow:
        raise CliError("--interval needs --follow (a sync without it makes one pass)")
    read_token(args)  # a missing token fails before Redis or the store is touched
    store = open_store(args.to, "--to")
    # A follow or window run sleeps on purpose: the "nothing received" notice would
    # report every one of its own sleeps.
    waits = args.follow or args.window is not None
    async with (
        SharedBudget(args, args.install) as budget,
        connected(args, rate_limiter=budget.limiter, watch=not waits) as client,
        store,
    ):
        progress = Progress(f"{shard_text(args.shard)}syncing sessions")

        def on_progress(done: int, total: int | None, failed: int) -> None:
            progress.update(done, total, f"{failed} failed" if failed else "")

        summary: SyncSummary | None = None
        try:
            with _sync_lines(args), stoppable():
                summary = await client.sync(
                    args.install,
                    store,
                    only_terminal="reviewed" if args.only_terminal == "reviewed" else True,
                    shard=args.shard,
                    concurrency=args.concurrency,
                    on_progress=on_progress,
                    follow=args.follow,
                    interval=300.0 if args.interval is None else args.interval,
                    refetch=args.refetch,
                    window=args.window,
                    tz=args.tz,
                    lock_wait=args.lock_wait,
                    **appointment_filters(args),
                )
        finally:
            progress.close()  # stopped too: the bar's line ends before the error's
        assert summary is not None  # the sync returned: it was not stopped
    _report(summary, args, store.url)
    return EXIT_FAILED if summary.failed else EXIT_OK


def _report(summary: SyncSummary, args: argparse.Namespace, url: str) -> None:
    for line in summary.errors[:SHOWN_ERRORS]:
        sys.stderr.write(f"{PROG}: failed: {line}\n")
    if len(summary.errors) > SHOWN_ERRORS:
        more = len(summary.errors) - SHOWN_ERRORS
        sys.stderr.write(f"{PROG}: ... {more} more in the run log (runs, id {summary.run_id})\n")
    sys.stderr.flush()
    print(
        f"{shard_text(args.shard)}synced install {args.install} into {url}: "
        f"{summary.stored} stored, {summary.unchanged} unchanged, {summary.skipped} skipped, "
        f"{summary.failed} failed; {summary.events} events, {summary.annotations} "
        f"annotations; {summary.requests} requests (run {summary.run_id})"
    )


class _SyncLines(logging.Filter):
    """Passes the sync engine's own INFO lines (a pass done, outside the window)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno == logging.INFO and (
            f"{os.sep}sync{os.sep}" in record.pathname or record.msg.startswith("outside the")
        )


@contextmanager
def _sync_lines(args: argparse.Namespace) -> Iterator[None]:
    """Without ``-v``/``-q``, still show what a follow or window run is doing.

    A run that waits for its window or its next pass would otherwise be silent for
    hours; ``-v`` shows these lines already (with the SDK's other INFO lines).
    """
    if is_quiet() or args.verbose or not (args.follow or args.window is not None):
        yield
        return
    logger = logging.getLogger(LOGGER)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(f"{PROG}: %(message)s"))
    handler.addFilter(_SyncLines())
    level = logger.level
    logger.addHandler(handler)
    # The command's own handler keeps its level (WARNING): only this one takes INFO.
    logger.setLevel(min(level, logging.INFO) if level else logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def add_sync_command(commands: argparse._SubParsersAction[Any], common: dict[str, Any]) -> None:
    """``sync --install AI… [--to URL] [filters] [--follow] [--window] [--shard I/N]``."""
    sync = commands.add_parser(
        "sync", help="an install's terminal sessions into a database, exactly once",
        description="Sync an install's Closed and Cancelled sessions, with their events and "
        "annotations, into a store (SQLite or PostgreSQL): one transaction per session.",
        epilog=SYNC_EPILOG, **common,
    )  # fmt: skip
    sync.add_argument("--install", required=True, metavar="AI…", help="the install")
    sync.add_argument("--to", default=DEFAULT_STORE, metavar="URL", help=STORE_HELP)
    add_appointment_filters(sync)
    sync.add_argument(
        "--only-terminal", choices=("closed", "reviewed"), default="closed",
        help="closed: store Closed and Cancelled sessions (default); reviewed: wait for "
        "the proctor's review as well",
    )  # fmt: skip
    group = sync.add_argument_group("schedule")
    group.add_argument(
        "--follow", action="store_true",
        help="keep syncing, one pass every --interval, until Ctrl-C or SIGTERM",
    )  # fmt: skip
    group.add_argument(
        "--interval", type=parse_duration, default=None, metavar="DURATION",
        help="between the starts of two --follow passes: 90, 90s, 5m, 1h (default: 5m)",
    )  # fmt: skip
    group.add_argument(
        "--refetch", action="store_true",
        help="fetch every session again in the first pass, unchanged rows included (for "
        "a change the report row does not show, such as an annotation alone)",
    )  # fmt: skip
    group.add_argument(
        "--window", metavar="HH:MM-HH:MM",
        help="start passes only within these hours (e.g. 22:00-06:00); wait otherwise",
    )  # fmt: skip
    group.add_argument("--tz", metavar="ZONE", help="the zone of --window (default: the machine's)")
    group.add_argument(
        "--lock-wait", type=positive_float, default=5.0, metavar="SECONDS",
        help="how long to wait for another sync of the install to finish, then exit 5 "
        "(default: 5)",
    )  # fmt: skip
    group.add_argument(
        "--shard", type=parse_shard, metavar="I/N",
        help="take only shard I of N (1 to N) of the sessions; N workers fill one store",
    )  # fmt: skip
    add_connection_options(sync)
    add_budget_options(sync)
    sync.set_defaults(run=run_sync)
