"""Handlers of the paginated install reports that list sessions, events and learners.

Mirrors the client's ``resources/reports.py`` (the volume, distribution and overview
reports are in ``summaries.py``). Text filters match case-insensitive substrings; date
ranges include their start and exclude their end; rows come in createdDate order unless
the route sorts otherwise. Rows the reference does not document are plausible guesses.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from functools import partial
from typing import Any

from ..data import FakeData, FakeSession
from ..data.records import DAY, HOUR, Record, iso, ms_of, person
from ..data.views import ChainView, Part
from .base import Call, Listing, event_drift, head_session_drift, table
from .filters import (
    Rule,
    course,
    exact,
    exam,
    field,
    flag,
    keep,
    learner,
    one_of,
    review_status,
    same_text,
    session_context,
    since,
    text,
    until,
    wire,
)

HANDLERS, handles = table()

_REPORTS = "/v1/installs/{installSid}/reports"
SERVICE_TYPES = {
    "automated": "automated",
    "b-virtual": "live",
    "proctoru": "proctoru",
    "instructor-as-proctor": "live",
    "vtc": "virtual-test-center",
    "ad-hoc": "ad-hoc",
    "examity": "live",
    "register-blast": "register-blast",
    "messaging": "messaging",
}


def _install_sessions(call: Call) -> list[FakeSession]:
    return call.data.install_sessions(str(call.install()["sid"]))


_EVENT_SESSION_RULES: dict[str, Rule[FakeSession]] = {
    "examSid": exact(wire("examSid")),
    "courseSid": exact(wire("courseSid")),
    "courseOfferingSid": exact(course("courseOfferingSid")),
    "courseTitle": text(course("title")),
    "examTitle": text(exam("title")),
    "studentFirstName": text(learner("firstName")),
    "studentLastName": text(learner("lastName")),
    "instructorFirstName": text(course("instructorFirstName")),
    "instructorLastName": text(course("instructorLastName")),
}
_EVENT_RULES: dict[str, Rule[Record]] = {
    "eventTypeSid": exact(field("eventTypeSid")),
    "sessionEventStatus": same_text(field("status")),
    "eventTimeRangeStart": since(field("eventTime"), partner="eventTimeRangeEnd"),
    "eventTimeRangeEnd": until(field("eventTime"), partner="eventTimeRangeStart"),
}


@handles(_REPORTS + "/examSessionEvents")
def session_events(call: Call) -> Any:
    """One row per event report of the install, built only for the page served."""
    chosen = keep(call, _install_sessions(call), _EVENT_SESSION_RULES)
    event_sid = call.one("eventSid")
    parts: list[Part] = []
    for session in chosen:
        events: Sequence[Record] = session.events
        if event_sid is not None:  # found from its SID: never scan a huge session
            found = session.event(event_sid)
            events = [found] if found else []
        row = partial(_event_row, session.sid, session_context(call.data, session))
        parts.append((keep(call, events, _EVENT_RULES), row))
    return Listing(ChainView(parts), drift=event_drift(call.data, chosen))


def _event_row(session_sid: str, context: tuple[Record, Record, Record], event: Record) -> Record:
    # The session comes from where the event is stored, not from the record: an event a
    # test wrote by hand may lack sessionSid or any other field, and still be listed.
    course_, exam_, learner_ = context
    return {
        "sid": event.get("sid"),
        "sessionSid": session_sid,
        "examSid": exam_["sid"],
        "courseSid": course_["sid"],
        "courseOfferingSid": course_["courseOfferingSid"],
        "courseTitle": course_["title"],
        "examTitle": exam_["title"],
        "studentFirstName": learner_["firstName"],
        "studentLastName": learner_["lastName"],
        "instructorFirstName": course_["instructorFirstName"],
        "instructorLastName": course_["instructorLastName"],
        "eventTypeSid": event.get("eventTypeSid"),
        "status": event.get("status"),
        "subject": event.get("subject"),
        "eventTime": event.get("eventTime"),
        "createdDate": event.get("createdDate"),
    }


_APPOINTMENT_RULES: dict[str, Rule[FakeSession]] = {
    "examSid": exact(wire("examSid")),
    "courseSid": exact(wire("courseSid")),
    "courseOfferingSid": exact(course("courseOfferingSid")),
    "type": exact(wire("sessionType")),
    "status": exact(wire("status")),
    "reviewStatus": exact(review_status),
    "examStatus": exact(exam("status")),
    "appointmentAfter": since(wire("appointmentDate")),
    "appointmentBefore": until(wire("appointmentDate")),
    "learnerFirstName": text(learner("firstName")),
    "learnerLastName": text(learner("lastName")),
    "learnerEmail": text(learner("email")),
    "learnerSid": exact(learner("userSid")),
    "courseTitle": text(course("title")),
    "examTitle": text(exam("title")),
}


@handles(_REPORTS + "/appointments")
def appointments(call: Call) -> Any:
    """One row per session of the install: the session object as served."""
    rows = [s.served() for s in keep(call, _install_sessions(call), _APPOINTMENT_RULES)]
    return Listing(rows, drift=head_session_drift(call.data))


_LEARNER_RULES: dict[str, Rule[Record]] = {
    "courseSid": exact(field("courseSid")),
    "courseOfferingSid": exact(field("courseOfferingSid")),
    "courseTitle": text(field("courseTitle")),
    "courseCode": text(field("courseCode")),
    "examTitle": text(field("examTitle")),
    "learnerFirstName": text(field("firstName")),
    "learnerLastName": text(field("lastName")),
    "learnerEmail": text(field("email")),
}


@handles(_REPORTS + "/unscheduledLearners")
def unscheduled_learners(call: Call) -> Any:
    """One row per (exam, learner) of the install where the learner has no session at all."""
    install, data = call.install(), call.data
    rows = []
    for exam_ in data.exams:
        if exam_["installSid"] != install["sid"]:
            continue
        course_ = data.course(str(exam_["courseSid"]))
        taken = {s.enrollment_sid for s in data.exam_sessions(str(exam_["sid"]))}
        rows += [
            _learner_row(who, course_, exam_)
            for who in data.course_enrollments(str(course_["sid"]))
            if who["role"] == "learner" and who["sid"] not in taken
        ]
    return Listing(keep(call, rows, _LEARNER_RULES), natural=())


def _learner_row(learner_: Record, course_: Record, exam_: Record) -> Record:
    return {
        "sid": learner_["userSid"],
        "userSid": learner_["userSid"],
        "enrollmentSid": learner_["sid"],
        "firstName": learner_["firstName"],
        "lastName": learner_["lastName"],
        "email": learner_["email"],
        "courseSid": course_["sid"],
        "courseTitle": course_["title"],
        "courseCode": course_["code"],
        "courseOfferingSid": course_["courseOfferingSid"],
        "examSid": exam_["sid"],
        "examTitle": exam_["title"],
        "examOpenDate": exam_["examOpenDate"],
        "examCloseDate": exam_["examCloseDate"],
        "createdDate": learner_["createdDate"],
    }


def service_type(data: FakeData, session: FakeSession) -> str:
    """The service type of a session, derived from its session type."""
    return SERVICE_TYPES.get(str(session.wire["sessionType"]), "live")


_SERVICE_RULES: dict[str, Rule[FakeSession]] = {
    "courseOfferingSid": exact(course("courseOfferingSid")),
    "courseSid": exact(wire("courseSid")),
    "courseTitle": text(course("title")),
    "courseCode": text(course("code")),
    "examTitle": text(exam("title")),
    "examSid": exact(wire("examSid")),
    "serviceTypes": one_of(service_type),
    "statuses": one_of(wire("status")),
    "appointmentDateAfter": since(wire("appointmentDate")),
    "appointmentDateBefore": until(wire("appointmentDate")),
}


@handles(_REPORTS + "/serviceDistribution")
def service_distribution(call: Call) -> Any:
    """One row per Scheduled, Closed or Cancelled session of the install."""
    billed = [
        s for s in _install_sessions(call) if s.status in ("Scheduled", "Closed", "Cancelled")
    ]
    chosen = keep(call, billed, _SERVICE_RULES)
    rows = ChainView([([s.wire for s in chosen], partial(_service_row, call.data))])
    return Listing(rows, drift=head_session_drift(call.data))


def _service_row(data: FakeData, wire_: Record) -> Record:
    session = data.session(str(wire_["sid"]))
    course_, exam_, learner_ = session_context(data, session)
    return {
        "sid": wire_["sid"],
        "status": wire_["status"],
        "statusReason": wire_["statusReason"],
        "billable": wire_["status"] == "Closed",
        "schedulingModule": wire_["schedulingModule"],
        "workflowModule": wire_["workflowModule"],
        "appointmentDate": wire_["appointmentDate"],
        "dateClosed": wire_.get("dateClosed"),
        "dateCancelled": wire_.get("dateCancelled"),
        "exam": {"sid": exam_["sid"], "title": exam_["title"], "type": exam_["type"]},
        "course": {"sid": course_["sid"], "title": course_["title"], "code": course_["code"]},
        "user": {
            "sid": learner_["userSid"],
            "firstName": learner_["firstName"],
            "lastName": learner_["lastName"],
            "email": learner_["email"],
        },
        "courseOffering": {
            "sid": course_["courseOfferingSid"],
            "title": course_["courseOfferingTitle"],
        },
        "serviceType": service_type(data, session),
        "createdDate": wire_["createdDate"],
    }


_AUDIT_RULES: dict[str, Rule[FakeSession]] = {
    "courseOfferingSid": exact(course("courseOfferingSid")),
    "examOpenDate": since(exam("examOpenDate"), partner="examCloseDate"),
    "examCloseDate": until(exam("examCloseDate"), partner="examOpenDate"),
}


@handles(_REPORTS + "/audit")
def audit(call: Call) -> Any:
    """One row per Closed session of exams within the exam date range."""
    closed = [s for s in _install_sessions(call) if s.status == "Closed"]
    rows = [_audit_row(call.data, s) for s in keep(call, closed, _AUDIT_RULES)]
    return Listing(rows, drift=head_session_drift(call.data))


def _audit_row(data: FakeData, session: FakeSession) -> Record:
    course_, exam_, learner_ = session_context(data, session)
    wire_ = session.wire
    return {
        "sid": wire_["sid"],
        "examSid": exam_["sid"],
        "examTitle": exam_["title"],
        "courseSid": course_["sid"],
        "courseTitle": course_["title"],
        "courseOfferingSid": course_["courseOfferingSid"],
        "userSid": learner_["userSid"],
        "learnerName": f"{learner_['firstName']} {learner_['lastName']}",
        "status": wire_["status"],
        "reviewRequired": wire_["reviewRequired"],
        "reviewed": wire_["reviewed"],
        "reviewCompletedDate": wire_["reviewCompletedDate"],
        "dateClosed": wire_.get("dateClosed"),
        "createdDate": wire_["createdDate"],
    }


_CHURN_RULES: dict[str, Rule[Record]] = {
    "courseTitle": text(field("courseTitle")),
    "examTitle": text(field("examTitle")),
    "email": text(field("email")),
    "firstName": text(field("firstName")),
    "lastName": text(field("lastName")),
    "courseOfferingSid": exact(field("courseOfferingSid")),
    "examOpenDate": since(field("examOpenDate"), partner="examCloseDate"),
    "examCloseDate": until(field("examCloseDate"), partner="examOpenDate"),
    "hasCancelled": flag(field("hasCancelled")),
    "hasClosed": flag(field("hasClosed")),
    "currentStatus": one_of(field("currentStatus")),
}


@handles(_REPORTS + "/churn")
def churn(call: Call) -> Any:
    """One row per (exam, learner) that has sessions: current status and its history."""
    groups: dict[tuple[str, str], list[FakeSession]] = {}
    for session in _install_sessions(call):
        groups.setdefault((session.exam_sid, session.enrollment_sid), []).append(session)
    rows = [_churn_row(call.data, sessions) for sessions in groups.values()]
    rows.sort(key=lambda r: ms_of(r, "createdDate") or 0)
    return Listing(keep(call, rows, _CHURN_RULES))


def _churn_row(data: FakeData, sessions: list[FakeSession]) -> Record:
    course_, exam_, learner_ = session_context(data, sessions[-1])
    statuses = {s.status for s in sessions}
    return {
        "userSid": learner_["userSid"],
        "enrollmentSid": learner_["sid"],
        "firstName": learner_["firstName"],
        "lastName": learner_["lastName"],
        "email": learner_["email"],
        "courseSid": course_["sid"],
        "courseTitle": course_["title"],
        "courseOfferingSid": course_["courseOfferingSid"],
        "examSid": exam_["sid"],
        "examTitle": exam_["title"],
        "examOpenDate": exam_["examOpenDate"],
        "examCloseDate": exam_["examCloseDate"],
        "currentStatus": sessions[-1].status,
        "hasCancelled": "Cancelled" in statuses,
        "hasClosed": "Closed" in statuses,
        "sessionCount": len(sessions),
        "createdDate": sessions[0].wire["createdDate"],
    }


_REQUEST_RULES: dict[str, Rule[Record]] = {
    "courseSid": exact(field("courseSid")),
    "examSid": exact(field("examSid")),
    "proctorFirstName": text(field("proctorFirstName")),
    "proctorLastName": text(field("proctorLastName")),
    "studentFirstName": text(field("studentFirstName")),
    "studentLastName": text(field("studentLastName")),
    "studentEmail": text(field("studentEmail")),
}


@handles(_REPORTS + "/sessionRequests")
def session_requests(call: Call) -> Any:
    """One message thread per session that still waits for a proctor or an approval."""
    waiting = ("Needs Proctor", "Pending Approval", "Scheduled")
    rows = [_request_row(call.data, s) for s in _install_sessions(call) if s.status in waiting]
    return Listing(keep(call, rows, _REQUEST_RULES))


def _request_row(data: FakeData, session: FakeSession) -> Record:
    course_, exam_, learner_ = session_context(data, session)
    rng = random.Random(session.sid)  # the same thread for the same session, every time
    first, last, _ = person(rng, "proctors.example.com")
    created = (ms_of(session.wire, "createdDate") or 0) + HOUR
    confirmed = created + 2 * HOUR if session.status == "Scheduled" else None
    return {
        "sid": "MT" + session.sid[2:],
        "sessionSid": session.sid,
        "examSid": exam_["sid"],
        "courseSid": course_["sid"],
        "status": session.status,
        "studentFirstName": learner_["firstName"],
        "studentLastName": learner_["lastName"],
        "studentEmail": learner_["email"],
        "proctorFirstName": first,
        "proctorLastName": last,
        "createdDate": iso(created),
        "lastMessageDate": iso(created + rng.randint(1, 48) * HOUR),
        "confirmedDate": None if confirmed is None else iso(confirmed),
        "confirmedDateExpiration": None if confirmed is None else iso(confirmed + DAY),
    }
