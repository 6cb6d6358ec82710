"""Discovery: courses, enrollments, an enrollment's sessions, and the event-type catalogue.

These walk the install's hierarchy (courses -> exams -> enrollments -> sessions) when
a report does not list what is needed. The reference documents no response shape
here except for enrollment sessions, so the other records are lenient
:class:`~smarterproctoring_async.Record` objects.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from .._endpoint import list_endpoint, one_endpoint
from .._filters import SID, Many, SortOrder
from .._pagination import Paginator
from .._typing import TypedDict
from ..models import Record, SessionSummary
from ._context import Context

if TYPE_CHECKING:
    from .._typing import Unpack

__all__ = [
    "Course",
    "CourseEnrollmentFilters",
    "CourseExam",
    "CourseExamFilters",
    "Enrollment",
    "EnrollmentExam",
    "EnrollmentSessionFilters",
    "event_types",
]

Role = Literal[
    "learner", "instructor", "administrator", "teachingAssistant", "contentDeveloper", "mentor"
]
CourseEnrollmentState = Literal[
    "active", "inactive", "invited", "pending deletion", "creation pending", "rejected",
    "completed", "deleted",
]  # fmt: skip
EnrollmentSessionStatus = Literal[
    "Needs Proctor", "Pending Approval", "Approval Denied", "Scheduled", "Incident", "Closed",
    "Processing",
]  # fmt: skip


class CourseExamFilters(TypedDict, total=False):
    """Filters of :meth:`Course.exams` (``dob`` is left out: the reference does not say
    what it filters)."""

    include_status_summary: bool
    sort_keys: Many[Literal["title", "examOpenDate", "scheduleOpenDate"]]
    sort_order: SortOrder


class CourseEnrollmentFilters(TypedDict, total=False):
    """Filters of :meth:`Course.enrollments`."""

    enrollment_sid: Annotated[str, SID]
    first_name: str
    last_name: str
    roles: Many[Role]
    state: CourseEnrollmentState
    sort_keys: Many[Literal["createdDate", "firstName", "lastName"]]
    sort_order: SortOrder


class EnrollmentSessionFilters(TypedDict, total=False):
    """Filters of :meth:`EnrollmentExam.sessions`."""

    status: Many[EnrollmentSessionStatus]
    include_active: bool
    sort_keys: Many[Literal["createdDate"]]
    sort_order: SortOrder


_COURSE = "/v1/installs/{installSid}/courses/{courseSid}"
COURSE = one_endpoint(_COURSE, Record)
COURSE_EXAMS = list_endpoint(_COURSE + "/exams", Record, CourseExamFilters)
COURSE_ENROLLMENTS = list_endpoint(_COURSE + "/enrollments", Record, CourseEnrollmentFilters)
COURSE_EXAM = one_endpoint(_COURSE + "/exams/{examSid}", Record)
COURSE_ROSTER = one_endpoint(
    "/v1/install/{installSid}/courses/{courseSid}/exams/{examSid}/enrollments", Record
)
ENROLLMENT_SESSIONS = list_endpoint(
    "/v1/installs/{installSid}/enrollments/{enrollmentSid}/exams/{examSid}/sessions",
    SessionSummary,
    EnrollmentSessionFilters,
    sid_prefix="ES",
)
EVENT_TYPES = list_endpoint("/v1/sessions/events/types", Record)


def event_types(context: Context) -> Paginator[Record]:
    """The catalogue of event types (``ET…``) used by event reports."""
    return context.list(EVENT_TYPES, {})


class Course:
    """One course of an install (``CU…``); creating it does no I/O."""

    def __init__(self, context: Context, install_sid: str, sid: str) -> None:
        self._context = context
        self.install_sid = install_sid
        self.sid = sid
        self._sids = {"installSid": install_sid, "courseSid": sid}
        context.path(_COURSE, self._sids)  # a bad SID fails here

    def __repr__(self) -> str:
        return f"<Course {self.sid} install={self.install_sid}>"

    async def get(self) -> Record:
        """The course's details."""
        return await self._context.one(COURSE, self._sids)

    def exams(self, **filters: Unpack[CourseExamFilters]) -> Paginator[Record]:
        """The exams of the course; ``sort_keys`` from ``title``, ``examOpenDate``,
        ``scheduleOpenDate``."""
        return self._context.list(COURSE_EXAMS, self._sids, filters)

    def enrollments(self, **filters: Unpack[CourseEnrollmentFilters]) -> Paginator[Record]:
        """The enrollments of the course; ``roles`` such as ``"learner"``."""
        return self._context.list(COURSE_ENROLLMENTS, self._sids, filters)

    def exam(self, sid: str) -> CourseExam:
        """The handle of one exam of this course (``EX…``), for its details."""
        return CourseExam(self._context, self.install_sid, self.sid, sid)

    async def roster(self, exam_sid: str) -> Record:
        """One exam of the course with each enrollment's session status (one object)."""
        return await self._context.one(COURSE_ROSTER, {**self._sids, "examSid": exam_sid})


class CourseExam:
    """One exam of a course; creating it does no I/O (the exam's route needs its course)."""

    def __init__(self, context: Context, install_sid: str, course_sid: str, sid: str) -> None:
        self._context = context
        self.sid = sid
        self._sids = {"installSid": install_sid, "courseSid": course_sid, "examSid": sid}
        context.path(COURSE_EXAM.route, self._sids)  # a bad SID fails here

    def __repr__(self) -> str:
        return f"<CourseExam {self.sid} course={self._sids['courseSid']}>"

    async def get(self) -> Record:
        """The exam's details (shape undocumented: a generic record)."""
        return await self._context.one(COURSE_EXAM, self._sids)


class Enrollment:
    """One enrollment of an install (``EN…``); creating it does no I/O."""

    def __init__(self, context: Context, install_sid: str, sid: str) -> None:
        self._context = context
        self.install_sid = install_sid
        self.sid = sid
        context.path("/{enrollmentSid}", {"enrollmentSid": sid})  # a bad SID fails here

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
        context.path(ENROLLMENT_SESSIONS.route, self._sids)  # a bad SID fails here

    def __repr__(self) -> str:
        return f"<EnrollmentExam enrollment={self.enrollment_sid} exam={self.exam_sid}>"

    def sessions(self, **filters: Unpack[EnrollmentSessionFilters]) -> Paginator[SessionSummary]:
        """The enrollment's sessions of the exam (List enrollment exam sessions).

        The active session is listed only with ``include_active=True``; ``status`` is
        one value or several of ``"Needs Proctor"``, ``"Pending Approval"``,
        ``"Approval Denied"``, ``"Scheduled"``, ``"Incident"``, ``"Closed"``,
        ``"Processing"``.
        """
        return self._context.list(ENROLLMENT_SESSIONS, self._sids, filters)
