"""generate_data(): a consistent, deterministic data set for the fake API."""

from __future__ import annotations

import random

from .annotations import annotation_records
from .build import (
    PAST,
    course_record,
    enrollment_record,
    event_type_records,
    exam_record,
    install_record,
    offering_records,
    pick_statuses,
    session_record,
)
from .dataset import SLOT, START, FakeData
from .events import EventList
from .records import HOUR, SECOND, Record, iso, parse_iso, person
from .session import FakeSession


def generate_data(
    seed: int = 0,
    installs: int = 1,
    exams: int = 3,
    sessions_per_exam: int = 10,
    events: tuple[int, int] = (0, 300),
    annotations: tuple[int, int] = (0, 20),
) -> FakeData:
    """Generate a consistent data set, the same for the same arguments.

    Per install: ``exams`` exams over ``(exams + 1) // 2`` courses, each course with an
    instructor and ``sessions_per_exam + 2`` learners (so every exam has unscheduled
    learners), ``sessions_per_exam`` sessions per exam (one learner each), every session
    status across the data set (most Closed), and per session a number of events and
    annotations drawn from the inclusive ranges ``events`` and ``annotations``. Events are
    generated on access, so ``events=(10**6, 10**6)`` is cheap. Each course also has
    three offerings (the current one, which its learners are in, and two upcoming).
    """
    rng = random.Random(seed)
    start = parse_iso(START)
    event_types = event_type_records(rng, start)
    statuses = iter(pick_statuses(rng, installs * exams * sessions_per_exam))
    data = FakeData([], [], [], [], [], event_types, seed=seed)
    latest_start = start
    for number in range(1, installs + 1):
        install = install_record(rng, number, start)
        courses = [course_record(rng, install, i, start) for i in range((exams + 1) // 2)]
        learners: dict[str, list[Record]] = {}
        for course in courses:
            created = parse_iso(str(course["createdDate"])) + HOUR
            data.enrollments.append(
                enrollment_record(rng, course, "instructor", created, _instructor(course))
            )
            learners[course["sid"]] = [
                enrollment_record(rng, course, "learner", created + k * SECOND, person(rng))
                for k in range(1, sessions_per_exam + 3)
            ]
            data.enrollments.extend(learners[course["sid"]])
        end = start + exams * sessions_per_exam * SLOT
        install_exams = [
            exam_record(rng, courses[i % len(courses)], i, start, end) for i in range(exams)
        ]
        specs = [
            (exam, enrollment, next(statuses))
            for exam in install_exams
            for enrollment in rng.sample(learners[exam["courseSid"]], sessions_per_exam)
        ]
        rng.shuffle(specs)
        specs.sort(key=lambda spec: _phase(spec[2]))
        past = sum(1 for spec in specs if _phase(spec[2]) == 0)
        latest_start = max(latest_start, start + past * SLOT)
        for slot, (exam, enrollment, status) in enumerate(specs):
            wire = session_record(
                rng,
                install=install,
                course=_course_of(courses, exam),
                exam=exam,
                enrollment=enrollment,
                status=status,
                appointment=start + slot * SLOT,
            )
            count = rng.randint(*events)
            wire["sessionReportCount"] = count
            notes = annotation_records(rng, wire, rng.randint(*annotations))
            data.sessions.append(FakeSession(wire, EventList(wire, count, event_types), notes))
        data.installs.append(install)
        data.courses.extend(courses)
        for course in courses:
            data.course_offerings.extend(offering_records(course))
        data.exams.extend(install_exams)
    data.reference_time = iso(latest_start)
    data.refresh_counts()
    return data


def _course_of(courses: list[Record], exam: Record) -> Record:
    return next(c for c in courses if c["sid"] == exam["courseSid"])


def _instructor(course: Record) -> tuple[str, str, str]:
    first, last = str(course["instructorFirstName"]), str(course["instructorLastName"])
    return first, last, f"{first}.{last}@example.edu".lower()


def _phase(status: str) -> int:
    return 0 if status in PAST else 1 if status == "In Progress" else 2
