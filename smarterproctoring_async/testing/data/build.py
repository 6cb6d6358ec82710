"""Builders of single wire records: install, course, course offering, exam, enrollment,
session, event type (annotations: ``annotations.py``).

Each takes a ``random.Random`` so that a data set is a pure function of its seed.
"""

from __future__ import annotations

import random

from .records import (
    DAY,
    EVENT_TYPES,
    EXAM_KINDS,
    HOUR,
    MINUTE,
    SESSION_TYPES,
    SUBJECTS,
    Record,
    iso,
    new_sid,
    parse_iso,
    person,
)

STATUSES = (
    "Needs Proctor",
    "Pending Approval",
    "Approval Denied",
    "Scheduled",
    "Incident",
    "Processing",
    "In Progress",
    "Closed",
    "Cancelled",
)
# Sessions that have happened take the earliest appointment slots, upcoming ones the last,
# so that dates read plausibly against the data set's reference time.
PAST = ("Closed", "Cancelled", "Approval Denied", "Incident", "Processing")
STARTED = ("In Progress", "Incident", "Processing", "Closed")
REASONS = {
    "Closed": "Completed",
    "Cancelled": "Cancelled by learner",
    "Incident": "Integrity incident reported",
    "Approval Denied": "Denied by instructor",
}
# (term, first day, last day) of a course's offerings: the first is the current one.
TERMS = (
    ("Spring 2025", "2025-01-06T00:00:00.000Z", "2025-05-09T23:59:59.000Z"),
    ("Summer 2025", "2025-05-27T00:00:00.000Z", "2025-08-08T23:59:59.000Z"),
    ("Fall 2025", "2025-08-25T00:00:00.000Z", "2025-12-12T23:59:59.000Z"),
)


def install_record(rng: random.Random, number: int, start: int) -> Record:
    """An install (institution)."""
    return {
        "sid": new_sid(rng, "AI"),
        "name": f"Example University {number}",
        "account": f"Example Account {number}",
        "timezone": "UTC",
        "createdDate": iso(start - 400 * DAY + number * HOUR),
    }


def course_record(rng: random.Random, install: Record, number: int, start: int) -> Record:
    """A course with one course offering and one instructor."""
    code, subject = rng.choice(SUBJECTS)
    first, last, _ = person(rng)
    title = f"{subject} {100 + number}"
    created = start - 60 * DAY + number * HOUR
    return {
        "sid": new_sid(rng, "CU"),
        "installSid": install["sid"],
        "title": title,
        "code": f"{code}-{100 + number}",
        "courseOfferingSid": new_sid(rng, "CO"),
        "courseOfferingTitle": f"{title} ({TERMS[0][0]})",
        "instructorSid": new_sid(rng, "US"),
        "instructorFirstName": first,
        "instructorLastName": last,
        "instructorName": f"{first} {last}",
        "activeExamCount": 0,
        "createdDate": iso(created),
        "editDate": iso(created + DAY),
    }


def offering_records(course: Record) -> list[Record]:
    """The offerings of a course, one per term of ``TERMS`` (a guess: not documented).

    The first is the course's current offering, ``course["courseOfferingSid"]``, which its
    enrollments and sessions belong to (so every ``courseOfferingSid`` filter refers to
    it); the later ones have no enrollments yet. They are drawn from a random stream of
    their own, seeded by the course SID, so that every other record of a seed is the
    same as before offerings existed.
    """
    rng = random.Random(f"offerings/{course['sid']}")
    created = parse_iso(str(course["createdDate"]))
    offerings = []
    for number, (term, first, last) in enumerate(TERMS):
        sid = str(course["courseOfferingSid"]) if number == 0 else new_sid(rng, "CO")
        offerings.append(
            {
                "sid": sid,
                "installSid": course["installSid"],
                "courseSid": course["sid"],
                "courseTitle": course["title"],
                "courseCode": course["code"],
                "title": f"{course['title']} ({term})",
                "term": term,
                "startDate": first,
                "endDate": last,
                "status": "active" if number == 0 else "upcoming",
                "instructorSid": course["instructorSid"],
                "createdDate": iso(created + number * HOUR),
                "editDate": iso(created + number * HOUR),
            }
        )
    return offerings


def enrollment_record(
    rng: random.Random, course: Record, role: str, created: int, who: tuple[str, str, str]
) -> Record:
    """An enrollment of one user in a course."""
    first, last, email = who
    user_sid = course["instructorSid"] if role == "instructor" else new_sid(rng, "US")
    return {
        "sid": new_sid(rng, "EN"),
        "installSid": course["installSid"],
        "courseSid": course["sid"],
        "courseTitle": course["title"],
        "courseOfferingSid": course["courseOfferingSid"],
        "courseOfferingTitle": course["courseOfferingTitle"],
        "userSid": user_sid,
        "firstName": first,
        "lastName": last,
        "email": email,
        "role": role,
        "state": "active",
        "createdDate": iso(created),
        "editDate": iso(created),
    }


def exam_record(rng: random.Random, course: Record, number: int, start: int, end: int) -> Record:
    """An exam of a course, open from before ``start`` until after ``end``."""
    kind = EXAM_KINDS[number % len(EXAM_KINDS)]
    opened = start - rng.randint(3, 10) * DAY
    closed = end + rng.randint(3, 10) * DAY
    created = start - 30 * DAY + number * HOUR
    sid = new_sid(rng, "EX")
    return {
        "sid": sid,
        "installSid": course["installSid"],
        "courseSid": course["sid"],
        "title": f"{course['title']} {kind}",
        "type": SESSION_TYPES[number % len(SESSION_TYPES)],
        "description": f"{kind} for {course['title']}.",
        "useProctorManager": rng.random() < 0.5,
        "requireApproval": rng.random() < 0.3,
        "enableAppointmentSuggestions": rng.random() < 0.5,
        "url": f"https://lms.example.edu/exams/{sid}",
        "status": "active",
        "instructorName": course["instructorName"],
        "courseName": course["title"],
        "totalSessions": 0,
        "needsProctorSessions": 0,
        "platformVersion": "v2",
        "duration": rng.choice((60, 90, 120)),
        "examOpenDate": iso(opened),
        "examCloseDate": iso(closed),
        "scheduleOpenDate": iso(opened - 7 * DAY),
        "scheduleCloseDate": iso(closed - DAY),
        "createdDate": iso(created),
        "editDate": iso(created + 2 * DAY),
    }


def exam_summary(exam: Record) -> Record:
    """The ``exam`` object embedded in sessions and appointments."""
    keys = (
        "sid", "courseSid", "title", "type", "description", "useProctorManager",
        "requireApproval", "enableAppointmentSuggestions", "url", "status", "instructorName",
        "courseName", "totalSessions", "needsProctorSessions", "platformVersion",
    )  # fmt: skip
    return {key: exam[key] for key in keys}


def session_record(
    rng: random.Random,
    *,
    install: Record,
    course: Record,
    exam: Record,
    enrollment: Record,
    status: str,
    appointment: int,
) -> Record:
    """A session details object in the given status, its appointment at ``appointment``."""
    sid = new_sid(rng, "ES")
    created = appointment - 3 * DAY + rng.randint(0, 59) * MINUTE
    duration = int(exam["duration"])
    started = status in STARTED
    approved = None if status in ("Pending Approval", "Approval Denied") else created + HOUR
    scheduled = (
        None
        if status in ("Needs Proctor", "Pending Approval", "Approval Denied")
        else (created + 2 * HOUR)
    )
    closed = appointment + (duration + 5) * MINUTE if status == "Closed" else None
    cancelled = created + DAY if status == "Cancelled" else None
    review_required = rng.random() < 0.5
    reviewed = bool(closed and review_required and rng.random() < 0.7)
    review_done = closed + DAY if closed and reviewed else None
    stamps = [created, approved, scheduled, closed, cancelled, review_done]
    stamps += [appointment + MINUTE] if started else []
    proctor_sid = new_sid(rng, "PU")
    session_type = str(exam["type"])
    return {
        "sid": sid,
        "installSid": install["sid"],
        "examSid": exam["sid"],
        "enrollmentSid": enrollment["sid"],
        "userSid": enrollment["userSid"],
        "courseSid": course["sid"],
        "instructorProctorSid": proctor_sid,
        "proctorTypeSid": new_sid(rng, "TS"),
        "cancellationPolicySid": new_sid(rng, "CP"),
        "cancellationPolicyVersionSid": new_sid(rng, "CV"),
        "status": status,
        "statusReason": REASONS.get(status),
        "accessKey": f"{rng.getrandbits(64):016x}",
        "duration": duration,
        "sessionType": session_type,
        "schedulingModule": "proctoru" if session_type == "proctoru" else "smarterproctoring",
        "proctorReviewProcessSid": new_sid(rng, "PR"),
        "workflowModule": "review" if review_required else "standard",
        "appointmentDate": iso(appointment),
        "appointmentEndDate": iso(appointment + duration * MINUTE),
        "dateApproved": _opt(approved),
        "dateScheduled": _opt(scheduled),
        "createdDate": iso(created),
        "inProgressDate": iso(appointment) if started else None,
        "externalAppointmentId": f"PU-{rng.randint(10**6, 10**7)}"
        if session_type == "proctoru"
        else None,
        "externalReservedAppointmentId": None,
        "externalReservedAppointmentExpires": None,
        "externalAppointmentSyncDate": None,
        "editDate": iso(max(s for s in stamps if s is not None)),
        "notes": "",
        "recordingStartDate": iso(appointment + MINUTE) if started else None,
        "account": install["account"],
        "install": install["name"],
        "deployment": "production",
        "sessionReportCount": 0,
        "series": None,
        "reviewByDate": iso(appointment + 3 * DAY) if review_required else None,
        "reviewByUserSid": new_sid(rng, "PU") if review_required else None,
        "reviewCompletedDate": _opt(review_done),
        "reviewRequired": review_required,
        "reviewCompleteNotificationUrl": f"https://lms.example.edu/hooks/review/{sid}",
        "reviewed": reviewed,
        "proctorGroups": "Default Group",
        "URL": f"https://proctoring.example.com/sessions/{sid}",
        "examLocale": "en-US",
        "platformVersion": "v2",
        "systemCheckStartDate": iso(appointment - 10 * MINUTE) if started else None,
        "systemCheckEndDate": iso(appointment - 5 * MINUTE) if started else None,
        "modalityOptions": "webcam,screen",
        "dateClosed": _opt(closed),
        "dateCancelled": _opt(cancelled),
        "exam": exam_summary(exam),
        "enrollment": {
            key: enrollment[key]
            for key in ("userSid", "courseSid", "role", "firstName", "lastName", "email")
        }
        | {"enrollmentSid": enrollment["sid"]},
        "course": {
            key: course[key]
            for key in ("sid", "title", "code", "courseOfferingSid", "courseOfferingTitle")
        },
        "examFile": None,
        "returnedFile": None,
        "photos": None,
        # Not in the API reference: here so that clients keep unknown fields somewhere.
        "proctoringFlags": {
            "browserLockdown": rng.random() < 0.8,
            "roomScan": rng.random() < 0.5,
            "idVerification": True,
        },
    }


def _opt(ms: int | None) -> str | None:
    return None if ms is None else iso(ms)


def event_type_records(rng: random.Random, start: int) -> list[Record]:
    """The event type catalogue."""
    return [
        {
            "sid": new_sid(rng, "ET"),
            "name": name,
            "category": category,
            "description": f"{name} during an exam session.",
            "active": True,
            "createdDate": iso(start - 500 * DAY + number * DAY),
        }
        for number, (name, category) in enumerate(EVENT_TYPES)
    ]


def pick_statuses(rng: random.Random, total: int) -> list[str]:
    """``total`` statuses: every status at least once when there is room, mostly Closed."""
    others = [s for s in STATUSES if s != "Closed"]
    chosen = others[:total]
    while len(chosen) < total:
        chosen.append("Closed" if rng.random() < 0.8 else rng.choice(others))
    rng.shuffle(chosen)
    return chosen
