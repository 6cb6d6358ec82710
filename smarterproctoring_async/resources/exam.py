"""The handle of one exam of an install, and its exam-level lists."""

from __future__ import annotations

from .. import _endpoints as E
from .._filters import OneOrMany
from .._pagination import Paginator
from ..models import SessionRef
from ..report_models import ReportRow, SessionEventRow
from ._context import Context
from .session import Session

__all__ = ["Exam"]


class Exam:
    """One exam of an install; creating it does no I/O."""

    def __init__(self, context: Context, install_sid: str, sid: str) -> None:
        self._context = context
        self.install_sid = install_sid
        self.sid = sid
        self._sids = {"installSid": install_sid, "examSid": sid}
        self._path = context.path(
            "/v1/installs/{installSid}/exams/{examSid}", installSid=install_sid, examSid=sid
        )

    def __repr__(self) -> str:
        return f"<Exam {self.sid} install={self.install_sid}>"

    def session(self, sid: str) -> Session:
        """The handle of one session of this exam (``ES…``)."""
        return Session(self._context, SessionRef(self.install_sid, self.sid, sid))

    def events(
        self,
        *,
        status: str | None = None,
        sort_keys: OneOrMany | None = None,
        sort_order: str | None = None,
    ) -> Paginator[SessionEventRow]:
        """Every event report of every session of the exam (List Exam Events).

        The reporting guide's batch pattern: one paginated list instead of one per
        session. ``status`` is ``"Open"`` or ``"Closed"``; each row's
        :attr:`~SessionEventRow.session_ref` names its session.
        """
        return self._context.listing(E.EXAM_EVENTS, SessionEventRow, locals(), self._sids)

    async def events_by_student(self) -> ReportRow:
        """The exam's event reports grouped by learner (one object, shape undocumented)."""
        return await self._context.single(E.EVENTS_BY_STUDENT, ReportRow, locals(), self._sids)

    async def annotations_by_student(self, *, severity: str | None = None) -> ReportRow:
        """The exam's annotations grouped by learner (one object, shape undocumented).

        ``severity`` is ``"green"``, ``"yellow"`` or ``"red"``.
        """
        return await self._context.single(E.ANNOTATIONS_BY_STUDENT, ReportRow, locals(), self._sids)
