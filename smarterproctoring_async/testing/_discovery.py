"""Handlers of the discovery routes: courses, exams, enrollments and exam-level lists."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from ._call import Call, Listing, contains, event_drift, head_session_drift, same, table
from ._data import FakeSession
from ._records import Record
from ._views import ChainView

HANDLERS, handles = table()

_INSTALL = "/v1/installs/{installSid}"
_COURSE = _INSTALL + "/courses/{courseSid}"
_ROSTER = "/v1/install/{installSid}/courses/{courseSid}"
_SESSION_FIELDS = ("sid", "status", "sessionType", "appointmentDate", "createdDate", "editDate")


@handles(_INSTALL + "/courses")
def courses(call: Call) -> Any:
    """The courses of an install."""
    install, active = call.install(), call.flag("hasActiveExam")
    rows = [
        c
        for c in call.data.courses
        if c["installSid"] == install["sid"]
        and same(c["instructorSid"], call.one("instructorSid"))
        and same(c["courseOfferingSid"], call.one("courseOfferingSid"))
        and (active is None or (c["activeExamCount"] > 0) == active)
        and contains(c["title"], call.one("titleSearchText"))
        and contains(c["code"], call.one("codeSearchText"))
    ]
    fields = {"courseCode": "code", "courseTitle": "title", "offeringSid": "courseOfferingSid"}
    return Listing(rows, sort_fields=fields)


@handles(_COURSE)
def course(call: Call) -> Any:
    """One course."""
    return call.course()


def _course_exams(call: Call) -> Any:
    course = call.course()
    rows = [e for e in call.data.exams if e["courseSid"] == course["sid"]]
    if call.flag("includeStatusSummary"):
        rows = [dict(e, statusSummary=_status_summary(call, e)) for e in rows]
    return Listing(rows)


def _status_summary(call: Call, exam: Record) -> dict[str, int]:
    return dict(Counter(s.status for s in call.data.exam_sessions(str(exam["sid"]))))


handles(_COURSE + "/exams")(_course_exams)
handles(_COURSE + "/exams/ordered")(_course_exams)


@handles(_COURSE + "/exams/{examSid}")
def exam(call: Call) -> Any:
    """One exam of a course."""
    return call.exam()


@handles(_INSTALL + "/enrollments")
def install_enrollments(call: Call) -> Any:
    """The enrollments of an install."""
    install = call.install()
    rows = [
        e
        for e in call.data.enrollments
        if e["installSid"] == install["sid"]
        and same(e["userSid"], call.one("userSid"))
        and contains(e["firstName"], call.one("firstName"))
        and contains(e["lastName"], call.one("lastName"))
        and contains(e["email"], call.one("email"))
        and contains(e["courseTitle"], call.one("course"))
        and contains(e["courseOfferingTitle"], call.one("courseOffering"))
        and contains(e["role"], call.one("role"))
        and same(e["state"], call.one("state"))
    ]
    return Listing(rows)


@handles(_COURSE + "/enrollments")
def course_enrollments(call: Call) -> Any:
    """The enrollments of a course."""
    course, roles = call.course(), call.many("roles")
    rows = [
        e
        for e in call.data.course_enrollments(str(course["sid"]))
        if same(e["sid"], call.one("enrollmentSid"))
        and contains(e["firstName"], call.one("firstName"))
        and contains(e["lastName"], call.one("lastName"))
        and (not roles or e["role"] in roles)
        and same(e["state"], call.one("state"))
    ]
    return Listing(rows)


@handles(_INSTALL + "/enrollments/{enrollmentSid}/exams/{examSid}/sessions")
def enrollment_sessions(call: Call) -> Any:
    """The sessions of one enrollment for one exam; the active one only on request."""
    enrollment, exam = call.enrollment(), call.exam()
    statuses, active = call.many("status"), call.flag("includeActive") or False
    chosen = [
        s
        for s in call.data.exam_sessions(str(exam["sid"]))
        if s.enrollment_sid == enrollment["sid"]
        and (
            (active and s.status == "In Progress")
            or (s.status != "In Progress" and (not statuses or s.status in statuses))
        )
    ]
    rows = [{key: s.wire.get(key) for key in _SESSION_FIELDS} for s in chosen]
    return Listing(rows, drift=head_session_drift(call.data))


def _by_enrollment(call: Call, exam: Record) -> dict[str, list[FakeSession]]:
    grouped: dict[str, list[FakeSession]] = {}
    for session in call.data.exam_sessions(str(exam["sid"])):
        grouped.setdefault(session.enrollment_sid, []).append(session)
    return grouped


def _with_session(enrollment: Record, sessions: list[FakeSession]) -> Record:
    latest = sessions[-1] if sessions else None
    return dict(
        enrollment,
        enrollmentSid=enrollment["sid"],
        sessionSid=latest.sid if latest else None,
        sessionStatus=latest.status if latest else None,
        sessionCount=len(sessions),
    )


@handles(_ROSTER + "/exams/{examSid}/enrollments")
def roster(call: Call) -> Any:
    """An exam and every enrollment of its course with its latest session status."""
    course, exam = call.course(), call.exam()
    grouped = _by_enrollment(call, exam)
    enrollments = call.data.course_enrollments(str(course["sid"]))
    return {
        "exam": exam,
        "enrollments": [_with_session(e, grouped.get(e["sid"], [])) for e in enrollments],
    }


def _enrollment_exams(call: Call) -> Any:
    course, enrollment = call.course(), call.enrollment()
    rows = []
    for e in call.data.exams:
        if e["courseSid"] == course["sid"]:
            mine = _by_enrollment(call, e).get(enrollment["sid"], [])
            rows.append(
                dict(
                    e,
                    enrollmentSid=enrollment["sid"],
                    sessionSid=mine[-1].sid if mine else None,
                    sessionStatus=mine[-1].status if mine else None,
                    sessionCount=len(mine),
                )
            )
    return Listing(rows)


handles(_ROSTER + "/enrollments/{enrollmentSid}/exams")(_enrollment_exams)
handles(_ROSTER + "/enrollments/{enrollmentSid}/exams/ordered")(_enrollment_exams)


@handles(_INSTALL + "/exams/{examSid}/events")
def exam_events(call: Call) -> Any:
    """Every event report of an exam's sessions, session by session (so createdDate order)."""
    sessions = call.data.exam_sessions(str(call.exam()["sid"]))
    status = call.one("status")
    drift = event_drift(call.data, sessions)
    if status is None:
        return Listing(ChainView([(s.events, None) for s in sessions]), drift=drift)
    return Listing([e for s in sessions for e in s.events if e["status"] == status], drift=drift)


def _students(
    call: Call, items: Callable[[FakeSession], Iterable[Record]], key: str
) -> dict[str, Any]:
    exam = call.exam()
    students = []
    for enrollment_sid, sessions in _by_enrollment(call, exam).items():
        enrollment = call.data.enrollment(enrollment_sid)
        found = [item for s in sessions for item in items(s)]
        students.append(
            {
                "userSid": enrollment["userSid"],
                "enrollmentSid": enrollment_sid,
                "firstName": enrollment["firstName"],
                "lastName": enrollment["lastName"],
                "email": enrollment["email"],
                "sessionSids": [s.sid for s in sessions],
                f"{key}Count": len(found),
                key: found,
            }
        )
    return {"examSid": exam["sid"], "students": students}


@handles(_INSTALL + "/exams/{examSid}/eventsByStudent")
def events_by_student(call: Call) -> Any:
    """An exam's event reports grouped by learner (every event: mind huge sessions)."""
    return _students(call, lambda s: s.events, "events")


@handles(_INSTALL + "/exams/{examSid}/annotationsByStudent")
def annotations_by_student(call: Call) -> Any:
    """An exam's annotations grouped by learner, optionally of one severity."""
    severity = call.one("severity")
    return _students(
        call, lambda s: [a for a in s.annotations if same(a["severity"], severity)], "annotations"
    )
