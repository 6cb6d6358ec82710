"""Many sessions' results an exam at a time, in the fewest requests the API allows.

The reporting guide's batch pattern: an exam's events are read once through its
exam-level list and grouped by the session each row names, instead of one list per
session. Everything else a result needs comes per session: its annotations (no
exam-level list of them has a documented shape), and its details only when the
session's appointments-report row lacks them (a status and an appointment date) or
``full_details`` asks for the Exam Session Details.

How one exam's events are read (its *plan*):

- ``"exam"``: the exam-level list. Rows must name their session (``sessionSid``) in
  this exam; one that does not, or names another exam, makes the exam fall back to
  the per-session plan with a WARNING: its events are never guessed into a group. Any
  other failure of that list (retries exhausted, a list that ends early) falls back
  the same way, so each session then succeeds or fails on its own.
- ``"session"``: each session's own event list.
- ``"auto"``: per session when there is at most one session to sync; otherwise the
  first page of the exam-level list decides: its total and page length give the
  requests left, which are spent when they are no more than the per-session plan's
  estimate (a request per wanted session, plus their share of the events in pages of
  that length). An exam whose list announces no total is read per session too.

Any plan reads per session an exam whose list announces more than
:data:`MAX_HELD_EVENTS` events. A row naming a session the exam's rows do not list is
checked against the exam's whole report, read again once (the session may have been
filtered out, or started since): one the exam does not have sends it per session.

The exam-level lists' events are held until each ends (a session's events may come
last): the exam-level lists of one run hold at most :data:`MAX_HELD_EVENTS` between them.
An exam whose list would take more than is left is read per session.

Errors. A fatal one (``is_fatal``: the token no longer works, the client is closed, a
pause over ``max_retry_after``) ends the run as itself. A
:class:`~smarterproctoring_async.errors.PermissionDeniedError` (the token works, but
not on that resource) stays with what it was about, losing nothing the token may read:

- the exam's appointments report refused: the exam's one result, ``ref=None`` (its
  sessions are not known), at one request, as any failure of that report;
- its exam-level list refused: the exam falls back per session, one session first.
  When a session of the exam is refused too (that one, or one whose annotations were
  read meanwhile), the exam is taken as denied as a whole: its sessions not read yet
  get that error without a request (see ``_exam_sessions.Denial``). A denied exam of
  many sessions thus costs its list, its first session and the requests already in
  flight, not a refused request per session. Sessions whose details are asked for
  (rows without them, or ``full_details``) are asked before any exam-level request,
  each on its own.
- a session's own request refused: that session's error, like a 404.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from itertools import count
from typing import Literal

import attrs

from .._exam_log import exam_note
from ..errors import raise_alone
from ..models import Appointment, EventReport, SessionResult
from ..resources._context import Context
from ..resources._failures import Tasks, is_fatal, unwrap
from ..resources.exam import Exam
from ..resources.session import Session
from ._bulk_options import BulkOptions, Plan
from ._exam_level import Held, Listed, exam_level, exam_size, ref_or_none
from ._exam_sessions import Denial, SessionFetch, each
from ._slots import RankedSlots, Slot

__all__ = [
    "MAX_HELD_EVENTS",
    "ExamRows",
    "Held",
    "Plan",
    "exam_work",
    "fetch_exam_results",
    "group",
    "own_rows",
]

#: The most events a run's exam-level lists hold at once, all exams together.
MAX_HELD_EVENTS = 100_000

_log = logging.getLogger("smarterproctoring_async")


@attrs.frozen
class ExamRows:
    """The report rows of one exam's sessions, in report order.

    ``exam`` is ``None`` for the rows that name no session; their results are errors.
    ``error``: the exam's session list could not be read; its one result says so.
    """

    exam: Exam | None
    rows: tuple[Appointment, ...]
    error: Exception | None = None


def group(context: Context, rows: Iterable[Appointment]) -> list[ExamRows]:
    """The rows by the exam they name, exams in order of first appearance."""
    by_exam: dict[tuple[str, str] | None, list[Appointment]] = defaultdict(list)
    for row in rows:
        ref = ref_or_none(row)
        by_exam[None if ref is None else (ref.install_sid, ref.exam_sid)].append(row)
    groups = []
    for key, members in by_exam.items():
        try:
            exam = None if key is None else Exam(context, *key)
        except Exception:  # a malformed SID: each row's result says so
            exam = None
        groups.append(ExamRows(exam, tuple(members)))
    return groups


def own_rows(exam: Exam, rows: list[Appointment]) -> list[Appointment]:
    """The rows of a report asked for ``exam``'s sessions that are of that exam.

    A server that ignored the ``examSid`` filter would otherwise have every exam sync
    the whole install; the others are left out with a WARNING.
    """
    kept = []
    for row in rows:
        ref = ref_or_none(row)  # a row naming no session becomes an error result
        if ref is None or (ref.install_sid, ref.exam_sid) == (exam.install_sid, exam.sid):
            kept.append(row)
    if len(kept) < len(rows):
        exam_note(
            logging.WARNING,
            exam.sid,
            "the appointments report asked for its sessions listed %d of other "
            "exams; they are left out (ask for those exams themselves)",
            len(rows) - len(kept),
        )
    return kept


def exam_work(
    context: Context, options: BulkOptions
) -> Callable[[ExamRows], Awaitable[list[SessionResult]]]:
    """The work of one run per exam: :func:`fetch_exam_results`, with at most
    ``options.concurrency`` sessions' fetches (or exam-level lists) in progress in the run."""
    slots = RankedSlots(options.concurrency)
    ranks = count()  # exams are pulled in input order: earlier ones are served first
    held = Held(MAX_HELD_EVENTS)

    async def work(rows: ExamRows) -> list[SessionResult]:
        try:
            turn = slots.rank(next(ranks))
            return await fetch_exam_results(context, rows, options, turn, held)
        except Exception as raised:  # whatever it is, it stays with this exam's sessions
            error = unwrap(raised)
            if is_fatal(error):
                raise_alone(error)  # the run's engine ends the run with it
            return [SessionResult(ref=ref_or_none(row), error=error) for row in rows.rows]

    return work


async def fetch_exam_results(
    context: Context,
    rows: ExamRows,
    options: BulkOptions,
    slots: Slot,
    held: Held | None = None,
) -> list[SessionResult]:
    """One result per row, in row order; failures confined to a session are in its result.

    ``slots`` bounds the work in progress across the whole run (a session's fetches,
    or one exam-level list), at this exam's rank; ``held`` counts the events the run's
    exam-level lists hold. Fatal errors (see ``is_fatal``) are raised as themselves.
    """
    if rows.error is not None:
        return [SessionResult(ref=None, error=rows.error)]
    results: list[SessionResult | None] = [None] * len(rows.rows)
    denial = Denial(rows.exam.sid if rows.exam is not None else "(none)")
    pending: list[SessionFetch] = []
    for index, row in enumerate(rows.rows):
        try:
            ref = row.session_ref
            session = Session(context, ref)  # checks every SID
        except Exception as error:  # a row naming no (valid) session: its own result
            results[index] = SessionResult(ref=None, error=error)
            continue
        pending.append(SessionFetch(index, row, session, denial))
    # Details first, where the row lacks them: whether a session is wanted may hang on them.
    asked = [
        s for s in pending if options.full_details or not s.details_from_row(options.only_terminal)
    ]
    await each(asked, lambda s: s.guard(s.own_details), slots)
    wanted = []
    for one in pending:
        if one.error is None and not one.skipped(options.only_terminal):
            wanted.append(one)
        else:
            results[one.index] = one.result("session", skipped=one.error is None)
    if wanted and rows.exam is not None:
        sids = {s.session.ref.session_sid for s in pending}
        listed = Listed(context, rows.exam, sids, held or Held(MAX_HELD_EVENTS), denial)
        listed.count = max([len(listed.sids), *(exam_size(s.row) for s in pending)])
        plan = await _read_events(listed, wanted, options, slots)
        for one in wanted:
            results[one.index] = one.result(plan)
    return [r for r in results if r is not None]


async def _read_events(
    listed: Listed, wanted: list[SessionFetch], options: BulkOptions, slots: Slot
) -> Literal["session", "exam"]:
    """Events (by the exam's plan) and annotations of the wanted sessions; the plan used."""
    plan = options.plan
    if plan == "auto" and len(wanted) <= 1:
        plan = "session"
    if plan == "session" or not options.events:
        lists = (options.events, options.annotations)
        await each(wanted, lambda s: s.guard(lambda: s.own_lists(*lists)), slots)
        return "session"
    grouped: dict[str, list[EventReport]] | None = None

    async def exam_list() -> None:
        nonlocal grouped
        async with slots:
            grouped = await exam_level(listed, wanted, auto=plan == "auto")

    async with Tasks() as tasks:
        tasks.start_soon(exam_list)
        if options.annotations:
            tasks.start_soon(each, wanted, lambda s: s.guard(s.own_annotations), slots)
    if grouped is None:  # the exam-level list is not used: why was said already
        await _events_one_by_one(listed.denial, wanted, slots)
        return "session"
    for one in wanted:
        one.events = tuple(grouped[one.session.ref.session_sid])
    await _recount(listed, wanted, slots)
    return "exam"


async def _recount(listed: Listed, wanted: list[SessionFetch], slots: Slot) -> None:
    """Read again, each from its own list, the sessions the exam-level list gave fewer
    events than their report rows count (``sessionReportCount``): the exam-level list
    may leave a session out, and fewer events is never taken for all of them."""
    short = [one for one in wanted if one.events is not None and _counted(one) > len(one.events)]
    if not short:
        return
    for one in short:
        one.own_events_read = True  # its result says plan "session": that is what it is
    exam_note(
        logging.WARNING, listed.exam.sid,
        "the exam-level list gave %d session(s) fewer events than their report rows "
        "count; reading those one by one", len(short),
        detail=", ".join(one.session.ref.session_sid for one in short[:3]),
    )  # fmt: skip
    await each(short, lambda s: s.guard(s.own_events), slots)


def _counted(one: SessionFetch) -> int:
    count = one.row.session_report_count
    return count if isinstance(count, int) and not isinstance(count, bool) else 0


async def _events_one_by_one(denial: Denial, wanted: list[SessionFetch], slots: Slot) -> None:
    """Each wanted session's own events; after a refused exam-level list, one alone first.

    If that one is refused too, the exam is denied as a whole (:class:`Denial`) and the
    others are not asked; otherwise they are read as usual, so nothing is lost.
    """
    todo = [one for one in wanted if one.error is None]
    first = 1 if denial.suspected else 0
    await each(todo[:first], lambda s: s.guard(s.own_events), slots)
    await each(todo[first:], lambda s: s.guard(s.own_events), slots)
