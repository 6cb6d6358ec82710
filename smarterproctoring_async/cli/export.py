"""``export sessions`` and ``export exam-events``: resumable, incremental exports.

Sessions (the reporting guide's Pattern 1): the appointments report lists the
install's sessions; every terminal one (Closed or Cancelled) whose version is not the
one committed is fetched with ``stream_session_results`` and written as rows of three
kinds, ``sessions``, ``events`` and ``annotations``. A session's version is what its
report row says about its state (``VERSION_FIELDS``): when it changes, the session's
old rows are dropped and it is fetched again, so the data set holds exactly one copy
of each record. The state (``state.json``) is saved after the data it names is on
disk, at most ``--commit-every`` seconds apart, so an interrupted run loses at most
that much work and never leaves a record twice or half.

Exam events (Pattern 2): the exam-level event list, in ``createdDate`` order, as it
comes. The API has no cursor, so a run reads the list from the start and skips the
rows already committed, provided the last committed row is still where it was;
otherwise the list changed under it and the export starts over.

Sharded sessions (``--shard I/N``, see ``shard``): each worker reads the whole report,
keeps the sessions of its shard and exports them to ``DIR/shard-I-of-N/`` exactly as
above; ``--redis-url`` (see ``budget``) makes the workers share one request budget and
``export merge`` (see ``merge``) makes one data set of their directories.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Mapping
from contextlib import aclosing
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from .budget import SharedBudget, add_budget_options
from .config import add_connection_options, connected, positive_float, read_token
from .errors import EXIT_FAILED, EXIT_OK
from .helptext import EXAM_EVENTS_EPILOG, EXPORT_EPILOG, SESSIONS_EPILOG
from .merge import add_merge_command
from .progress import Progress
from .rows import make_row
from .shard import Shard, parse_shard
from .sinks import FORMATS, Sink, open_sink
from .state import ExportState
from .values import parse_when

if TYPE_CHECKING:
    from .. import AppointmentFilters, Client, ExamEventFilters, SessionRef

__all__ = ["VERSION_FIELDS", "run_exam_events", "run_sessions", "version_of"]

SESSION_KINDS = ("sessions", "events", "annotations")
#: The fields of an appointments report row that change when a session does: its
#: status, its last edit, and its proctor review (annotations come with the review).
VERSION_FIELDS = (
    "status", "editDate", "reviewCompletedDate", "reviewed", "reviewRequired",
    "sessionReportCount",
)  # fmt: skip


def version_of(record: Mapping[str, Any]) -> str:
    """What identifies the state of a session, from its report row (wire form)."""
    return json.dumps([record.get(name) for name in VERSION_FIELDS], separators=(",", ":"))


def _fingerprint(record: Mapping[str, Any]) -> str:
    text = json.dumps(record, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _warn(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


class _Committer:
    """Commits (sink flush, state save, publish) at most ``every`` seconds apart."""

    def __init__(self, sink: Sink, state: ExportState, every: float) -> None:
        self.sink, self.state, self.every = sink, state, every
        self._last = time.monotonic()

    def maybe(self) -> None:
        if time.monotonic() - self._last >= self.every:
            self.commit()

    def commit(self) -> None:
        self.sink.flush()
        self.state.save()
        self.sink.publish()
        self._last = time.monotonic()


async def run_sessions(args: argparse.Namespace) -> int:
    """``export sessions``: see the module documentation."""
    read_token(args)  # a missing token fails before Redis or the directory is touched
    shard: Shard | None = args.shard
    out: Path = args.out / shard.dirname if shard else args.out
    async with (
        SharedBudget(args, args.install) as budget,
        connected(args, rate_limiter=budget.limiter) as client,
    ):
        state = ExportState.open(out, "sessions", args.format, install=args.install,
                                 shard=shard)  # fmt: skip
        sink = open_sink(args.format, state, SESSION_KINDS)
        try:
            return await _sessions(client, args, state, sink, budget)
        finally:
            sink.close()


def _selection(args: argparse.Namespace) -> dict[str, str]:
    """The report filters of this run as text (merge refuses shards that differ)."""
    return {key: value.isoformat() if hasattr(value, "isoformat") else str(value)
            for key, value in _appointment_filters(args).items()}  # fmt: skip


def _appointment_filters(args: argparse.Namespace) -> AppointmentFilters:
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


async def _sessions(
    client: Client,
    args: argparse.Namespace,
    state: ExportState,
    sink: Sink,
    budget: SharedBudget,
) -> int:
    install = client.install(args.install)
    shard: Shard | None = args.shard
    # Until this run has fetched all it lists, the directory is not a finished export
    # (``export merge`` checks): said on disk before any row is dropped or added.
    state.data["complete"] = False
    state.data["selection"] = _selection(args)
    state.save()
    listing = Progress("listing sessions")
    terminal: dict[str, tuple[SessionRef, str]] = {}
    waiting = failed = others = 0
    async for row in install.reports.appointments(**_appointment_filters(args)):
        try:
            ref = row.session_ref
        except Exception as error:  # a row naming no session: reported, the rest goes on
            if row.is_terminal:
                failed += 1
                _warn(f"skipped a report row: {error}")
            else:
                waiting += 1
            continue
        if shard is not None and not shard.holds(ref.session_sid):
            others += 1
            continue
        if not row.is_terminal:
            waiting += 1
            continue
        terminal[ref.session_sid] = (ref, version_of(row.to_dict()))
        listing.update(len(terminal), None)
    listing.close()
    finished = state.sessions
    changed = [
        sid
        for sid, (_, v) in terminal.items()
        if sid in finished and (args.refetch or finished[sid]["version"] != v)
    ]
    if changed:
        sink.drop_sessions(changed)
    todo = [ref for sid, (ref, _) in terminal.items() if sid not in finished]
    committer = _Committer(sink, state, args.commit_every)
    progress = Progress("exporting sessions")
    done = events = notes = 0
    try:
        async with client.stream_session_results(todo, concurrency=args.concurrency) as results:
            async for result in results:
                got = result.ref
                budget.check(result.error)  # Redis lost: stop, rather than fail every session
                if result.error is not None or got is None or result.session is None:
                    failed += 1
                    where = got.session_sid if got is not None else "a session"
                    _warn(f"{where}: {type(result.error).__name__}: {result.error}")
                    continue
                parents = (got.install_sid, got.exam_sid, got.session_sid)
                sink.write("sessions", [make_row(parents, result.session.to_dict())])
                for kind, records in (
                    ("events", result.events),
                    ("annotations", result.annotations),
                ):
                    sink.write(kind, [make_row(parents, r.to_dict()) for r in records or ()])
                finished[got.session_sid] = {
                    "exam_sid": got.exam_sid, "version": terminal[got.session_sid][1]
                }  # fmt: skip
                done += 1
                events += len(result.events or ())
                notes += len(result.annotations or ())
                progress.update(done, len(todo), f"{failed} failed" if failed else "")
                committer.maybe()
        state.data["complete"] = not failed
    finally:
        # Every session written so far is complete (rows are written without an await
        # in between), so committing here keeps the work of a run that is failing.
        committer.commit()
        progress.update(done, len(todo), f"{failed} failed" if failed else "", force=True)
        progress.close()
    mine = f"shard {shard}: " if shard else ""
    theirs = f", {others} in other shards" if shard else ""
    print(
        f"{mine}exported {done} sessions ({events} events, {notes} annotations) to "
        f"{state.directory}; {len(terminal) - len(todo)} up to date, {len(changed)} "
        f"changed and fetched again, {waiting} not terminal yet, {failed} failed{theirs}"
    )
    return EXIT_FAILED if failed else EXIT_OK


async def run_exam_events(args: argparse.Namespace) -> int:
    """``export exam-events``: see the module documentation."""
    async with connected(args) as client:
        state = ExportState.open(args.out, "exam-events", args.format, install=args.install)
        sink = open_sink(args.format, state, ("events",))
        try:
            return await _exam_events(client, args, state, sink)
        finally:
            sink.close()


async def _exam_events(
    client: Client, args: argparse.Namespace, state: ExportState, sink: Sink
) -> int:
    exam = client.install(args.install).exam(args.exam)
    # Oldest first, so rows already exported keep their positions as events are added.
    filters: ExamEventFilters = {"sort_keys": "createdDate", "sort_order": "ASC"}
    if args.status:
        filters["status"] = args.status
    committer = _Committer(sink, state, args.commit_every)
    progress = Progress("exporting exam events")
    while True:
        cursor = state.data.get("cursor") or {"rows": 0, "last": None}
        skip, last = int(cursor["rows"]), cursor["last"]
        position = added = 0
        moved = False
        paginator = exam.events(**filters)
        try:
            async with aclosing(paginator.pages()) as pages:
                async for page in pages:
                    for row in page.items:
                        position += 1
                        record = row.to_dict()
                        if position < skip:
                            continue
                        if position == skip:
                            moved = _fingerprint(record) != last
                            if moved:
                                break
                            continue
                        parents = (row.install_sid or exam.install_sid, row.exam_sid or exam.sid,
                                   row.session_sid)  # fmt: skip
                        sink.write("events", [make_row(parents, record)])
                        state.data["cursor"] = {"rows": position, "last": _fingerprint(record)}
                        added += 1
                    if moved:
                        break
                    progress.update(position, page.total)
                    committer.maybe()
        finally:
            committer.commit()
            progress.close()
        if moved or position < skip:
            _warn("the exam's event list changed since the last run: exporting it again")
            state.data["cursor"] = None
            sink.reset()
            continue
        break
    print(f"exported {added} new exam events ({position} listed) to {args.out}")
    return EXIT_OK


def add_export_commands(commands: argparse._SubParsersAction[Any], common: dict[str, Any]) -> None:
    """``export sessions`` and ``export exam-events`` (``common``: parser options)."""
    export = commands.add_parser(
        "export", help="resumable exports to JSON Lines, CSV or Parquet",
        description="Resumable, incremental exports to files.", epilog=EXPORT_EPILOG, **common,
    )  # fmt: skip
    kinds = export.add_subparsers(dest="export", required=True, metavar="WHAT")
    sessions = kinds.add_parser(
        "sessions", help="every terminal session of an install, with events and annotations",
        description="Export the install's terminal sessions (Pattern 1: post-session sync).",
        epilog=SESSIONS_EPILOG, **common,
    )  # fmt: skip
    _export_options(sessions)
    sessions.add_argument("--exam", metavar="EX…", help="only this exam's sessions")
    sessions.add_argument("--course", metavar="CU…", help="only this course's sessions")
    sessions.add_argument("--course-offering", metavar="CO…", help="only this offering's")
    sessions.add_argument("--status", help="the report's status filter: Closed or Cancelled")
    sessions.add_argument(
        "--review-status", metavar="STATUS", help="pending, complete or not-required"
    )
    sessions.add_argument(
        "--after", type=parse_when, metavar="DATE", help="appointments from DATE on"
    )
    sessions.add_argument(
        "--before", type=parse_when, metavar="DATE", help="appointments before DATE"
    )
    sessions.add_argument(
        "--refetch", action="store_true",
        help="fetch every terminal session again, even if its report row is unchanged",
    )  # fmt: skip
    sessions.add_argument(
        "--shard", type=parse_shard, metavar="I/N",
        help="take only shard I of N (1 to N) of the sessions; write to DIR/shard-I-of-N/",
    )  # fmt: skip
    add_connection_options(sessions)
    add_budget_options(sessions)
    sessions.set_defaults(run=run_sessions)
    exam_events = kinds.add_parser(
        "exam-events", help="an exam's event list (Pattern 2), as it comes",
        description="Export the exam-level event list (Pattern 2: bulk exam reporting).",
        epilog=EXAM_EVENTS_EPILOG, **common,
    )  # fmt: skip
    _export_options(exam_events)
    exam_events.add_argument("--exam", required=True, metavar="EX…", help="the exam")
    exam_events.add_argument("--status", help="only events of this status: Open or Closed")
    add_connection_options(exam_events)
    exam_events.set_defaults(run=run_exam_events)
    add_merge_command(kinds, common)


def _export_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--install", required=True, metavar="AI…", help="the install")
    parser.add_argument("--out", required=True, type=Path, metavar="DIR", help="export directory")
    parser.add_argument("--format", choices=FORMATS, default="jsonl", help="default: jsonl")
    parser.add_argument(
        "--commit-every", type=positive_float, default=1.0, metavar="SECONDS",
        help="seconds between commits of the state (default: 1)",
    )  # fmt: skip
