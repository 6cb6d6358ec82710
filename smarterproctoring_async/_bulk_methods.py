"""The bulk methods of the client: many sessions, exams or a whole install in one call.

:class:`BulkMethods` is a base of :class:`~smarterproctoring_async.Client`; it needs
the client's context, configuration, transport and :meth:`session`. The engines are
elsewhere (``bulk``, ``_runs``, ``resources.exam_results``); these methods check their
arguments before any request and choose the plan.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Sized
from typing import TYPE_CHECKING, Any, Literal

from ._config import ClientConfig
from ._runs import (
    ExamsPlan,
    Progress,
    ProgressCallback,
    RefSource,
    RowSource,
    check_bulk_options,
    exam_rows,
    exams_plan,
    install_rows,
)
from ._tracing import Run
from ._transport import Transport
from .bulk import FanOut, FlatFanOut, gather
from .errors import InvalidFilterError
from .models import SessionRef, SessionResult
from .resources import Exam, Install, Session
from .resources._context import Context
from .resources.exam_results import ExamRows, Plan
from .resources.reports import AppointmentFilters
from .resources.results import fetch_session_result
from .sync import SyncSummary
from .sync._engine import run_sync
from .sync._options import check_options

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .store import Store

__all__ = ["BulkMethods"]


class BulkMethods:
    """Fetching many sessions' results at once; see :class:`~smarterproctoring_async.Client`."""

    _config: ClientConfig
    _context: Context
    _transport: Transport

    def session(self, ref: Any) -> Session:
        """The handle of one session (the client's)."""
        raise NotImplementedError  # pragma: no cover - Client defines it

    def stream_session_results(
        self,
        refs: RefSource,
        *,
        concurrency: int | None = None,
        details: bool = True,
        events: bool = True,
        annotations: bool = True,
        only_terminal: bool | Literal["reviewed"] = False,
        on_progress: ProgressCallback | None = None,
    ) -> FanOut[object, SessionResult]:
        """Fetch many sessions' results; use as ``async with ... as results``.

        ``refs`` is any iterable or async iterable of :class:`SessionRef` or of rows
        with a ``.session_ref`` (a report :class:`Paginator` works), read lazily. At
        most ``concurrency`` sessions (default: ``max_concurrency``) are in progress;
        within one, details, events and annotations are fetched concurrently. Results
        (:class:`SessionResult`) arrive in completion order; a consumer that falls
        behind pauses the fetching. A failure confined to one session (a
        :class:`~smarterproctoring_async.errors.PermissionDeniedError` included) is in
        that result's ``error``; a fatal one (the token no longer works) stops the run
        and is raised as itself.
        ``on_progress(done, total or None, failed)`` is called after each session.
        """
        source, work, progress = self._bulk_plan(refs, on_progress, wanted=locals())
        limit = self._bulk_concurrency(concurrency)
        run = self._bulk_run("stream_session_results", progress)
        return FanOut(source, work, concurrency=limit, on_result=progress, start_run=run)

    async def gather_session_results(
        self,
        refs: RefSource,
        *,
        concurrency: int | None = None,
        details: bool = True,
        events: bool = True,
        annotations: bool = True,
        only_terminal: bool | Literal["reviewed"] = False,
        on_progress: ProgressCallback | None = None,
        into: list[SessionResult] | None = None,
    ) -> list[SessionResult]:
        """Like :meth:`stream_session_results`, but returns every result in input order.

        ``into``: a list each result is also appended to as it arrives (completion
        order). When the call is interrupted (Ctrl-C in a notebook, a cancelled task, a
        fatal error), the list still holds every session fetched until then.
        """
        source, work, progress = self._bulk_plan(refs, on_progress, wanted=locals())
        limit = self._bulk_concurrency(concurrency)
        run = self._bulk_run("gather_session_results", progress)
        return await gather(
            source, work, concurrency=limit, on_result=progress, into=into, start_run=run
        )

    def stream_exam_results(
        self,
        exams: Iterable[Exam] | AsyncIterable[Exam],
        *,
        plan: Plan = "exam",
        only_terminal: bool | Literal["reviewed"] = False,
        full_details: bool = False,
        events: bool = True,
        annotations: bool = True,
        concurrency: int | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> FlatFanOut[ExamRows, SessionResult]:
        """Every session of each exam, its events read through the exam-level list.

        Use as ``async with client.stream_exam_results(exams) as results``. ``exams``
        are :class:`~smarterproctoring_async.resources.Exam` handles
        (``client.install(ai).exam(ex)``). Each exam's sessions are those the
        appointments report lists for it; its events are read once through the
        exam-level list and grouped by the session each row names (``plan="exam"``);
        ``"session"`` reads each session's own list, ``"auto"`` picks the cheaper per
        exam (see :mod:`smarterproctoring_async.resources.exam_results`). An exam whose
        rows do not name their session is read per session, with a WARNING: events are
        never guessed into a group. Annotations come per session; the details come
        from the report row (``details_from_report``) unless it lacks a status and a
        date or ``full_details`` is true.

        One :class:`SessionResult` per report row, exam by exam, as each exam is done;
        the guarantees of :meth:`stream_session_results` hold (bounded work and buffer,
        per-session errors, clean cancel). ``on_progress(done, total, failed)`` counts
        sessions against the reports' totals.
        """
        plan_ = self._exams_plan(
            "stream_exam_results",
            exam_rows(self._context, exams, self._bulk_concurrency(concurrency)),
            locals(),
        )
        return plan_.stream()

    async def gather_exam_results(
        self,
        exams: Iterable[Exam] | AsyncIterable[Exam],
        *,
        plan: Plan = "exam",
        only_terminal: bool | Literal["reviewed"] = False,
        full_details: bool = False,
        events: bool = True,
        annotations: bool = True,
        concurrency: int | None = None,
        on_progress: ProgressCallback | None = None,
        into: list[SessionResult] | None = None,
    ) -> list[SessionResult]:
        """Like :meth:`stream_exam_results`, as a list: exams in input order, each
        exam's sessions in report order. ``into`` as in :meth:`gather_session_results`."""
        plan_ = self._exams_plan(
            "gather_exam_results",
            exam_rows(self._context, exams, self._bulk_concurrency(concurrency)),
            locals(),
        )
        return await plan_.gather()

    def stream_install_results(
        self,
        install: str | Install,
        *,
        plan: Plan = "auto",
        only_terminal: bool | Literal["reviewed"] = True,
        full_details: bool = False,
        events: bool = True,
        annotations: bool = True,
        concurrency: int | None = None,
        on_progress: ProgressCallback | None = None,
        **filters: Unpack[AppointmentFilters],
    ) -> FlatFanOut[ExamRows, SessionResult]:
        """Sync an install: every session its appointments report lists (``filters`` as
        for :meth:`Reports.appointments`), in the fewest requests.

        The report is read once; its rows are held, grouped by exam, and each exam is
        read by the cheaper plan (``plan="auto"``; see :meth:`stream_exam_results`).
        With ``only_terminal`` (the default) a session not Closed or Cancelled (with
        ``"reviewed"``: or not reviewed yet) is returned as skipped, at no request.
        ``on_progress`` counts sessions against the report's total.
        """
        plan_ = self._exams_plan(
            "stream_install_results", install_rows(self._context, install, filters), locals()
        )
        return plan_.stream()

    async def gather_install_results(
        self,
        install: str | Install,
        *,
        plan: Plan = "auto",
        only_terminal: bool | Literal["reviewed"] = True,
        full_details: bool = False,
        events: bool = True,
        annotations: bool = True,
        concurrency: int | None = None,
        on_progress: ProgressCallback | None = None,
        into: list[SessionResult] | None = None,
        **filters: Unpack[AppointmentFilters],
    ) -> list[SessionResult]:
        """Like :meth:`stream_install_results`, as a list: exams in the order the report
        first names them, each exam's sessions in report order."""
        plan_ = self._exams_plan(
            "gather_install_results", install_rows(self._context, install, filters), locals()
        )
        return await plan_.gather()

    async def sync(
        self,
        install: str | Install,
        store: Store,
        *,
        only_terminal: Literal[True, "reviewed"] = True,
        full_details: bool = False,
        shard: tuple[int, int] | None = None,
        concurrency: int | None = None,
        on_progress: ProgressCallback | None = None,
        follow: bool = False,
        interval: float = 300.0,
        window: str | None = None,
        tz: str | None = None,
        lock_wait: float = 5.0,
        **filters: Unpack[AppointmentFilters],
    ) -> SyncSummary:
        """Sync an install's terminal sessions into ``store`` (an open
        :class:`~smarterproctoring_async.Store`): each with every event and annotation,
        committed in one transaction, so a session is in the store whole or not at all.

        The appointments report is read once (``filters`` as for
        :meth:`Reports.appointments`); a session whose report row is unchanged since it
        was stored costs no request; the others are fetched as by
        :meth:`stream_install_results` (exam-level lists where cheaper) and saved as
        each arrives. Sessions not Closed or Cancelled yet (with
        ``only_terminal="reviewed"``: or not reviewed yet) are skipped and looked at
        again next time; a session whose review completes later changes its row, so it
        is fetched again with its late annotations. A failure confined to one session
        is counted and listed in the summary's ``errors`` (and tried again next time);
        a fatal one (the token no longer works) ends the sync and is raised.

        ``shard=(I, N)`` syncs only the sessions of shard I of N (see
        :func:`~smarterproctoring_async.shard_of`): N workers, one shard each, fill one
        store as a single sync would. ``follow=True`` syncs again every ``interval``
        seconds until cancelled; ``window="22:00-06:00"`` (in zone ``tz``, such as
        ``"Europe/Paris"``; the machine's by default) starts passes only within those
        hours, waiting otherwise. The store's lock on the install (and shard) is held
        throughout; another sync holding it makes this one wait ``lock_wait`` seconds,
        then raise ``StoreBusyError``. Cancelling finishes the session being saved and
        records the run as stopped. Every argument is checked before any request.

        Returns a :class:`~smarterproctoring_async.SyncSummary` (the store's run log
        holds the same counts).
        """
        options = check_options(
            self._context,
            install,
            store,
            only_terminal=only_terminal,
            full_details=full_details,
            shard=shard,
            concurrency=self._bulk_concurrency(concurrency),
            on_progress=on_progress,
            follow=follow,
            interval=interval,
            window=window,
            tz=tz,
            lock_wait=lock_wait,
            filters=filters,
        )
        start = lambda progress: self._bulk_run("sync", progress)  # noqa: E731
        return await run_sync(self._context, self._transport.stats, options, start)

    async def sync_session(
        self,
        ref: SessionRef,
        *,
        poll_interval: float = 30.0,
        timeout: float | None = 3600.0,
        require_review: bool = False,
    ) -> SessionResult:
        """The guide's post-session sync: wait until terminal, then pull everything.

        ``require_review`` waits for the proctor's review too (annotations are added
        during or after it). Errors are raised (this is one session), so the result's
        ``error`` is ``None``.
        """
        session = self.session(ref)
        closed = await session.wait_until_terminal(
            poll_interval=poll_interval, timeout=timeout, require_review=require_review
        )
        result = await fetch_session_result(session, details=False)
        return SessionResult(
            ref=result.ref,
            session=closed,
            events=result.events,
            annotations=result.annotations,
            error=result.error,
        )

    def _bulk_plan(
        self, refs: RefSource, on_progress: ProgressCallback | None, *, wanted: dict[str, Any]
    ) -> tuple[RefSource, Callable[[object], Awaitable[SessionResult]], Progress]:
        """Check the bulk arguments (before any request) and build the per-session work."""
        if not isinstance(refs, (Iterable, AsyncIterable)) or isinstance(refs, (str, bytes)):
            raise TypeError(f"refs must be an iterable of SessionRef, got {type(refs).__name__}")
        check_bulk_options(wanted)
        options: dict[str, Any] = {k: bool(wanted[k]) for k in ("details", "events", "annotations")}
        options["only_terminal"] = wanted["only_terminal"]
        progress = Progress(on_progress, len(refs) if isinstance(refs, Sized) else None)

        async def work(item: object) -> SessionResult:
            try:
                session = self.session(_ref_of(item))
            except Exception as error:  # e.g. a row missing a SID: its own result
                ref = item if isinstance(item, SessionRef) else None
                return SessionResult(ref=ref, error=error)
            return await fetch_session_result(session, **options)

        return progress.follow(refs), work, progress

    def _exams_plan(self, name: str, source: RowSource, wanted: dict[str, Any]) -> ExamsPlan:
        limit = self._bulk_concurrency(wanted["concurrency"])
        start = lambda progress: self._bulk_run(name, progress)  # noqa: E731
        return exams_plan(self._context, source, wanted, concurrency=limit, start_run=start)

    def _bulk_run(self, name: str, progress: Progress) -> Callable[[], Run | None]:
        """What starts the run's span (when tracing): its sessions are counted at the end."""
        tracing = self._transport.tracing

        def start() -> Run | None:
            run = tracing.start_run(name, {})
            if run is not None:
                run.final = lambda: {
                    "smarterproctoring.sessions": progress.done,
                    "smarterproctoring.sessions.failed": progress.failed,
                }
            return run

        return start

    def _bulk_concurrency(self, concurrency: int | None) -> int:
        if concurrency is None:
            return self._config.max_concurrency
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise InvalidFilterError(f"concurrency must be a positive int, got {concurrency!r}")
        return concurrency


def _ref_of(item: object) -> SessionRef:
    if isinstance(item, SessionRef):
        return item
    ref = getattr(item, "session_ref", None)
    if not isinstance(ref, SessionRef):
        raise TypeError(f"expected a SessionRef or a row with .session_ref, got {item!r:.80}")
    return ref
