"""The sessions of one exam as :mod:`._exam_plan` fetches them, and what the token may read.

Each wanted session's own requests (details, events, annotations) run through
:meth:`SessionFetch.guard`: a failure confined to the session becomes its error, a
fatal one is raised as itself. :class:`Denial` keeps a denied exam from costing one
refused request per session.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from .._exam_log import exam_note
from ..errors import DecodeError, PermissionDeniedError, raise_alone
from ..models import Appointment, EventReport, ExamSession, SessionResult, decoder
from ..resources._failures import Tasks, is_fatal, unwrap
from ..resources.session import Session, is_reviewed
from ._sessions import left_out
from ._slots import Slot

__all__ = ["Denial", "SessionFetch", "each"]

_log = logging.getLogger("smarterproctoring_async")


class Denial:
    """Whether the token may read one exam at all, as the exam's answers so far say.

    A :class:`~smarterproctoring_async.errors.PermissionDeniedError` on the exam's
    exam-level list alone does not mean its sessions are denied too (a policy may name
    sessions one by one), and one on a session alone says nothing of its neighbours.
    Both together: the exam is taken as denied as a whole, and :attr:`whole` is the
    error each session not read yet gets, without a request of its own.
    """

    def __init__(self, exam_sid: str) -> None:
        self.exam_sid = exam_sid
        self._exam: PermissionDeniedError | None = None
        self._session: PermissionDeniedError | None = None

    @property
    def whole(self) -> PermissionDeniedError | None:
        """The exam-level refusal once a session of the exam was refused too, else None."""
        return self._exam if self._session is not None else None

    @property
    def suspected(self) -> bool:
        """The exam-level list was refused, and no session's request was yet."""
        return self._exam is not None and self._session is None

    def exam_level(self, error: PermissionDeniedError) -> None:
        """Note that the exam-level list was refused."""
        self._exam = error
        self._said()

    def session_level(self, error: PermissionDeniedError) -> None:
        """Note that a request of one of the exam's sessions was refused."""
        if self._session is None:
            self._session = error
            self._said()

    def _said(self) -> None:
        if self._exam is not None and self._session is not None:
            exam_note(
                logging.WARNING,
                self.exam_sid,
                "the token may read neither its exam-level list nor its sessions; "
                "its sessions not read yet are errors, without a request each",
            )


class SessionFetch:
    """One wanted session's fetching state: its report row, what was read, its error."""

    def __init__(self, index: int, row: Appointment, session: Session, denial: Denial) -> None:
        self.index = index
        self.row = row
        self.session = session
        self.denial = denial
        self.details_found: ExamSession | None = None
        self.from_report = False
        self.events: tuple[EventReport, ...] | None = None
        self.own_events_read = False  # read from its own list after the exam-level one
        self.annotations: tuple[Any, ...] | None = None
        self.error: Exception | None = None

    def details_from_row(self, only_terminal: bool | Literal["reviewed"] = False) -> bool:
        """Take the details from the report row if it has a status and a date, and,
        when reviewed sessions are asked for, if it says the review is over: a row
        cannot carry ``reviewed``, so only the details can say it is not."""
        row = self.row
        if not (row.status and row.appointment_date is not None):
            return False
        # The row's own fields, exactly (to_dict()), with the install of its ref.
        install = {"install_sid": self.session.ref.install_sid}
        try:
            details = decoder(ExamSession, install)(row.to_dict())
        except DecodeError as error:  # a field the details type more strictly: ask for them
            # DEBUG: the line names the session and the decoder's words.
            _log.debug("session %s: its report row is not details (%s)", row.sid, error)
            return False
        if only_terminal == "reviewed" and details.is_terminal and not is_reviewed(details):
            return False
        self.details_found = details
        self.from_report = True
        return True

    async def own_details(self) -> None:
        """The session's Exam Session Details."""
        self.details_found = await self.session.get()

    def skipped(self, only_terminal: bool | Literal["reviewed"]) -> bool:
        """Whether ``only_terminal`` leaves this session out (its details say so)."""
        found = self.details_found
        return found is not None and left_out(found, only_terminal)

    async def guard(self, fetch: Callable[[], Awaitable[None]]) -> None:
        """Run ``fetch``; a failure confined to this session becomes its error.

        A fatal error is raised as itself. Once the exam is denied as a whole (see
        :class:`Denial`), nothing more is asked: the refusal is the session's error.
        """
        if self.error is not None:
            return
        if (denied := self.denial.whole) is not None:
            self.error = denied
            return
        try:
            await fetch()
        except Exception as raised:
            error = unwrap(raised)
            if is_fatal(error):
                raise_alone(error)
            if isinstance(error, PermissionDeniedError):
                self.denial.session_level(error)
            self.error = error

    async def own_events(self) -> None:
        """The session's own event list."""
        self.events = tuple(await self.session.events().collect())

    async def own_annotations(self) -> None:
        """The session's own annotation list."""
        self.annotations = tuple(await self.session.annotations().collect())

    async def own_lists(self, events: bool, annotations: bool) -> None:
        """The session's own event and annotation lists, those asked for, at once."""
        async with Tasks() as tasks:
            if events:
                tasks.start_soon(self.own_events)
            if annotations:
                tasks.start_soon(self.own_annotations)

    def result(self, plan: Literal["session", "exam"], *, skipped: bool = False) -> SessionResult:
        """The session's result: what was read, or its error."""
        ref = self.session.ref
        plan = "session" if self.own_events_read else plan
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


async def each(
    sessions: list[SessionFetch],
    fetch: Callable[[SessionFetch], Awaitable[None]],
    slots: Slot,
) -> None:
    """``fetch`` every session, each holding one of the run's ``slots`` while it runs.

    A fatal error (``fetch`` raises no other) cancels the others and is raised itself.
    """

    async def run(one: SessionFetch) -> None:
        try:
            await fetch(one)
        finally:
            slots.release()

    async with Tasks() as tasks:
        for one in sessions:
            # Taken before the task starts: the run never has more tasks than slots.
            await slots.acquire()
            tasks.start_soon(run, one)
