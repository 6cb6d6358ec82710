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
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from contextlib import aclosing
from itertools import count
from typing import Any, Literal

import anyio
import attrs

from .._page_size import FALLBACK
from ..errors import DecodeError
from ..models import (
    Appointment,
    EventReport,
    ExamSession,
    SessionEventRow,
    SessionRef,
    SessionResult,
    decoder,
)
from ._context import Context
from ._slots import RankedSlots, Slot
from .exam import Exam
from .reports import Reports
from .results import is_fatal
from .session import Session, is_reviewed

__all__ = [
    "MAX_HELD_EVENTS",
    "ExamRows",
    "Held",
    "Plan",
    "SyncOptions",
    "exam_work",
    "fetch_exam_results",
    "group",
    "own_rows",
]

Plan = Literal["auto", "exam", "session"]
#: The most events a run's exam-level lists hold at once, all exams together.
MAX_HELD_EVENTS = 100_000

_log = logging.getLogger("smarterproctoring_async")


class Held:
    """The events a run's exam-level lists hold: at most :data:`MAX_HELD_EVENTS`."""

    def __init__(self) -> None:
        self.count = 0

    def take(self, events: int) -> bool:
        """Count ``events`` more if they fit (true), else leave the count alone."""
        if self.count + events > MAX_HELD_EVENTS:
            return False
        self.count += events
        return True

    def give_back(self, events: int) -> None:
        """Uncount ``events`` taken before (their list is over)."""
        self.count -= events


@attrs.frozen
class SyncOptions:
    """What each session's result holds, and how its events are read."""

    plan: Plan = "auto"
    only_terminal: bool | Literal["reviewed"] = False
    full_details: bool = False
    events: bool = True
    annotations: bool = True


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
        ref = _ref_or_none(row)
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
        ref = _ref_or_none(row)  # a row naming no session becomes an error result
        if ref is None or (ref.install_sid, ref.exam_sid) == (exam.install_sid, exam.sid):
            kept.append(row)
    if len(kept) < len(rows):
        _log.warning(
            "exam %s: the appointments report asked for its sessions listed %d of other "
            "exams; they are left out (ask for those exams themselves)",
            exam.sid,
            len(rows) - len(kept),
        )
    return kept


def exam_work(
    context: Context, options: SyncOptions, concurrency: int
) -> Callable[[ExamRows], Awaitable[list[SessionResult]]]:
    """The work of one run per exam: :func:`fetch_exam_results`, with at most
    ``concurrency`` sessions' fetches (or exam-level lists) in progress in the run."""
    slots = RankedSlots(concurrency)
    ranks = count()  # exams are pulled in input order: earlier ones are served first
    held = Held()

    async def work(rows: ExamRows) -> list[SessionResult]:
        try:
            turn = slots.rank(next(ranks))
            return await fetch_exam_results(context, rows, options, turn, held)
        except Exception as error:  # whatever it is, it stays with this exam's sessions
            if is_fatal(error):
                raise
            return [SessionResult(ref=_ref_or_none(row), error=error) for row in rows.rows]

    return work


async def fetch_exam_results(
    context: Context,
    rows: ExamRows,
    options: SyncOptions,
    slots: Slot,
    held: Held | None = None,
) -> list[SessionResult]:
    """One result per row, in row order; failures confined to a session are in its result.

    ``slots`` bounds the work in progress across the whole run (a session's fetches,
    or one exam-level list), at this exam's rank; ``held`` counts the events the run's
    exam-level lists hold. Fatal errors (see ``is_fatal``) are raised.
    """
    if rows.error is not None:
        return [SessionResult(ref=None, error=rows.error)]
    results: list[SessionResult | None] = [None] * len(rows.rows)
    pending: list[_Session] = []
    for index, row in enumerate(rows.rows):
        try:
            ref = row.session_ref
            session = Session(context, ref)  # checks every SID
        except Exception as error:  # a row naming no (valid) session: its own result
            results[index] = SessionResult(ref=None, error=error)
            continue
        pending.append(_Session(index, row, session))
    # Details first, where the row lacks them: whether a session is wanted may hang on them.
    asked = [s for s in pending if options.full_details or not s.details_from_row()]
    await _each(asked, lambda s: s.guard(s.own_details), slots)
    wanted = []
    for one in pending:
        if one.error is None and not one.skipped(options.only_terminal):
            wanted.append(one)
        else:
            results[one.index] = one.result("session", skipped=one.error is None)
    if wanted and rows.exam is not None:
        sids = {s.session.ref.session_sid for s in pending}
        listed = _Listed(context, rows.exam, sids, held or Held())
        listed.count = max([len(listed.sids), *(_exam_size(s.row) for s in pending)])
        plan = await _read_events(listed, wanted, options, slots)
        for one in wanted:
            results[one.index] = one.result(plan)
    return [r for r in results if r is not None]


class _Session:
    """One wanted session's fetching state."""

    def __init__(self, index: int, row: Appointment, session: Session) -> None:
        self.index = index
        self.row = row
        self.session = session
        self.details_found: ExamSession | None = None
        self.from_report = False
        self.events: tuple[EventReport, ...] | None = None
        self.annotations: tuple[Any, ...] | None = None
        self.error: Exception | None = None

    def details_from_row(self) -> bool:
        """Take the details from the report row if it has a status and a date."""
        row = self.row
        if not (row.status and row.appointment_date is not None):
            return False
        # The row's own fields, exactly (to_dict()), with the install of its ref.
        install = {"install_sid": self.session.ref.install_sid}
        try:
            self.details_found = decoder(ExamSession, install)(row.to_dict())
        except DecodeError as error:  # a field the details type more strictly: ask for them
            _log.info("session %s: its report row is not details (%s)", row.sid, error)
            return False
        self.from_report = True
        return True

    async def own_details(self) -> None:
        self.details_found = await self.session.get()

    def skipped(self, only_terminal: bool | Literal["reviewed"]) -> bool:
        found = self.details_found
        if not only_terminal or found is None:
            return False
        return not (found.is_terminal and (only_terminal != "reviewed" or is_reviewed(found)))

    async def guard(self, fetch: Callable[[], Awaitable[None]]) -> None:
        """Run ``fetch``; a failure confined to this session becomes its error."""
        if self.error is not None:
            return
        try:
            await fetch()
        except Exception as error:
            if is_fatal(error):
                raise
            self.error = error

    async def own_events(self) -> None:
        self.events = tuple(await self.session.events().collect())

    async def own_annotations(self) -> None:
        self.annotations = tuple(await self.session.annotations().collect())

    async def own_lists(self, options: SyncOptions) -> None:
        """The session's own event and annotation lists, as ``options`` asks, at once."""
        async with anyio.create_task_group() as tasks:
            if options.events:
                tasks.start_soon(self.own_events)
            if options.annotations:
                tasks.start_soon(self.own_annotations)

    def result(self, plan: Literal["session", "exam"], *, skipped: bool = False) -> SessionResult:
        ref = self.session.ref
        if self.error is not None:
            return SessionResult(ref=ref, error=self.error, plan=plan)
        return SessionResult(
            ref=ref,
            session=self.details_found,
            events=self.events,
            annotations=self.annotations,
            skipped=skipped,
            plan=plan,
            details_from_report=self.from_report,
        )


async def _read_events(
    listed: _Listed, wanted: list[_Session], options: SyncOptions, slots: Slot
) -> Literal["session", "exam"]:
    """Events (by the exam's plan) and annotations of the wanted sessions; the plan used."""
    plan = options.plan
    if plan == "auto" and len(wanted) <= 1:
        plan = "session"
    if plan == "session" or not options.events:
        await _each(wanted, lambda s: s.guard(lambda: s.own_lists(options)), slots)
        return "session"
    grouped: dict[str, list[EventReport]] | None = None

    async def exam_level() -> None:
        nonlocal grouped
        async with slots:
            grouped = await _exam_level(listed, wanted, auto=plan == "auto")

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(exam_level)
        if options.annotations:
            tasks.start_soon(_each, wanted, lambda s: s.guard(s.own_annotations), slots)
    if grouped is None:  # the exam-level list is not used: why was said already
        await _each(wanted, lambda s: s.guard(s.own_events), slots)
        return "session"
    for one in wanted:
        one.events = tuple(grouped[one.session.ref.session_sid])
    return "exam"


class _Listed:
    """The sessions the report lists for an exam, and how to learn all of them."""

    def __init__(self, context: Context, exam: Exam, sids: set[str], held: Held) -> None:
        self.context = context
        self.exam = exam
        self.sids = sids
        self.held = held
        self.count = len(sids)  # the exam's sessions, filtered out or not, as far as known

    async def unlisted(self, named: set[str]) -> set[str]:
        """Of the sessions ``named`` by exam-level rows, those the exam does not have.

        A session the rows held do not list may have been filtered out of the report,
        or have started since it was read: the exam's whole list is read again once,
        unfiltered, to tell those from sessions the exam does not have at all.
        """
        strangers = named - self.sids
        if not strangers:
            return strangers
        report = Reports(self.context, self.exam.install_sid).appointments(exam_sid=self.exam.sid)
        every = {row.sid async for row in report}
        return strangers - every


async def _exam_level(
    listed: _Listed, wanted: list[_Session], *, auto: bool
) -> dict[str, list[EventReport]] | None:
    """The exam-level list grouped by session SID, or ``None`` to read it per session."""
    taken = [0]  # the events counted in the run's Held for this list
    try:
        return await _grouped(listed, wanted, auto, taken)
    finally:
        listed.held.give_back(taken[0])


async def _grouped(
    listed: _Listed, wanted: list[_Session], auto: bool, taken: list[int]
) -> dict[str, list[EventReport]] | None:
    exam = listed.exam
    groups: dict[str, list[EventReport]] = {one.session.ref.session_sid: [] for one in wanted}
    others: set[str] = set()  # sessions named by rows but not asked for
    own = (exam.install_sid, exam.sid)
    held = 0
    first = True
    try:
        async with aclosing(exam.events().pages()) as pages:
            async for page in pages:
                cost = (page.total, len(page.items), len(wanted), listed.count)
                if first and (why := _not_worth_it(*cost, auto=auto)):
                    # A choice in "auto"; a plan asked for and not followed is worth a warning.
                    level = logging.INFO if auto else logging.WARNING
                    _log.log(level, "exam %s: %s; reading its sessions' events one by one",
                             exam.sid, why)  # fmt: skip
                    return None
                if first and page.total and not listed.held.take(page.total):
                    _log.info(
                        "exam %s: its %d events do not fit beside the %d held for other "
                        "exams; reading its sessions' events one by one",
                        exam.sid, page.total, listed.held.count,
                    )  # fmt: skip
                    return None
                if first:
                    taken[0] = page.total or 0
                first = False
                for row in page.items:
                    ref = _ref_or_none(row)
                    if ref is None or (ref.install_sid, ref.exam_sid) != own:
                        _log.warning(
                            "exam %s: an exam-level event row (sid %r) %s; reading the events "
                            "of its %d sessions one by one rather than guessing their groups",
                            exam.sid,
                            row.sid,
                            "names no session" if ref is None else f"names exam {ref.exam_sid}",
                            len(wanted),
                        )
                        return None
                    bucket = groups.get(ref.session_sid)
                    if bucket is not None:
                        bucket.append(row)
                        held += 1
                    else:  # a session not asked for; unless the exam has none such
                        others.add(ref.session_sid)
                if held > taken[0]:  # more than announced: counted as they come
                    if not listed.held.take(held - taken[0]):
                        _log.warning(
                            "exam %s: over %d events to hold; reading per session", exam.sid, held
                        )
                        return None
                    taken[0] = held
    except Exception as error:
        if is_fatal(error):
            raise
        _log.warning(
            "exam %s: the exam-level event list failed (%s: %s); reading the events of its "
            "%d sessions one by one",
            exam.sid,
            type(error).__name__,
            error,
            len(wanted),
        )
        return None
    if unlisted := await _guarded(exam, listed.unlisted(others)):
        _log.warning(
            "exam %s: exam-level event rows name %d session(s) the exam does not list (%s); "
            "reading the events of its %d sessions one by one rather than dropping them",
            exam.sid,
            len(unlisted),
            ", ".join(sorted(unlisted)[:3]),
            len(wanted),
        )
        return None
    return groups


async def _guarded(exam: Exam, check: Awaitable[set[str]]) -> set[str]:
    """``check``'s answer; if it fails (not fatally), a set that sends the exam per session."""
    try:
        return await check
    except Exception as error:
        if is_fatal(error):
            raise
        _log.warning("exam %s: its session list failed (%s)", exam.sid, type(error).__name__)
        return {"(unknown)"}


def _not_worth_it(
    total: int | None, length: int, wanted: int, listed: int, *, auto: bool
) -> str | None:
    """Why the rest of the exam-level list is not worth reading (``None``: it is).

    From its first page: ``total`` events in pages of ``length``, for ``wanted`` of the
    ``listed`` sessions. Read per session, each wanted session costs a request at
    least, and its share of the events (assumed even) in pages of the same length.
    """
    if total is not None and total > MAX_HELD_EVENTS:
        return f"its exam-level list announces {total} events, over {MAX_HELD_EVENTS}"
    if not auto:
        return None
    if total is None:
        return "its exam-level list announces no total"
    length = max(1, length)
    pages_left = math.ceil(max(0, total - length) / length)
    # A last page as long as the others is confirmed by one more request (see the
    # paginator); so is a first page of 50 records or more that is all of it.
    if total and total % length == 0 and (total > length or length >= FALLBACK):
        pages_left += 1
    share = wanted / max(1, listed, wanted)
    per_session = wanted + math.ceil(total * share / length)
    if pages_left > per_session:
        return (
            f"{pages_left} more exam-level requests cost more than the about {per_session} "
            f"of its {wanted} sessions' own lists"
        )
    return None


def _ref_or_none(row: Appointment | SessionEventRow) -> SessionRef | None:
    """The session the row names, or ``None`` when it names none."""
    try:
        return row.session_ref
    except DecodeError:
        return None


def _exam_size(row: Appointment) -> int:
    """The exam's number of sessions, as the row's ``exam`` object says (0: unknown)."""
    size = row.exam.total_sessions if row.exam is not None else None
    return size if isinstance(size, int) and size > 0 else 0


async def _each(
    sessions: list[_Session],
    fetch: Callable[[_Session], Awaitable[None]],
    slots: Slot,
) -> None:
    """``fetch`` every session, each holding one of the run's ``slots`` while it runs."""

    async def run(one: _Session) -> None:
        try:
            await fetch(one)
        finally:
            slots.release()

    async with anyio.create_task_group() as group:
        for one in sessions:
            # Taken before the task starts: the run never has more tasks than slots.
            await slots.acquire()
            group.start_soon(run, one)
