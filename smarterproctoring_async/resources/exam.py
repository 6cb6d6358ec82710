"""The handle of one exam of an install, and its exam-level lists."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from .._endpoint import list_endpoint, one_endpoint
from .._filters import Many, SortOrder
from .._pagination import Paginator
from .._typing import TypedDict
from ..models import Record, SessionEventRow, SessionRef
from ._context import Context
from .session import Session

if TYPE_CHECKING:
    from .._typing import Unpack

__all__ = ["Exam", "ExamEventFilters", "StudentAnnotationFilters"]


class ExamEventFilters(TypedDict, total=False):
    """Filters of :meth:`Exam.events`."""

    status: Literal["Open", "Closed"]
    sort_keys: Many[Literal["createdDate"]]
    sort_order: SortOrder


class StudentAnnotationFilters(TypedDict, total=False):
    """Filters of :meth:`Exam.annotations_by_student`."""

    severity: Literal["green", "yellow", "red"]


_EXAM = "/v1/installs/{installSid}/exams/{examSid}"
# The rows' sid has no documented meaning: ER values are events, anything else is kept.
EXAM_EVENTS = list_endpoint(_EXAM + "/events", SessionEventRow, ExamEventFilters, sid_prefix="ER")
EVENTS_BY_STUDENT = one_endpoint(_EXAM + "/eventsByStudent", Record)
ANNOTATIONS_BY_STUDENT = one_endpoint(
    _EXAM + "/annotationsByStudent", Record, StudentAnnotationFilters
)


class Exam:
    """One exam of an install; creating it does no I/O."""

    def __init__(self, context: Context, install_sid: str, sid: str) -> None:
        self._context = context
        self.install_sid = install_sid
        self.sid = sid
        self._sids = {"installSid": install_sid, "examSid": sid}
        context.path(_EXAM, self._sids)  # a bad SID fails here, before any request

    def __repr__(self) -> str:
        return f"<Exam {self.sid} install={self.install_sid}>"

    def session(self, sid: str) -> Session:
        """The handle of one session of this exam (``ES…``)."""
        return Session(self._context, SessionRef(self.install_sid, self.sid, sid))

    def events(self, **filters: Unpack[ExamEventFilters]) -> Paginator[SessionEventRow]:
        """Every event report of every session of the exam (List Exam Events).

        The reporting guide's batch pattern: one paginated list instead of one per
        session. ``status`` is ``"Open"`` or ``"Closed"``; each row's
        :attr:`~SessionEventRow.session_ref` names its session.
        """
        return self._context.list(EXAM_EVENTS, self._sids, filters)

    async def events_by_student(self) -> Record:
        """The exam's event reports grouped by learner (one object, shape undocumented)."""
        return await self._context.one(EVENTS_BY_STUDENT, self._sids)

    async def annotations_by_student(self, **filters: Unpack[StudentAnnotationFilters]) -> Record:
        """The exam's annotations grouped by learner (one object, shape undocumented).

        ``severity`` is ``"green"``, ``"yellow"`` or ``"red"``.
        """
        return await self._context.one(ANNOTATIONS_BY_STUDENT, self._sids, filters)
