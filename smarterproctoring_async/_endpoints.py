"""Every report and discovery endpoint: its Swagger route and its filter table, in one place.

Each keyword is the snake_case of its wire name (``table`` derives it), except that a
pair of date names the API needs together is one ``*_range`` keyword. Enum values are
the API's exact spellings; ``no_percent`` marks the text filters whose Swagger pattern
``^[^%]*$`` forbids "%". ``tests/test_contract.py`` checks each entry against
``_swagger_routes.json`` and each endpoint method's signature against its table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ._filters import (
    FilterTable,
    choice,
    choices,
    flag,
    sids,
    sort_keys,
    sort_order,
    span,
    table,
    texts,
    when,
)

__all__ = ["ENDPOINTS", "Endpoint"]


@dataclass(frozen=True)
class Endpoint:
    """One GET route: its Swagger template and filters.

    ``cached``: its answers go through the client's report cache. ``sid_prefix``:
    the rows are records whose documented ``sid`` is their own identifier with this
    prefix, so a repeated one (a record shifted by an insertion while paging) is
    dropped; rows of any other shape are dropped only as exact repeats.
    """

    route: str
    filters: FilterTable
    paginated: bool
    cached: bool = False
    sid_prefix: str | None = None


_INSTALL = "/v1/installs/{installSid}"
_REPORTS = _INSTALL + "/reports"
_EXAM = _INSTALL + "/exams/{examSid}"
_COURSE = _INSTALL + "/courses/{courseSid}"

_SESSION_STATUSES = ("Needs Proctor", "Scheduled", "Cancelled", "In Progress", "Closed")
_APPOINTMENT_TYPES = (
    "b-virtual", "examity", "proctoru", "register-blast", "instructor-as-proctor",
    "messaging", "ad-hoc", "vtc", "automated",
)  # fmt: skip
_SERVICE_TYPES = (
    "automated", "automated-with-review", "live", "virtual-test-center", "proctoru",
    "register-blast", "ad-hoc", "messaging",
)  # fmt: skip
_PROCTOR_STATUSES = (
    "Pending Review", "Scheduled", "Needs Proctor", "Closed", "in-progress", "Checked In",
    "Cancelled",
)  # fmt: skip
_ENROLLMENT_SESSION_STATUSES = (
    "Needs Proctor", "Pending Approval", "Approval Denied", "Scheduled", "Incident", "Closed",
    "Processing",
)  # fmt: skip
_OVERVIEW_SORTS = (
    "status needs proctor", "status cancelled", "status scheduled", "status closed",
    "examOpenDate", "examCloseDate", "examScheduleOpenDate", "examScheduleCloseDate", "examTitle",
)  # fmt: skip
_ROLES = (
    "learner", "instructor", "administrator", "teachingAssistant", "contentDeveloper", "mentor",
)  # fmt: skip
_COURSE_SORTS = (
    "courseCode", "courseTitle", "createdDate", "instructorName", "activeExamCount", "offeringSid",
)  # fmt: skip

_COURSE_ENROLLMENT_STATES = (
    "active", "inactive", "invited", "pending deletion", "creation pending", "rejected",
    "completed", "deleted",
)  # fmt: skip

_EXAM_DATES = span("examOpenDate", "examCloseDate")


SESSION_EVENTS = Endpoint(
    _REPORTS + "/examSessionEvents",
    table(
        # sessionEventStatus is free text: the reference gives no enum for it.
        texts("courseTitle", "examTitle", "studentFirstName", "studentLastName"),
        texts("instructorFirstName", "instructorLastName", "sessionEventStatus"),
        sids("eventTypeSid", "courseOfferingSid", "courseSid", "examSid", "eventSid"),
        sort_keys("createdDate"),
        sort_order(),
        event_time_range=span("eventTimeRangeStart", "eventTimeRangeEnd"),
    ),
    paginated=True,
)

APPOINTMENTS = Endpoint(
    _REPORTS + "/appointments",
    table(
        sids("courseSid", "examSid", "courseOfferingSid"),
        choice("type", _APPOINTMENT_TYPES),
        choice("status", _SESSION_STATUSES),
        choice("reviewStatus", ("pending", "complete", "not-required")),
        choice("examStatus", ("active", "draft", "deleted")),
        when("appointmentAfter"),
        when("appointmentBefore"),
        # learnerSid is a text filter in the API (no "%"), not a checked SID.
        texts("learnerFirstName", "learnerLastName", "learnerEmail", no_percent=True),
        texts("learnerSid", "courseTitle", "examTitle", no_percent=True),
    ),
    paginated=True,
    sid_prefix="ES",
)

UNSCHEDULED_LEARNERS = Endpoint(
    _REPORTS + "/unscheduledLearners",
    table(
        sids("courseSid", "courseOfferingSid"),
        texts("courseTitle", "courseCode", "examTitle"),
        texts("learnerFirstName", "learnerLastName", "learnerEmail"),
    ),
    paginated=True,
    # One row per learner and exam: nothing says a row's sid is not the learner's.
)

EXAM_VOLUME = Endpoint(
    _INSTALL + "/examVolume",
    table(
        sids("courseOfferingSid"),
        sort_keys("examOpenDate", "createdDate"),
        sort_order(),
        exam_date_range=_EXAM_DATES,
    ),
    paginated=True,
    cached=True,
)

EXAMS_BY_WEEK = Endpoint(
    _INSTALL + "/examsByWeek",
    table(
        sids("courseOfferingSid"),
        choice("groupBy", ("examOpenDate", "examCloseDate")),
        choice("status", ("past", "active", "upcoming")),
        when("startDate"),
        when("endDate"),
    ),
    paginated=True,
    cached=True,
)

SERVICE_DISTRIBUTION = Endpoint(
    # SPEC 4i: the names of the close-date bounds, user, billable and sort parameters
    # were not visible in the reference, so they are not offered.
    _REPORTS + "/serviceDistribution",
    table(
        choices("serviceTypes", _SERVICE_TYPES),
        choices("statuses", ("Scheduled", "Closed", "Cancelled")),
        sids("courseOfferingSid", "courseSid"),
        texts("courseTitle", "courseCode", "examTitle"),
        sids("examSid"),
        when("appointmentDateAfter"),
        when("appointmentDateBefore"),
    ),
    paginated=True,
    cached=True,
)

APPOINTMENT_VOLUME = Endpoint(
    _REPORTS + "/appointmentVolume",
    table(
        sids("courseOfferingSid", "courseSid", "examSid"),
        appointment_date_range=span("appointmentDateRangeStart", "appointmentDateRangeEnd"),
    ),
    paginated=False,
    cached=True,
)

EXAM_TYPE_STATS = Endpoint(_REPORTS + "/aggregatedStats", {}, paginated=False, cached=True)

MODALITY_DISTRIBUTION = Endpoint(
    _REPORTS + "/modalityDistribution",
    table(sids("courseSid", "examSid", "courseOfferingSid")),
    paginated=False,
    cached=True,
)

PROCTOR_VOLUME = Endpoint(
    _REPORTS + "/proctorAccountVolume",
    table(
        sids("courseOfferingSid"),
        choice("examSessionStatus", _PROCTOR_STATUSES),
        appointment_date_range=span("appointmentDateRangeStart", "appointmentDateRangeEnd"),
    ),
    paginated=False,
    cached=True,
)

EXAM_OVERVIEW = Endpoint(
    _REPORTS + "/examOverview",
    table(
        choice("sortBy", _OVERVIEW_SORTS, required=True),
        sids("courseOfferingSid"),
        texts("courseTitle", "courseCode", "examTitle"),
        texts("instructorFirstName", "instructorLastName"),
        flag("needsProctor"),
        exam_date_range=_EXAM_DATES,
        exam_schedule_date_range=span("examScheduleOpenDate", "examScheduleCloseDate"),
    ),
    paginated=True,
)

AUDIT = Endpoint(
    _REPORTS + "/audit",
    table(
        sids("courseOfferingSid"),
        sort_keys("createdDate"),
        sort_order(),
        exam_date_range=_EXAM_DATES,
    ),
    paginated=True,
)

CHURN = Endpoint(
    _REPORTS + "/churn",
    table(
        texts("courseTitle", "examTitle", "email", "firstName", "lastName"),
        sids("courseOfferingSid"),
        flag("hasCancelled"),
        flag("hasClosed"),
        choices("currentStatus", ("Needs Proctor", "Closed", "Scheduled")),
        sort_keys("courseTitle", "examTitle", "createdDate"),
        sort_order(),
        exam_date_range=_EXAM_DATES,
    ),
    paginated=True,
)

SESSION_REQUESTS = Endpoint(
    _REPORTS + "/sessionRequests",
    table(
        texts("studentFirstName", "studentLastName", "studentEmail"),
        texts("proctorFirstName", "proctorLastName"),
        sids("courseSid", "examSid"),
        sort_keys("createdDate", "lastMessageDate", "confirmedDate", "confirmedDateExpiration"),
        sort_order(),
    ),
    paginated=True,
)

_SESSION = _EXAM + "/sessions/{sessionSid}"

SESSION_DETAILS = Endpoint(_SESSION, {}, paginated=False)

SESSION_EVENT_REPORTS = Endpoint(
    _SESSION + "/events",
    table(sort_keys("createdDate"), sort_order()),
    paginated=True,
    sid_prefix="ER",
)

SESSION_EVENT_REPORT = Endpoint(_SESSION + "/events/{eventReportSid}", {}, paginated=False)

SESSION_ANNOTATIONS = Endpoint(
    _SESSION + "/annotations",
    table(sort_keys("createdDate"), sort_order()),
    paginated=True,
    sid_prefix="AN",
)

SESSION_ANNOTATION = Endpoint(_SESSION + "/annotations/{annotationSid}", {}, paginated=False)

EXAM_EVENTS = Endpoint(
    _EXAM + "/events",
    table(choice("status", ("Open", "Closed")), sort_keys("createdDate"), sort_order()),
    paginated=True,
    sid_prefix="ER",
)

EVENTS_BY_STUDENT = Endpoint(_EXAM + "/eventsByStudent", {}, paginated=False)

ANNOTATIONS_BY_STUDENT = Endpoint(
    _EXAM + "/annotationsByStudent",
    table(choice("severity", ("green", "yellow", "red"))),
    paginated=False,
)

ENROLLMENT_SESSIONS = Endpoint(
    _INSTALL + "/enrollments/{enrollmentSid}/exams/{examSid}/sessions",
    table(
        choices("status", _ENROLLMENT_SESSION_STATUSES),
        flag("includeActive"),
        sort_keys("createdDate"),
        sort_order(),
    ),
    paginated=True,
    sid_prefix="ES",
)

COURSES = Endpoint(
    _INSTALL + "/courses",
    table(
        sids("instructorSid", "courseOfferingSid"),
        flag("hasActiveExam"),
        texts("titleSearchText", "codeSearchText", no_percent=True),
        sort_keys(*_COURSE_SORTS),
        sort_order(),
    ),
    paginated=True,
)

COURSE = Endpoint(_COURSE, {}, paginated=False)

COURSE_EXAMS = Endpoint(
    # ``dob`` is left out: the reference does not say what it filters.
    _COURSE + "/exams",
    table(
        flag("includeStatusSummary"),
        sort_keys("title", "examOpenDate", "scheduleOpenDate"),
        sort_order(),
    ),
    paginated=True,
)

COURSE_ENROLLMENTS = Endpoint(
    _COURSE + "/enrollments",
    table(
        sids("enrollmentSid"),
        texts("firstName", "lastName"),
        choices("roles", _ROLES),
        choice("state", _COURSE_ENROLLMENT_STATES),
        sort_keys("createdDate", "firstName", "lastName"),
        sort_order(),
    ),
    paginated=True,
)

COURSE_ROSTER = Endpoint(
    "/v1/install/{installSid}/courses/{courseSid}/exams/{examSid}/enrollments", {}, paginated=False
)

ENROLLMENTS = Endpoint(
    _INSTALL + "/enrollments",
    table(
        sids("userSid"),
        texts(
            "firstName",
            "lastName",
            "email",
            "course",
            "courseOffering",
            "role",
            no_percent=True,
        ),
        choice("state", ("active", "inactive", "invited", "pending deletion", "deleted")),
        sort_keys("createdDate", "firstName", "lastName", max_items=1),
        sort_order(),
    ),
    paginated=True,
)

EVENT_TYPES = Endpoint("/v1/sessions/events/types", {}, paginated=True)

ENDPOINTS: Mapping[str, Endpoint] = {
    name: value for name, value in dict(globals()).items() if isinstance(value, Endpoint)
}
"""Every endpoint above, by its constant's name (what the contract test walks)."""
