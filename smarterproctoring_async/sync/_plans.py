"""What the client's bulk methods run, besides the fan-out itself.

- :class:`Progress`: the count behind ``on_progress(done, total, failed)``.
- :class:`SessionsPlan`: the session-level methods' run, one fetch per ref.
- The exam-level methods' parts: where their report rows come from (one report per
  exam, or the install's report once), and :class:`ExamsPlan`, their run.

Both plans take a checked :class:`~._bulk_options.BulkOptions` and run once, by
``.stream()`` (an async context manager) or ``.gather()`` (a list in input order).
"""

from __future__ import annotations

import logging
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Sequence,
    Sized,
)
from contextlib import aclosing

from .._exam_log import exam_note
from .._pagination import Paginator
from .._tracing import Run
from ..bulk import FanOut, FlatFanOut, gather
from ..errors import raise_alone
from ..models import Appointment, SessionRef, SessionResult
from ..resources import Exam, Install, Session
from ..resources._context import Context
from ..resources._failures import is_fatal, unwrap
from ..resources.reports import AppointmentFilters
from ._bulk_options import BulkOptions, ProgressCallback
from ._exam_plan import (
    ExamRows,
    exam_work,
    group,
    own_rows,
)
from ._sessions import fetch_session_result

__all__ = [
    "ExamsPlan",
    "Progress",
    "RefSource",
    "RowSource",
    "SessionsPlan",
    "exam_rows",
    "exams_plan",
    "install_rows",
]

_log = logging.getLogger("smarterproctoring_async")

#: What the bulk methods accept: refs, or report rows that carry a ``session_ref``.
RefSource = Iterable[object] | AsyncIterable[object]
#: Where an exam-level run's rows come from, exam by exam, as the run reads them.
RowSource = Callable[["Progress"], AsyncIterator[ExamRows]]


class Progress:
    """Counts results and reports them; learns the total from a paginator's first page."""

    def __init__(self, callback: ProgressCallback | None, total: int | None) -> None:
        self.callback = callback
        self.total = total
        self.done = 0
        self.failed = 0

    def __call__(self, result: SessionResult) -> None:
        self.done += 1
        self.failed += result.error is not None
        if self.callback is not None:
            self.callback(self.done, self.total, self.failed)

    def follow(self, refs: RefSource) -> RefSource:
        """``refs`` itself, or for a paginator its items while noting the total."""
        if isinstance(refs, Paginator):
            return self._pages(refs)
        return refs

    async def _pages(self, paginator: Paginator[object]) -> AsyncIterator[object]:
        # Closed explicitly: when the run ends early, the pages fetched ahead must stop now.
        async with aclosing(paginator.pages()) as pages:
            async for page in pages:
                self.total = page.total
                for item in page.items:
                    yield item


def exam_rows(
    context: Context, exams: Iterable[Exam] | AsyncIterable[Exam], concurrency: int
) -> RowSource:
    """Check ``exams`` (before any request); what reads each one's report rows."""
    if not isinstance(exams, (Iterable, AsyncIterable)) or isinstance(exams, (str, bytes)):
        raise TypeError(f"exams must be an iterable of Exam handles, got {type(exams).__name__}")
    if isinstance(exams, Iterable):
        exams = list(exams)
        for exam in exams:
            _exam_of(exam)
    asked: set[tuple[str, str]] = set()

    async def rows_of(item: object) -> list[ExamRows]:
        exam = _exam_of(item)
        if (exam.install_sid, exam.sid) in asked:  # given twice: synced once
            return []
        asked.add((exam.install_sid, exam.sid))
        report = Install(context, exam.install_sid).reports.appointments(exam_sid=exam.sid)
        try:
            rows = own_rows(exam, await report.collect())
        except Exception as raised:  # confined to this exam (refused too): its one result
            error = unwrap(raised)
            if is_fatal(error):
                raise_alone(error)
            return [ExamRows(exam, (), error=error)]
        if not rows:
            exam_note(logging.INFO, exam.sid, "the appointments report lists no session of it")
        return group(context, rows)

    async def source(progress: Progress) -> AsyncIterator[ExamRows]:
        # Every exam's rows first: the total of on_progress is their number.
        found = await gather(exams, rows_of, concurrency=concurrency)
        progress.total = sum(1 if e.error else len(e.rows) for each in found for e in each)
        for each in found:
            for exam in each:
                yield exam

    return source


def install_rows(
    context: Context, install: str | Install, filters: AppointmentFilters
) -> RowSource:
    """Check the install and filters (before any request); what reads its report once.

    The report is the run's whole input: when it fails, refused included, the run
    raises that error (there is no item to hold it).
    """
    handle = install if isinstance(install, Install) else Install(context, install)
    report = handle.reports.appointments(**filters)

    async def source(progress: Progress) -> AsyncIterator[ExamRows]:
        rows: list[Appointment] = []
        async with aclosing(report.pages()) as pages:
            async for page in pages:
                progress.total = page.total
                rows += page.items
        progress.total = len(rows)
        for exam in group(context, rows):
            yield exam

    return source


#: What starts a run's tracing span, given its progress (the client's ``_bulk_run``).
StartRun = Callable[[Progress], Callable[[], "Run | None"]]


class SessionsPlan:
    """What a session-level bulk method runs: each ref's session fetched by ``options``.

    ``refs`` is checked here (before any request) and read lazily by the run; a plan
    runs once, by :meth:`stream` or :meth:`gather`.
    """

    def __init__(
        self, context: Context, refs: RefSource, options: BulkOptions, *, start_run: StartRun
    ) -> None:
        if not isinstance(refs, (Iterable, AsyncIterable)) or isinstance(refs, (str, bytes)):
            raise TypeError(f"refs must be an iterable of SessionRef, got {type(refs).__name__}")
        self._context = context
        self._options = options
        self._progress = Progress(
            options.on_progress, len(refs) if isinstance(refs, Sized) else None
        )
        self._refs = self._progress.follow(refs)
        self._start_run = start_run(self._progress)

    def stream(self) -> FanOut[object, SessionResult]:
        """The results in completion order (an async context manager)."""
        return FanOut(
            self._refs,
            self._work,
            concurrency=self._options.concurrency,
            on_result=self._progress,
            start_run=self._start_run,
        )

    async def gather(self) -> list[SessionResult]:
        """Every result, in input order; ``options.into`` gets each as it arrives."""
        return await gather(
            self._refs,
            self._work,
            concurrency=self._options.concurrency,
            on_result=self._progress,
            into=self._options.into,
            start_run=self._start_run,
        )

    async def _work(self, item: object) -> SessionResult:
        try:
            session = Session(self._context, _ref_of(item))  # which checks every SID
        except Exception as error:  # e.g. a row missing a SID: its own result
            ref = item if isinstance(item, SessionRef) else None
            return SessionResult(ref=ref, error=error)
        options = self._options
        return await fetch_session_result(
            session,
            details=options.details,
            events=options.events,
            annotations=options.annotations,
            only_terminal=options.only_terminal,
        )


class ExamsPlan:
    """What an exam-level bulk method runs: its exams' rows, the work per exam, options."""

    def __init__(
        self,
        items: AsyncIterator[ExamRows],
        work: Callable[[ExamRows], Awaitable[list[SessionResult]]],
        *,
        concurrency: int,
        on_result: Callable[[Sequence[SessionResult]], object],
        start_run: Callable[[], Run | None],
    ) -> None:
        self._items = items
        self._work = work
        self._concurrency = concurrency
        self._on_result = on_result
        self._start_run = start_run

    def stream(self) -> FlatFanOut[ExamRows, SessionResult]:
        """The results as they come, exam by exam (an async context manager)."""
        run: FanOut[ExamRows, Sequence[SessionResult]] = FanOut(
            self._items,
            self._work,
            concurrency=self._concurrency,
            on_result=self._on_result,
            start_run=self._start_run,
        )
        return FlatFanOut(run)

    async def gather(self) -> list[SessionResult]:
        """Every result: exams in input order, each exam's in report order."""
        batches = await gather(
            self._items,
            self._work,
            concurrency=self._concurrency,
            on_result=self._on_result,
            start_run=self._start_run,
        )
        return [result for batch in batches for result in batch]


def exams_plan(
    context: Context,
    source: RowSource,
    options: BulkOptions,
    *,
    start_run: StartRun,
) -> ExamsPlan:
    """An exam-level bulk method's run: ``source``'s exams, each fetched by ``options``."""
    progress = Progress(options.on_progress, None)
    into = options.into

    def done(results: Sequence[SessionResult]) -> None:
        # Kept first: a progress callback that raises (Ctrl-C in a bar) loses nothing.
        if into is not None:
            into.extend(results)
        for result in results:
            progress(result)

    return ExamsPlan(
        source(progress),
        exam_work(context, options),
        concurrency=options.concurrency,
        on_result=done,
        start_run=start_run(progress),
    )


def _exam_of(item: object) -> Exam:
    if not isinstance(item, Exam):
        raise TypeError(f"expected an Exam handle (client.install(ai).exam(ex)), got {item!r:.80}")
    return item


def _ref_of(item: object) -> SessionRef:
    if isinstance(item, SessionRef):
        return item
    ref = getattr(item, "session_ref", None)
    if not isinstance(ref, SessionRef):
        raise TypeError(f"expected a SessionRef or a row with .session_ref, got {item!r:.80}")
    return ref
