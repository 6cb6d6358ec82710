"""What the client's bulk methods run, besides the fan-out itself.

- :class:`Progress`: the count behind ``on_progress(done, total, failed)``.
- The exam-level methods' parts: where their report rows come from (one report per
  exam, or the install's report once), their options checked before any request, and
  :class:`ExamsPlan`, what the fan-out is then given.
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
)
from contextlib import aclosing
from typing import Any

from ._exam_log import exam_note
from ._pagination import Paginator
from ._tracing import Run
from .bulk import FanOut, FlatFanOut, gather
from .errors import InvalidFilterError, raise_alone
from .models import Appointment, SessionResult
from .resources import Exam, Install
from .resources._context import Context
from .resources._failures import is_fatal, unwrap
from .resources.exam_results import (
    ExamRows,
    SyncOptions,
    exam_work,
    group,
    own_rows,
)
from .resources.reports import AppointmentFilters

__all__ = [
    "ExamsPlan",
    "Progress",
    "ProgressCallback",
    "RefSource",
    "check_bulk_options",
    "exam_rows",
    "exams_plan",
    "install_rows",
]

_log = logging.getLogger("smarterproctoring_async")

#: What the bulk methods accept: refs, or report rows that carry a ``session_ref``.
RefSource = Iterable[object] | AsyncIterable[object]
ProgressCallback = Callable[[int, "int | None", int], object]
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


def check_bulk_options(wanted: dict[str, Any]) -> None:
    """Refuse the options every bulk method shares (``wanted``: its ``locals()``), at once."""
    if wanted["only_terminal"] not in (True, False, "reviewed"):
        raise InvalidFilterError("only_terminal must be True, False or 'reviewed'")
    on_progress, into = wanted["on_progress"], wanted.get("into")
    if on_progress is not None and not callable(on_progress):
        raise TypeError("on_progress must be callable")
    if into is not None and not isinstance(into, list):
        raise TypeError(f"into must be a list, got {type(into).__name__}")


def exams_plan(
    context: Context,
    source: RowSource,
    wanted: dict[str, Any],
    *,
    concurrency: int,
    start_run: Callable[[Progress], Callable[[], Run | None]],
) -> ExamsPlan:
    """Check an exam-level bulk method's options (before any request); its run.

    ``wanted`` holds the method's arguments by name (its ``locals()``).
    """
    if wanted["plan"] not in ("auto", "exam", "session"):
        raise InvalidFilterError(
            f"plan must be 'auto', 'exam' or 'session', got {wanted['plan']!r}"
        )
    check_bulk_options(wanted)
    on_progress, into = wanted["on_progress"], wanted.get("into")
    options = SyncOptions(
        plan=wanted["plan"],
        only_terminal=wanted["only_terminal"],
        **{k: bool(wanted[k]) for k in ("full_details", "events", "annotations")},
    )
    progress = Progress(on_progress, None)

    def done(results: Sequence[SessionResult]) -> None:
        # Kept first: a progress callback that raises (Ctrl-C in a bar) loses nothing.
        if into is not None:
            into.extend(results)
        for result in results:
            progress(result)

    return ExamsPlan(
        source(progress),
        exam_work(context, options, concurrency),
        concurrency=concurrency,
        on_result=done,
        start_run=start_run(progress),
    )


def _exam_of(item: object) -> Exam:
    if not isinstance(item, Exam):
        raise TypeError(f"expected an Exam handle (client.install(ai).exam(ex)), got {item!r:.80}")
    return item
