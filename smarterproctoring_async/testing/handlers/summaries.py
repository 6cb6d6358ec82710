"""Handlers of the summary reports: single-object volumes and the per-exam/week reports.

The other half of the client's ``resources/reports.py`` (the list reports of sessions,
events and learners are in ``reports.py``). The real API documents none of these
response shapes; these are plausible and consistent with the sessions of the data set.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from ..data import FakeData, FakeSession
from ..data.records import DAY, Record, iso, ms_of, parse_iso
from .base import Call, Listing, table
from .filters import Rule, course, exact, field, flag, keep, since, text, until, wire

HANDLERS, handles = table()

_INSTALL = "/v1/installs/{installSid}"
_REPORTS = _INSTALL + "/reports"

_SCOPE_RULES: dict[str, Rule[FakeSession]] = {
    "courseSid": exact(wire("courseSid")),
    "examSid": exact(wire("examSid")),
    "courseOfferingSid": exact(course("courseOfferingSid")),
    "appointmentDateRangeStart": since(wire("appointmentDate")),
    "appointmentDateRangeEnd": until(wire("appointmentDate")),
}


def _sessions(call: Call) -> Sequence[FakeSession]:
    """The install's sessions narrowed by whichever scope parameters the route has."""
    return keep(call, call.data.install_sessions(str(call.install()["sid"])), _SCOPE_RULES)


@handles(_REPORTS + "/appointmentVolume")
def appointment_volume(call: Call) -> Any:
    """Appointments per day and per hour of day, with the busiest hour."""
    sessions = _sessions(call)
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
    types: dict[str, Counter[str]] = {}
    for session in _sessions(call):
        if start <= (ms_of(session.wire, "appointmentDate") or 0) < start + 10 * DAY:
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


def _status_or_closed(call: Call, name: str) -> str:
    # Closed when absent (the reference's default), compared ignoring case and dashes.
    return (call.one(name) or "Closed").lower().replace("-", " ")


def _same_status(status: Any, wanted: str) -> bool:
    return str(status).lower() == wanted


_PROCTOR_RULES: dict[str, Rule[FakeSession]] = {
    "examSessionStatus": Rule(wire("status"), _same_status, _status_or_closed),
}


@handles(_REPORTS + "/proctorAccountVolume")
def proctor_account_volume(call: Call) -> Any:
    """Sessions per proctor account in one status (Closed unless asked otherwise)."""
    sessions = keep(call, _sessions(call), _PROCTOR_RULES)
    counts = Counter(str(s.wire["instructorProctorSid"]) for s in sessions)
    return {
        "examSessionStatus": call.one("examSessionStatus") or "Closed",
        "total": len(sessions),
        "proctors": [{"proctorSid": sid, "sessions": n} for sid, n in sorted(counts.items())],
    }


def _exam_rows(call: Call) -> list[Record]:
    """One row per exam of the install: the exam, its course and its session counts."""
    install, data = call.install(), call.data
    rows = []
    for exam in data.exams:
        if exam["installSid"] == install["sid"]:
            course_ = data.course(str(exam["courseSid"]))
            rows.append(
                {
                    "examSid": exam["sid"],
                    "examTitle": exam["title"],
                    "courseSid": course_["sid"],
                    "courseTitle": course_["title"],
                    "courseCode": course_["code"],
                    "courseOfferingSid": course_["courseOfferingSid"],
                    "instructorFirstName": course_["instructorFirstName"],
                    "instructorLastName": course_["instructorLastName"],
                    "examOpenDate": exam["examOpenDate"],
                    "examCloseDate": exam["examCloseDate"],
                    "examScheduleOpenDate": exam["scheduleOpenDate"],
                    "examScheduleCloseDate": exam["scheduleCloseDate"],
                    "createdDate": exam["createdDate"],
                    **_exam_counts(data, exam),
                }
            )
    return rows


def _exam_counts(data: FakeData, exam: Record) -> dict[str, int]:
    sessions = data.exam_sessions(str(exam["sid"]))
    count = Counter(s.status for s in sessions)
    return {
        "totalSessions": len(sessions),
        "scheduledSessions": count["Scheduled"],
        "closedSessions": count["Closed"],
        "cancelledSessions": count["Cancelled"],
        "needsProctorSessions": count["Needs Proctor"],
    }


_EXAM_RULES: dict[str, Rule[Record]] = {
    "courseOfferingSid": exact(field("courseOfferingSid")),
    "examOpenDate": since(field("examOpenDate"), partner="examCloseDate"),
    "examCloseDate": until(field("examCloseDate"), partner="examOpenDate"),
}
_VOLUME_KEYS = (
    "examSid", "examTitle", "courseSid", "courseTitle", "courseOfferingSid", "examOpenDate",
    "examCloseDate", "createdDate", "totalSessions", "scheduledSessions", "closedSessions",
    "cancelledSessions", "needsProctorSessions",
)  # fmt: skip


@handles(_INSTALL + "/examVolume")
def exam_volume(call: Call) -> Any:
    """One row per exam with its session counts."""
    rows = keep(call, _exam_rows(call), _EXAM_RULES)
    return Listing([{key: row[key] for key in _VOLUME_KEYS} for row in rows])


_OVERVIEW_RULES: dict[str, Rule[Record]] = {
    **_EXAM_RULES,
    "courseTitle": text(field("courseTitle")),
    "courseCode": text(field("courseCode")),
    "examTitle": text(field("examTitle")),
    "instructorFirstName": text(field("instructorFirstName")),
    "instructorLastName": text(field("instructorLastName")),
    "examScheduleOpenDate": since(field("examScheduleOpenDate"), partner="examScheduleCloseDate"),
    "examScheduleCloseDate": until(field("examScheduleCloseDate"), partner="examScheduleOpenDate"),
    "needsProctor": flag(field("needsProctorSessions")),
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
    data = call.data
    rows = list(keep(call, _exam_rows(call), _OVERVIEW_RULES))
    for row in rows:
        learners = [
            e for e in data.course_enrollments(str(row["courseSid"])) if e["role"] == "learner"
        ]
        taken = {s.enrollment_sid for s in data.exam_sessions(str(row["examSid"]))}
        row["totalLearners"] = len(learners)
        row["unscheduledLearners"] = sum(1 for e in learners if e["sid"] not in taken)
    key, descending = _OVERVIEW_SORTS[call.one("sortBy") or "examTitle"]
    rows.sort(key=lambda r: r[key], reverse=descending)
    return Listing(rows, natural=())


_WEEK_RULES: dict[str, Rule[Record]] = {
    "courseOfferingSid": exact(field("courseOfferingSid")),
    "status": exact(field("phase")),
    "startDate": since(field("moment")),
    "endDate": until(field("moment")),
}


@handles(_INSTALL + "/examsByWeek")
def exams_by_week(call: Call) -> Any:
    """Exams grouped by the week (Monday, UTC) of their open or close date."""
    key = call.one("groupBy") or "examOpenDate"
    now = parse_iso(call.data.reference_time)
    placed = []
    for row in _exam_rows(call):
        opened, closed = ms_of(row, "examOpenDate") or 0, ms_of(row, "examCloseDate") or 0
        phase = "past" if closed < now else "upcoming" if opened > now else "active"
        moment = iso(opened if key == "examOpenDate" else closed)
        placed.append(dict(row, phase=phase, moment=moment))
    weeks: dict[int, list[Record]] = {}
    for row in keep(call, placed, _WEEK_RULES):
        weeks.setdefault(_monday(parse_iso(row["moment"])), []).append(row)
    rows = [
        {
            "weekStart": iso(start),
            "weekEnd": iso(start + 7 * DAY),
            "groupBy": key,
            "examCount": len(exams),
            "exams": [
                {
                    "sid": e["examSid"],
                    "title": e["examTitle"],
                    "courseSid": e["courseSid"],
                    "examOpenDate": e["examOpenDate"],
                    "examCloseDate": e["examCloseDate"],
                }
                for e in exams
            ],
        }
        for start, exams in sorted(weeks.items())
    ]
    return Listing(rows, natural=())


def _monday(ms: int) -> int:
    day = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=ms)
    monday = day.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=day.weekday())
    return parse_iso(monday.strftime("%Y-%m-%dT%H:%M:%S"))
