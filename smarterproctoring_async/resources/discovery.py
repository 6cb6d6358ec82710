"""Discovery: courses, enrollments, an enrollment's sessions, and the event-type catalogue.

These walk the install's hierarchy (courses -> exams -> enrollments -> sessions) when
a report does not list what is needed. The reference documents no response shape
here except for enrollment sessions, so the other records are lenient
:class:`~smarterproctoring_async.ReportRow` objects.
"""

from __future__ import annotations

from .. import _endpoints as E
from .._filters import OneOrMany
from .._pagination import Paginator
from ..report_models import ReportRow, SessionSummary
from ._context import Context

__all__ = ["Course", "Enrollment", "EnrollmentExam", "event_types"]


def event_types(context: Context) -> Paginator[ReportRow]:
    """The catalogue of event types (``ET…``) used by event reports."""
    return context.listing(E.EVENT_TYPES, ReportRow, {}, {})


class Course:
    """One course of an install (``CU…``); creating it does no I/O."""

    def __init__(self, context: Context, install_sid: str, sid: str) -> None:
        self._context = context
        self.install_sid = install_sid
        self.sid = sid
        self._sids = {"installSid": install_sid, "courseSid": sid}
        context.path(E.COURSE.route, **self._sids)  # a bad SID fails here

    def __repr__(self) -> str:
        return f"<Course {self.sid} install={self.install_sid}>"

    async def get(self) -> ReportRow:
        """The course's details."""
        return await self._context.single(E.COURSE, ReportRow, {}, self._sids)

    def exams(
        self,
        *,
        include_status_summary: bool | None = None,
        sort_keys: OneOrMany | None = None,
        sort_order: str | None = None,
    ) -> Paginator[ReportRow]:
        """The exams of the course; ``sort_keys`` from ``title``, ``examOpenDate``,
        ``scheduleOpenDate``."""
        return self._context.listing(E.COURSE_EXAMS, ReportRow, locals(), self._sids)

    def enrollments(
        self,
        *,
        enrollment_sid: str | None = None,
        roles: OneOrMany | None = None,
        state: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        sort_keys: OneOrMany | None = None,
        sort_order: str | None = None,
    ) -> Paginator[ReportRow]:
        """The enrollments of the course; ``roles`` such as ``"learner"``."""
        return self._context.listing(E.COURSE_ENROLLMENTS, ReportRow, locals(), self._sids)

    async def roster(self, exam_sid: str) -> ReportRow:
        """One exam of the course with each enrollment's session status (one object)."""
        return await self._context.single(
            E.COURSE_ROSTER, ReportRow, {}, {**self._sids, "examSid": exam_sid}
        )


class Enrollment:
    """One enrollment of an install (``EN…``); creating it does no I/O."""

    def __init__(self, context: Context, install_sid: str, sid: str) -> None:
        self._context = context
        self.install_sid = install_sid
        self.sid = sid
        context.path("/{enrollmentSid}", enrollmentSid=sid)  # a bad SID fails here

    def __repr__(self) -> str:
        return f"<Enrollment {self.sid} install={self.install_sid}>"

    def exam(self, sid: str) -> EnrollmentExam:
        """This enrollment's view of one exam (``EX…``), to list its sessions."""
        return EnrollmentExam(self._context, self.install_sid, self.sid, sid)


class EnrollmentExam:
    """One enrollment's sessions of one exam; creating it does no I/O."""

    def __init__(
        self, context: Context, install_sid: str, enrollment_sid: str, exam_sid: str
    ) -> None:
        self._context = context
        self.install_sid = install_sid
        self.enrollment_sid = enrollment_sid
        self.exam_sid = exam_sid
        self._sids = {
            "installSid": install_sid,
            "enrollmentSid": enrollment_sid,
            "examSid": exam_sid,
        }
        context.path(E.ENROLLMENT_SESSIONS.route, **self._sids)  # a bad SID fails here

    def __repr__(self) -> str:
        return f"<EnrollmentExam enrollment={self.enrollment_sid} exam={self.exam_sid}>"

    def sessions(
        self,
        *,
        status: OneOrMany | None = None,
        include_active: bool | None = None,
        sort_keys: OneOrMany | None = None,
        sort_order: str | None = None,
    ) -> Paginator[SessionSummary]:
        """The enrollment's sessions of the exam (List enrollment exam sessions).

        The active session is listed only with ``include_active=True``; ``status`` is
        one value or several of ``"Needs Proctor"``, ``"Pending Approval"``,
        ``"Approval Denied"``, ``"Scheduled"``, ``"Incident"``, ``"Closed"``,
        ``"Processing"``.
        """
        return self._context.listing(E.ENROLLMENT_SESSIONS, SessionSummary, locals(), self._sids)
