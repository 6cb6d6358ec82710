"""The handle of one install, the root of every path."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from .._endpoint import list_endpoint, one_endpoint
from .._filters import NO_PERCENT, ONE, SID, Many, SortOrder
from .._pagination import Paginator
from .._typing import TypedDict
from ..models import Record
from ._context import Context
from .discovery import Course, Enrollment
from .exam import Exam
from .reports import Reports

if TYPE_CHECKING:
    from .._typing import Unpack

__all__ = [
    "AnnotationTypeFilters",
    "CourseFilters",
    "CourseOffering",
    "EnrollmentFilters",
    "Install",
]

Text = Annotated[str, NO_PERCENT]


class CourseFilters(TypedDict, total=False):
    """Filters of :meth:`Install.courses`; the search texts may not contain ``%``."""

    instructor_sid: Annotated[str, SID]
    course_offering_sid: Annotated[str, SID]
    has_active_exam: bool
    title_search_text: Text
    code_search_text: Text
    sort_keys: Many[
        Literal[
            "courseCode", "courseTitle", "createdDate", "instructorName", "activeExamCount",
            "offeringSid",
        ]
    ]  # fmt: skip
    sort_order: SortOrder


class EnrollmentFilters(TypedDict, total=False):
    """Filters of :meth:`Install.enrollments`; text filters may not contain ``%``."""

    user_sid: Annotated[str, SID]
    first_name: Text
    last_name: Text
    email: Text
    course: Text
    course_offering: Text
    role: Text
    state: Literal["active", "inactive", "invited", "pending deletion", "deleted"]
    sort_keys: Annotated[Many[Literal["createdDate", "firstName", "lastName"]], ONE]
    sort_order: SortOrder


class AnnotationTypeFilters(TypedDict, total=False):
    """Filters of :meth:`Install.annotation_types`: the annotation filters the guide
    promises (a category, or several)."""

    category_id: Many[str]
    include_ending_annotations: bool


_INSTALL = "/v1/installs/{installSid}"
_OFFERING = _INSTALL + "/courseOfferings/{offeringSid}"
COURSES = list_endpoint(_INSTALL + "/courses", Record, CourseFilters)
ENROLLMENTS = list_endpoint(_INSTALL + "/enrollments", Record, EnrollmentFilters)
COURSE_OFFERINGS = list_endpoint(_INSTALL + "/courseOfferings", Record)
COURSE_OFFERING = one_endpoint(_OFFERING, Record)
# Not paginated (no offset/limit in the reference): the whole list in one answer.
ANNOTATION_TYPES = one_endpoint(
    "/v2/installs/{installSid}/annotationTypes", Record, AnnotationTypeFilters
)


class CourseOffering:
    """One course offering of an install (``CO…``); creating it does no I/O."""

    def __init__(self, context: Context, install_sid: str, sid: str) -> None:
        self._context = context
        self.install_sid = install_sid
        self.sid = sid
        self._sids = {"installSid": install_sid, "offeringSid": sid}
        context.path(_OFFERING, self._sids)  # a bad SID fails here, before any request

    def __repr__(self) -> str:
        return f"<CourseOffering {self.sid} install={self.install_sid}>"

    async def get(self) -> Record:
        """The offering's details (shape undocumented: a generic record)."""
        return await self._context.one(COURSE_OFFERING, self._sids)


class Install:
    """One SmarterProctoring install (``AI…``); creating it does no I/O.

    ``reports`` holds the install-level reports; :meth:`courses`,
    :meth:`enrollments`, :meth:`course` and :meth:`enrollment` walk its hierarchy.
    """

    def __init__(self, context: Context, sid: str) -> None:
        self._context = context
        self.sid = sid
        self._sids = {"installSid": sid}
        context.path(_INSTALL, self._sids)  # a bad SID fails here, before any request
        self.reports = Reports(context, sid)

    def __repr__(self) -> str:
        return f"<Install {self.sid}>"

    def exam(self, sid: str) -> Exam:
        """The handle of one exam of this install (``EX…``)."""
        return Exam(self._context, self.sid, sid)

    def course(self, sid: str) -> Course:
        """The handle of one course of this install (``CU…``)."""
        return Course(self._context, self.sid, sid)

    def enrollment(self, sid: str) -> Enrollment:
        """The handle of one enrollment of this install (``EN…``)."""
        return Enrollment(self._context, self.sid, sid)

    def course_offering(self, sid: str) -> CourseOffering:
        """The handle of one course offering of this install (``CO…``)."""
        return CourseOffering(self._context, self.sid, sid)

    def course_offerings(self) -> Paginator[Record]:
        """The course offerings of the install: the ``CO…`` SIDs that many report
        filters take as ``course_offering_sid``."""
        return self._context.list(COURSE_OFFERINGS, self._sids)

    async def annotation_types(self, **filters: Unpack[AnnotationTypeFilters]) -> list[Record]:
        """The install's annotation types (v2), whole (the endpoint is not paginated)."""
        return await self._context.records(ANNOTATION_TYPES, self._sids, filters)

    def courses(self, **filters: Unpack[CourseFilters]) -> Paginator[Record]:
        """The courses of the install."""
        return self._context.list(COURSES, self._sids, filters)

    def enrollments(self, **filters: Unpack[EnrollmentFilters]) -> Paginator[Record]:
        """The enrollments of the install.

        ``course`` and ``course_offering`` match titles; the API takes at most one
        sort key.
        """
        return self._context.list(ENROLLMENTS, self._sids, filters)
