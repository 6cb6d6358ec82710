"""Handlers that walk an install's hierarchy: a course, its exams and enrollments, the
roster, an enrollment's exams and sessions, and the event and annotation type catalogues.

Mirrors the client's ``resources/discovery.py``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..data import FakeData, FakeSession
from ..data.records import Record
from .base import Call, Listing, head_session_drift, table
from .filters import Rule, exact, field, keep, one_of, read_flag, read_values, text, wire

HANDLERS, handles = table()

_COURSE = "/v1/installs/{installSid}/courses/{courseSid}"
_ROSTER = "/v1/install/{installSid}/courses/{courseSid}"
_SESSION_FIELDS = ("sid", "status", "sessionType", "appointmentDate", "createdDate", "editDate")


@handles(_COURSE)
def course(call: Call) -> Any:
    """One course."""
    return call.course()


@handles(_COURSE + "/exams")
@handles(_COURSE + "/exams/ordered")
def course_exams(call: Call) -> Any:
    """The exams of a course, each with its session counts by status on request."""
    course = call.course()
    rows = [e for e in call.data.exams if e["courseSid"] == course["sid"]]
    if call.flag("includeStatusSummary"):
        rows = [dict(e, statusSummary=_status_summary(call.data, e)) for e in rows]
    return Listing(rows)


def _status_summary(data: FakeData, exam: Record) -> dict[str, int]:
    return dict(Counter(s.status for s in data.exam_sessions(str(exam["sid"]))))


@handles(_COURSE + "/exams/{examSid}")
def exam(call: Call) -> Any:
    """One exam of a course (404 when it is in another course)."""
    return call.exam()


_COURSE_ENROLLMENT_RULES = {
    "enrollmentSid": exact(field("sid")),
    "firstName": text(field("firstName")),
    "lastName": text(field("lastName")),
    "roles": one_of(field("role")),
    "state": exact(field("state")),
}


@handles(_COURSE + "/enrollments")
def course_enrollments(call: Call) -> Any:
    """The enrollments of a course."""
    rows = call.data.course_enrollments(str(call.course()["sid"]))
    return Listing(keep(call, rows, _COURSE_ENROLLMENT_RULES))


def _not_active_or_listed(status: Any, wanted: list[str]) -> bool:
    return status == "In Progress" or status in wanted


def _not_active_or_asked(status: Any, include_active: bool) -> bool:
    return status != "In Progress" or include_active


# "In Progress" is the active session: shown only with includeActive=true, whatever
# ``status`` asks for; ``status`` narrows the other sessions.
_ENROLLMENT_SESSION_RULES: dict[str, Rule[FakeSession]] = {
    "status": Rule(wire("status"), _not_active_or_listed, read_values),
    "includeActive": Rule(wire("status"), _not_active_or_asked, read_flag(default=False)),
}


@handles("/v1/installs/{installSid}/enrollments/{enrollmentSid}/exams/{examSid}/sessions")
def enrollment_sessions(call: Call) -> Any:
    """The sessions of one enrollment for one exam, as short summaries."""
    enrollment, exam = call.enrollment(), call.exam()
    mine = [
        s
        for s in call.data.exam_sessions(str(exam["sid"]))
        if s.enrollment_sid == enrollment["sid"]
    ]
    chosen = keep(call, mine, _ENROLLMENT_SESSION_RULES)
    rows = [{key: s.wire.get(key) for key in _SESSION_FIELDS} for s in chosen]
    return Listing(rows, drift=head_session_drift(call.data))


def _by_enrollment(data: FakeData, exam: Record) -> dict[str, list[FakeSession]]:
    grouped: dict[str, list[FakeSession]] = {}
    for session in data.exam_sessions(str(exam["sid"])):
        grouped.setdefault(session.enrollment_sid, []).append(session)
    return grouped


def _with_sessions(record: Record, enrollment: Record, sessions: list[FakeSession]) -> Record:
    latest = sessions[-1] if sessions else None
    return dict(
        record,
        enrollmentSid=enrollment["sid"],
        sessionSid=latest.sid if latest else None,
        sessionStatus=latest.status if latest else None,
        sessionCount=len(sessions),
    )


@handles(_ROSTER + "/exams/{examSid}/enrollments")
def roster(call: Call) -> Any:
    """An exam and every enrollment of its course with its latest session status."""
    course, exam = call.course(), call.exam()
    grouped = _by_enrollment(call.data, exam)
    return {
        "exam": exam,
        "enrollments": [
            _with_sessions(e, e, grouped.get(e["sid"], []))
            for e in call.data.course_enrollments(str(course["sid"]))
        ],
    }


@handles(_ROSTER + "/enrollments/{enrollmentSid}/exams")
@handles(_ROSTER + "/enrollments/{enrollmentSid}/exams/ordered")
def enrollment_exams(call: Call) -> Any:
    """The exams of an enrollment's course, each with that enrollment's latest session."""
    course, enrollment = call.course(), call.enrollment()
    rows = [
        _with_sessions(e, enrollment, _by_enrollment(call.data, e).get(enrollment["sid"], []))
        for e in call.data.exams
        if e["courseSid"] == course["sid"]
    ]
    return Listing(rows)


@handles("/v1/sessions/events/types")
def event_types(call: Call) -> Any:
    """The event type catalogue."""
    return Listing(call.data.event_types)


def _starts_no_range_or_asked(range_start: Any, include_ending: bool) -> bool:
    return range_start is None or include_ending


_ANNOTATION_TYPE_RULES: dict[str, Rule[Record]] = {
    "categoryId": one_of(field("categoryId")),
    # The Swagger default is false: types that end a range are left out unless asked for.
    "includeEndingAnnotations": Rule(
        field("rangeStartAnnotationTypeId"), _starts_no_range_or_asked, read_flag(default=False)
    ),
}


@handles("/v2/installs/{installSid}/annotationTypes")
def annotation_types(call: Call) -> Any:
    """The v2 annotation type catalogue: a bare JSON array (the route does not page).

    Types that end another type's range are left out unless includeEndingAnnotations=true.
    """
    call.install()
    return list(keep(call, call.data.annotation_types, _ANNOTATION_TYPE_RULES))
