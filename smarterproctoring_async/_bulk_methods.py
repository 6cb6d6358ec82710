"""The bulk methods of the client: many sessions, exams or a whole install in one call.

:class:`BulkMethods` is a base of :class:`~smarterproctoring_async.Client`; it needs
the client's context, configuration, transport and :meth:`session`. The engines are
elsewhere (``bulk``, ``sync._plans``, ``sync._exam_plan``); these methods check their
arguments once, into one :class:`~.sync._bulk_options.BulkOptions`, before any request,
and choose the plan.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable, Iterable
from typing import TYPE_CHECKING, Any, Literal

from ._config import ClientConfig
from ._tracing import Run
from ._transport import Transport
from .bulk import FanOut, FlatFanOut
from .models import SessionRef, SessionResult
from .resources import Exam, Install, Session
from .resources._context import Context
from .resources.reports import AppointmentFilters
from .sync import SyncSummary
from .sync._bulk_options import BulkOptions, Plan, ProgressCallback, bulk_options
from .sync._engine import run_sync
from .sync._exam_plan import ExamRows
from .sync._options import check_options
from .sync._plans import (
    ExamsPlan,
    Progress,
    RefSource,
    RowSource,
    SessionsPlan,
    exam_rows,
    exams_plan,
    install_rows,
)
from .sync._sessions import fetch_session_result

if TYPE_CHECKING:
    from ._typing import Unpack
    from .store import Store

__all__ = ["BulkMethods"]


class BulkMethods:
    """Fetching many sessions' results at once; see :class:`~smarterproctoring_async.Client`.

    ``concurrency`` means the same in every one of these methods and in :meth:`sync`:
    the most units of work in progress at once across the whole run, a unit being one
    session's fetches (its details, events and annotations, themselves concurrent),
    one exam-level event list, or one exam's appointments report. ``None`` (the
    default) means the client's ``max_concurrency``, which separately bounds the HTTP
    requests in flight. Finished results wait in a buffer of as many entries.
    """

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
        most ``concurrency`` sessions are in progress (see :class:`BulkMethods`);
        within one, details, events and annotations are fetched concurrently. Results
        (:class:`SessionResult`) arrive in completion order; a consumer that falls
        behind pauses the fetching. A failure confined to one session (a
        :class:`~smarterproctoring_async.errors.PermissionDeniedError` included) is in
        that result's ``error``; a fatal one (the token no longer works) stops the run
        and is raised as itself.
        ``on_progress(done, total or None, failed)`` is called after each session.
        """
        options = bulk_options(
            self._config.max_concurrency,
            concurrency=concurrency,
            details=details,
            events=events,
            annotations=annotations,
            only_terminal=only_terminal,
            on_progress=on_progress,
        )
        return self._sessions_plan("stream_session_results", refs, options).stream()

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
        options = bulk_options(
            self._config.max_concurrency,
            concurrency=concurrency,
            details=details,
            events=events,
            annotations=annotations,
            only_terminal=only_terminal,
            on_progress=on_progress,
            into=into,
        )
        return await self._sessions_plan("gather_session_results", refs, options).gather()

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
        exam (see :mod:`smarterproctoring_async.sync._exam_plan`). An exam whose
        rows do not name their session is read per session, with a WARNING: events are
        never guessed into a group; a session given fewer events than its row counts is
        read from its own list. Annotations come per session; the details come
        from the report row (``details_from_report``) unless it lacks a status and a
        date or ``full_details`` is true.

        One :class:`SessionResult` per report row, exam by exam, as each exam is done;
        the guarantees of :meth:`stream_session_results` hold (bounded work and buffer,
        per-session errors, clean cancel). ``on_progress(done, total, failed)`` counts
        sessions against the reports' totals.
        """
        options = bulk_options(
            self._config.max_concurrency,
            concurrency=concurrency,
            plan=plan,
            only_terminal=only_terminal,
            full_details=full_details,
            events=events,
            annotations=annotations,
            on_progress=on_progress,
        )
        plan_ = self._exams_plan(
            "stream_exam_results", exam_rows(self._context, exams, options.concurrency), options
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
        options = bulk_options(
            self._config.max_concurrency,
            concurrency=concurrency,
            plan=plan,
            only_terminal=only_terminal,
            full_details=full_details,
            events=events,
            annotations=annotations,
            on_progress=on_progress,
            into=into,
        )
        plan_ = self._exams_plan(
            "gather_exam_results", exam_rows(self._context, exams, options.concurrency), options
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
        options = bulk_options(
            self._config.max_concurrency,
            concurrency=concurrency,
            plan=plan,
            only_terminal=only_terminal,
            full_details=full_details,
            events=events,
            annotations=annotations,
            on_progress=on_progress,
        )
        plan_ = self._exams_plan(
            "stream_install_results", install_rows(self._context, install, filters), options
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
        options = bulk_options(
            self._config.max_concurrency,
            concurrency=concurrency,
            plan=plan,
            only_terminal=only_terminal,
            full_details=full_details,
            events=events,
            annotations=annotations,
            on_progress=on_progress,
            into=into,
        )
        plan_ = self._exams_plan(
            "gather_install_results", install_rows(self._context, install, filters), options
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
        refetch: bool = False,
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
        is fetched again with its late annotations (``refetch=True``: the first pass
        fetches every session, for changes a row does not show). A failure confined to one session
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
            concurrency=concurrency,
            max_concurrency=self._config.max_concurrency,
            on_progress=on_progress,
            follow=follow,
            interval=interval,
            refetch=refetch,
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

    def _sessions_plan(self, name: str, refs: RefSource, options: BulkOptions) -> SessionsPlan:
        start = lambda progress: self._bulk_run(name, progress)  # noqa: E731
        return SessionsPlan(self._context, refs, options, start_run=start)

    def _exams_plan(self, name: str, source: RowSource, options: BulkOptions) -> ExamsPlan:
        start = lambda progress: self._bulk_run(name, progress)  # noqa: E731
        return exams_plan(self._context, source, options, start_run=start)

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
