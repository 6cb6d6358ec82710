"""Handlers of the summary reports: single-object volumes and the per-exam/learner reports.

The real API documents none of these response shapes; these are plausible and consistent
with the sessions of the data set.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

from ._call import Call, Listing, contains, head_session_drift, same, table, within
from ._data import FakeSession
from ._records import DAY, HOUR, iso, ms_of, parse_iso, person
from ._reports import exam_counts, install_exams
from ._select import COURSE_SID, EXAM_SID, OFFERING_SID, context, install_sessions, pick

HANDLERS, handles = table()

_REPORTS = "/v1/installs/{installSid}/reports"


def _sessions(call: Call) -> list[FakeSession]:
    """The install's sessions filtered by the course/exam/offering query parameters."""
    filters = {"courseSid": COURSE_SID, "examSid": EXAM_SID, "courseOfferingSid": OFFERING_SID}
    return pick(call, install_sessions(call), filters)


def _in_window(call: Call, sessions: list[FakeSession]) -> list[FakeSession]:
    low, high = call.when("appointmentDateRangeStart"), call.when("appointmentDateRangeEnd")
    return [s for s in sessions if within(s.wire, "appointmentDate", low, high)]


@handles(_REPORTS + "/appointmentVolume")
def appointment_volume(call: Call) -> Any:
    """Appointments per day and per hour of day, with the busiest hour."""
    sessions = _in_window(call, _sessions(call))
    stamps = [str(s.wire["appointmentDate"]) for s in sessions]
    by_date = Counter(stamp[:10] for stamp in stamps)
    by_hour = Counter(int(stamp[11:13]) for stamp in stamps)
    by_slot = Counter((stamp[:10], int(stamp[11:13])) for stamp in stamps)
    peak = max(by_slot.items(), key=lambda item: (item[1], item[0]), default=None)
    return {
        "total": len(sessions),
        "byDate": [{"date": day, "count": n} for day, n in sorted(by_date.items())],
        "byHour": [{"hour": hour, "count": n} for hour, n in sorted(by_hour.items())],
        "peak": None
        if peak is None
        else {"date": peak[0][0], "hour": peak[0][1], "count": peak[1]},
    }


@handles(_REPORTS + "/aggregatedStats")
def aggregated_stats(call: Call) -> Any:
    """Sessions per exam type over the 10 days from the data set's reference time."""
    start = parse_iso(call.data.reference_time)
    sessions = [
        s for s in _sessions(call) if within(s.wire, "appointmentDate", start, start + 10 * DAY)
    ]
    types: dict[str, Counter[str]] = {}
    for session in sessions:
        types.setdefault(str(session.wire["sessionType"]), Counter())[session.status] += 1
    return {
        "startDate": iso(start),
        "endDate": iso(start + 10 * DAY),
        "examTypes": [
            {
                "type": kind,
                "sessions": sum(counts.values()),
                "scheduled": counts["Scheduled"],
                "needsProctor": counts["Needs Proctor"],
                "cancelled": counts["Cancelled"],
            }
            for kind, counts in sorted(types.items())
        ],
    }


@handles(_REPORTS + "/modalityDistribution")
def modality_distribution(call: Call) -> Any:
    """Sessions per proctoring modality (session type)."""
    sessions = _sessions(call)
    counts = Counter(str(s.wire["sessionType"]) for s in sessions)
    return {
        "total": len(sessions),
        "modalities": [
            {"modality": kind, "count": n, "percentage": round(100 * n / len(sessions), 2)}
            for kind, n in sorted(counts.items())
        ],
    }


@handles(_REPORTS + "/proctorAccountVolume")
def proctor_account_volume(call: Call) -> Any:
    """Sessions per proctor account in one status (Closed unless asked otherwise)."""
    status = call.one("examSessionStatus") or "Closed"
    wanted = status.lower().replace("-", " ")
    sessions = [s for s in _in_window(call, _sessions(call)) if s.status.lower() == wanted]
    counts = Counter(str(s.wire["instructorProctorSid"]) for s in sessions)
    return {
        "examSessionStatus": status,
        "total": len(sessions),
        "proctors": [{"proctorSid": sid, "sessions": n} for sid, n in sorted(counts.items())],
    }


_OVERVIEW_SORTS = {
    "status needs proctor": ("needsProctorSessions", True),
    "status cancelled": ("cancelledSessions", True),
    "status scheduled": ("scheduledSessions", True),
    "status closed": ("closedSessions", True),
    "examOpenDate": ("examOpenDate", False),
    "examCloseDate": ("examCloseDate", False),
    "examScheduleOpenDate": ("examScheduleOpenDate", False),
    "examScheduleCloseDate": ("examScheduleCloseDate", False),
    "examTitle": ("examTitle", False),
}


@handles(_REPORTS + "/examOverview")
def exam_overview(call: Call) -> Any:
    """One row per exam with learner and session counts, sorted by ``sortBy``."""
    low, high = call.window("examOpenDate", "examCloseDate")
    slow, shigh = call.window("examScheduleOpenDate", "examScheduleCloseDate")
    needs = call.flag("needsProctor")
    rows = []
    for exam, course in install_exams(call):
        learners = [
            e for e in call.data.course_enrollments(str(course["sid"])) if e["role"] == "learner"
        ]
        taken = {s.enrollment_sid for s in call.data.exam_sessions(str(exam["sid"]))}
        row = {
            "examSid": exam["sid"],
            "examTitle": exam["title"],
            "courseSid": course["sid"],
            "courseTitle": course["title"],
            "courseCode": course["code"],
            "courseOfferingSid": course["courseOfferingSid"],
            "instructorFirstName": course["instructorFirstName"],
            "instructorLastName": course["instructorLastName"],
            "examOpenDate": exam["examOpenDate"],
            "examCloseDate": exam["examCloseDate"],
            "examScheduleOpenDate": exam["scheduleOpenDate"],
            "examScheduleCloseDate": exam["scheduleCloseDate"],
            "totalLearners": len(learners),
            "unscheduledLearners": sum(1 for e in learners if e["sid"] not in taken),
            "createdDate": exam["createdDate"],
            **exam_counts(call, exam),
        }
        if (
            contains(course["title"], call.one("courseTitle"))
            and contains(course["code"], call.one("courseCode"))
            and contains(exam["title"], call.one("examTitle"))
            and contains(course["instructorFirstName"], call.one("instructorFirstName"))
            and contains(course["instructorLastName"], call.one("instructorLastName"))
            and within(row, "examOpenDate", low, None)
            and within(row, "examCloseDate", None, high)
            and within(row, "examScheduleOpenDate", slow, None)
            and within(row, "examScheduleCloseDate", None, shigh)
            and (needs is None or (row["needsProctorSessions"] > 0) == needs)
        ):
            rows.append(row)
    key, descending = _OVERVIEW_SORTS[call.one("sortBy") or "examTitle"]
    rows.sort(key=lambda r: r[key], reverse=descending)
    return Listing(rows, natural=())


@handles(_REPORTS + "/audit")
def audit(call: Call) -> Any:
    """One row per Closed session of exams within the exam date range."""
    low, high = call.window("examOpenDate", "examCloseDate")
    rows = []
    for session in install_sessions(call):
        course, exam, learner = context(call.data, session)
        if (
            session.status == "Closed"
            and same(course["courseOfferingSid"], call.one("courseOfferingSid"))
            and within(exam, "examOpenDate", low, None)
            and within(exam, "examCloseDate", None, high)
        ):
            wire = session.wire
            rows.append(
                {
                    "sid": wire["sid"],
                    "examSid": exam["sid"],
                    "examTitle": exam["title"],
                    "courseSid": course["sid"],
                    "courseTitle": course["title"],
                    "courseOfferingSid": course["courseOfferingSid"],
                    "userSid": learner["userSid"],
                    "learnerName": f"{learner['firstName']} {learner['lastName']}",
                    "status": wire["status"],
                    "reviewRequired": wire["reviewRequired"],
                    "reviewed": wire["reviewed"],
                    "reviewCompletedDate": wire["reviewCompletedDate"],
                    "dateClosed": wire.get("dateClosed"),
                    "createdDate": wire["createdDate"],
                }
            )
    return Listing(rows, drift=head_session_drift(call.data))


@handles(_REPORTS + "/churn")
def churn(call: Call) -> Any:
    """One row per (exam, learner) that has sessions: current status and its history."""
    low, high = call.window("examOpenDate", "examCloseDate")
    wanted = call.many("currentStatus")
    cancelled, closed = call.flag("hasCancelled"), call.flag("hasClosed")
    groups: dict[tuple[str, str], list[FakeSession]] = {}
    for session in install_sessions(call):
        groups.setdefault((session.exam_sid, session.enrollment_sid), []).append(session)
    rows = []
    for sessions in groups.values():
        course, exam, learner = context(call.data, sessions[-1])
        statuses = {s.status for s in sessions}
        row = {
            "userSid": learner["userSid"],
            "enrollmentSid": learner["sid"],
            "firstName": learner["firstName"],
            "lastName": learner["lastName"],
            "email": learner["email"],
            "courseSid": course["sid"],
            "courseTitle": course["title"],
            "courseOfferingSid": course["courseOfferingSid"],
            "examSid": exam["sid"],
            "examTitle": exam["title"],
            "currentStatus": sessions[-1].status,
            "hasCancelled": "Cancelled" in statuses,
            "hasClosed": "Closed" in statuses,
            "sessionCount": len(sessions),
            "createdDate": sessions[0].wire["createdDate"],
        }
        if (
            contains(course["title"], call.one("courseTitle"))
            and contains(exam["title"], call.one("examTitle"))
            and contains(learner["email"], call.one("email"))
            and contains(learner["firstName"], call.one("firstName"))
            and contains(learner["lastName"], call.one("lastName"))
            and same(course["courseOfferingSid"], call.one("courseOfferingSid"))
            and within(exam, "examOpenDate", low, None)
            and within(exam, "examCloseDate", None, high)
            and (cancelled is None or row["hasCancelled"] == cancelled)
            and (closed is None or row["hasClosed"] == closed)
            and (not wanted or row["currentStatus"] in wanted)
        ):
            rows.append(row)
    rows.sort(key=lambda r: ms_of(r, "createdDate") or 0)
    return Listing(rows)


@handles(_REPORTS + "/sessionRequests")
def session_requests(call: Call) -> Any:
    """One message thread per session that still waits for a proctor or an approval."""
    rows = []
    for session in _sessions(call):
        if session.status not in ("Needs Proctor", "Pending Approval", "Scheduled"):
            continue
        course, exam, learner = context(call.data, session)
        rng = random.Random(session.sid)  # the same thread for the same session, every time
        first, last, _ = person(rng, "proctors.example.com")
        created = (ms_of(session.wire, "createdDate") or 0) + HOUR
        confirmed = created + 2 * HOUR if session.status == "Scheduled" else None
        row = {
            "sid": "MT" + session.sid[2:],
            "sessionSid": session.sid,
            "examSid": exam["sid"],
            "courseSid": course["sid"],
            "status": session.status,
            "studentFirstName": learner["firstName"],
            "studentLastName": learner["lastName"],
            "studentEmail": learner["email"],
            "proctorFirstName": first,
            "proctorLastName": last,
            "createdDate": iso(created),
            "lastMessageDate": iso(created + rng.randint(1, 48) * HOUR),
            "confirmedDate": None if confirmed is None else iso(confirmed),
            "confirmedDateExpiration": None if confirmed is None else iso(confirmed + DAY),
        }
        if (
            contains(first, call.one("proctorFirstName"))
            and contains(last, call.one("proctorLastName"))
            and contains(learner["firstName"], call.one("studentFirstName"))
            and contains(learner["lastName"], call.one("studentLastName"))
            and contains(learner["email"], call.one("studentEmail"))
        ):
            rows.append(row)
    return Listing(rows)
