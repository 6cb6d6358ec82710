"""Handlers of the paginated install reports that list sessions, events and learners.

Text filters match case-insensitive substrings; date ranges include their start and exclude
their end; rows come in createdDate order unless the route sorts otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any

from ._call import Call, Listing, contains, event_drift, head_session_drift, same, table, within
from ._data import FakeData, FakeSession
from ._records import DAY, Record, iso, ms_of, parse_iso
from ._routes import invalid
from ._select import (
    COURSE_CODE,
    COURSE_SID,
    COURSE_TITLE,
    EMAIL,
    EXAM_SID,
    EXAM_STATUS,
    EXAM_TITLE,
    FIRST_NAME,
    INSTRUCTOR_FIRST,
    INSTRUCTOR_LAST,
    LAST_NAME,
    OFFERING_SID,
    REVIEW,
    SESSION_TYPE,
    STATUS,
    USER_SID,
    context,
    install_sessions,
    pick,
)
from ._sessions import find_event
from ._views import ChainView, Part

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


def _event_row(data: FakeData, session: FakeSession, event: Record) -> Record:
    course, exam, learner = context(data, session)
    return {
        "sid": event["sid"],
        "sessionSid": event["sessionSid"],
        "examSid": exam["sid"],
        "courseSid": course["sid"],
        "courseOfferingSid": course["courseOfferingSid"],
        "courseTitle": course["title"],
        "examTitle": exam["title"],
        "studentFirstName": learner["firstName"],
        "studentLastName": learner["lastName"],
        "instructorFirstName": course["instructorFirstName"],
        "instructorLastName": course["instructorLastName"],
        "eventTypeSid": event["eventTypeSid"],
        "status": event["status"],
        "subject": event["subject"],
        "eventTime": event["eventTime"],
        "createdDate": event["createdDate"],
    }


_EVENT_FILTERS = {
    "examSid": EXAM_SID,
    "courseSid": COURSE_SID,
    "courseOfferingSid": OFFERING_SID,
    "courseTitle": COURSE_TITLE,
    "examTitle": EXAM_TITLE,
    "studentFirstName": FIRST_NAME,
    "studentLastName": LAST_NAME,
    "instructorFirstName": INSTRUCTOR_FIRST,
    "instructorLastName": INSTRUCTOR_LAST,
}


@handles(_REPORTS + "/examSessionEvents")
def session_events(call: Call) -> Any:
    """One row per event report of the install, built only for the page served."""
    low, high = call.window("eventTimeRangeStart", "eventTimeRangeEnd")
    kind, status = call.one("eventTypeSid"), call.one("sessionEventStatus")
    event_sid = call.one("eventSid")
    chosen = pick(call, install_sessions(call), _EVENT_FILTERS)
    data = call.data

    def row(event: Record) -> Record:
        return _event_row(data, data.session(str(event["sessionSid"])), event)

    parts: list[Part] = []
    for session in chosen:
        events: Sequence[Record] = session.events
        if event_sid is not None:
            found = find_event(session, event_sid)
            events = [found] if found else []
        if kind or status or low is not None:
            events = [
                e
                for e in events
                if same(e["eventTypeSid"], kind)
                and (status is None or str(e["status"]).lower() == status.lower())
                and within(e, "eventTime", low, high)
            ]
        parts.append((events, row))
    return Listing(ChainView(parts), drift=event_drift(call.data, chosen))


_APPOINTMENT_FILTERS = {
    "examSid": EXAM_SID,
    "courseSid": COURSE_SID,
    "courseOfferingSid": OFFERING_SID,
    "type": SESSION_TYPE,
    "status": STATUS,
    "reviewStatus": REVIEW,
    "examStatus": EXAM_STATUS,
    "learnerFirstName": FIRST_NAME,
    "learnerLastName": LAST_NAME,
    "learnerEmail": EMAIL,
    "learnerSid": USER_SID,
    "courseTitle": COURSE_TITLE,
    "examTitle": EXAM_TITLE,
}


@handles(_REPORTS + "/appointments")
def appointments(call: Call) -> Any:
    """One row per session of the install: the session object as served."""
    low, high = call.when("appointmentAfter"), call.when("appointmentBefore")
    rows = [
        s.wire
        for s in pick(call, install_sessions(call), _APPOINTMENT_FILTERS)
        if within(s.wire, "appointmentDate", low, high)
    ]
    return Listing(rows, drift=head_session_drift(call.data))


@handles(_REPORTS + "/unscheduledLearners")
def unscheduled_learners(call: Call) -> Any:
    """One row per (exam, learner) of the install where the learner has no session at all."""
    install, data = call.install(), call.data
    rows = []
    for exam in data.exams:
        if exam["installSid"] != install["sid"]:
            continue
        course = data.course(str(exam["courseSid"]))
        if not (
            same(course["sid"], call.one("courseSid"))
            and same(course["courseOfferingSid"], call.one("courseOfferingSid"))
            and contains(course["title"], call.one("courseTitle"))
            and contains(course["code"], call.one("courseCode"))
            and contains(exam["title"], call.one("examTitle"))
        ):
            continue
        taken = {s.enrollment_sid for s in data.exam_sessions(str(exam["sid"]))}
        for learner in data.course_enrollments(str(course["sid"])):
            if (
                learner["role"] == "learner"
                and learner["sid"] not in taken
                and contains(learner["firstName"], call.one("learnerFirstName"))
                and contains(learner["lastName"], call.one("learnerLastName"))
                and contains(learner["email"], call.one("learnerEmail"))
            ):
                rows.append(_learner_row(learner, course, exam))
    return Listing(rows, natural=())


def _learner_row(learner: Record, course: Record, exam: Record) -> Record:
    return {
        "sid": learner["userSid"],
        "userSid": learner["userSid"],
        "enrollmentSid": learner["sid"],
        "firstName": learner["firstName"],
        "lastName": learner["lastName"],
        "email": learner["email"],
        "courseSid": course["sid"],
        "courseTitle": course["title"],
        "courseCode": course["code"],
        "courseOfferingSid": course["courseOfferingSid"],
        "examSid": exam["sid"],
        "examTitle": exam["title"],
        "examOpenDate": exam["examOpenDate"],
        "examCloseDate": exam["examCloseDate"],
        "createdDate": learner["createdDate"],
    }


_SERVICE_FILTERS = {
    "courseOfferingSid": OFFERING_SID,
    "courseSid": COURSE_SID,
    "courseTitle": COURSE_TITLE,
    "courseCode": COURSE_CODE,
    "examTitle": EXAM_TITLE,
    "examSid": EXAM_SID,
}


def service_type(wire: Record) -> str:
    """The service type of a session, derived from its session type."""
    return SERVICE_TYPES.get(str(wire["sessionType"]), "live")


@handles(_REPORTS + "/serviceDistribution")
def service_distribution(call: Call) -> Any:
    """One row per Scheduled, Closed or Cancelled session of the install."""
    kinds, statuses = call.many("serviceTypes"), call.many("statuses")
    low, high = call.when("appointmentDateAfter"), call.when("appointmentDateBefore")
    wires = [
        s.wire
        for s in pick(call, install_sessions(call), _SERVICE_FILTERS)
        if s.status in ("Scheduled", "Closed", "Cancelled")
        and (not kinds or service_type(s.wire) in kinds)
        and (not statuses or s.status in statuses)
        and within(s.wire, "appointmentDate", low, high)
    ]
    rows = ChainView([(wires, partial(_service_row, call.data))])
    return Listing(rows, drift=head_session_drift(call.data))


def _service_row(data: FakeData, wire: Record) -> Record:
    course, exam, learner = context(data, data.session(str(wire["sid"])))
    return {
        "sid": wire["sid"],
        "status": wire["status"],
        "statusReason": wire["statusReason"],
        "billable": wire["status"] == "Closed",
        "schedulingModule": wire["schedulingModule"],
        "workflowModule": wire["workflowModule"],
        "appointmentDate": wire["appointmentDate"],
        "dateClosed": wire.get("dateClosed"),
        "dateCancelled": wire.get("dateCancelled"),
        "exam": {"sid": exam["sid"], "title": exam["title"], "type": exam["type"]},
        "course": {"sid": course["sid"], "title": course["title"], "code": course["code"]},
        "user": {
            "sid": learner["userSid"],
            "firstName": learner["firstName"],
            "lastName": learner["lastName"],
            "email": learner["email"],
        },
        "courseOffering": {
            "sid": course["courseOfferingSid"],
            "title": course["courseOfferingTitle"],
        },
        "serviceType": service_type(wire),
        "createdDate": wire["createdDate"],
    }


def install_exams(call: Call) -> list[tuple[Record, Record]]:
    """The (exam, course) pairs of the install of the path, optionally of one offering."""
    install = call.install()
    pairs = []
    for exam in call.data.exams:
        if exam["installSid"] == install["sid"]:
            course = call.data.course(str(exam["courseSid"]))
            if same(course["courseOfferingSid"], call.one("courseOfferingSid")):
                pairs.append((exam, course))
    return pairs


def exam_counts(call: Call, exam: Record) -> dict[str, int]:
    """How many sessions of an exam are in each of the main statuses."""
    sessions = call.data.exam_sessions(str(exam["sid"]))
    count = {
        status: sum(1 for s in sessions if s.status == status)
        for status in ("Scheduled", "Closed", "Cancelled", "Needs Proctor")
    }
    return {
        "totalSessions": len(sessions),
        "scheduledSessions": count["Scheduled"],
        "closedSessions": count["Closed"],
        "cancelledSessions": count["Cancelled"],
        "needsProctorSessions": count["Needs Proctor"],
    }


@handles("/v1/installs/{installSid}/examVolume")
def exam_volume(call: Call) -> Any:
    """One row per exam with its session counts."""
    low, high = call.window("examOpenDate", "examCloseDate")
    rows = [
        {
            "examSid": exam["sid"],
            "examTitle": exam["title"],
            "courseSid": course["sid"],
            "courseTitle": course["title"],
            "courseOfferingSid": course["courseOfferingSid"],
            "examOpenDate": exam["examOpenDate"],
            "examCloseDate": exam["examCloseDate"],
            "createdDate": exam["createdDate"],
            **exam_counts(call, exam),
        }
        for exam, course in install_exams(call)
        if within(exam, "examOpenDate", low, None) and within(exam, "examCloseDate", None, high)
    ]
    return Listing(rows)


@handles("/v1/installs/{installSid}/examsByWeek")
def exams_by_week(call: Call) -> Any:
    """Exams grouped by the week (Monday, UTC) of their open or close date."""
    key = call.one("groupBy") or "examOpenDate"
    low, high = _lenient(call, "startDate"), _lenient(call, "endDate")
    now = parse_iso(call.data.reference_time)
    weeks: dict[int, list[Record]] = {}
    for exam, _ in install_exams(call):
        opened, closed = ms_of(exam, "examOpenDate") or 0, ms_of(exam, "examCloseDate") or 0
        phase = "past" if closed < now else "upcoming" if opened > now else "active"
        moment = opened if key == "examOpenDate" else closed
        if same(phase, call.one("status")) and within({"d": iso(moment)}, "d", low, high):
            weeks.setdefault(_monday(moment), []).append(exam)
    rows = [
        {
            "weekStart": iso(start),
            "weekEnd": iso(start + 7 * DAY),
            "groupBy": key,
            "examCount": len(exams),
            "exams": [
                {k: e[k] for k in ("sid", "title", "courseSid", "examOpenDate", "examCloseDate")}
                for e in exams
            ],
        }
        for start, exams in sorted(weeks.items())
    ]
    return Listing(rows, natural=())


def _lenient(call: Call, name: str) -> int | None:
    value = call.one(name)
    if value is None:
        return None
    try:
        return parse_iso(value)
    except ValueError:
        raise invalid(f"Invalid {name}: {value!r} is not a date") from None


def _monday(ms: int) -> int:
    day = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=ms)
    monday = day.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=day.weekday())
    return parse_iso(monday.strftime("%Y-%m-%dT%H:%M:%S"))
