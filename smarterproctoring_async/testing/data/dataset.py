"""The data set a FakeAPI serves: FakeData (of FakeSessions), and the ways to change it.

Everything is in wire form (camelCase dicts, ISO dates). The server reads these objects on
every request, so a change made here (by a test, or by the FakeAPI's knobs) shows in the
next answer.
"""

from __future__ import annotations

import copy
import random
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .annotations import annotation_record, annotation_records, annotation_type_records
from .build import REASONS, enrollment_record, session_record
from .events import EventList
from .records import HOUR, Record, created_ms, iso, ms_of, new_sid, parse_iso, person
from .seeding import (
    ANNOTATION_FIELDS,
    EVENT_FIELDS,
    checked,
    event_record,
    extra_fields,
    position,
    with_event,
)
from .seeding import annotation_record as filled_annotation
from .session import FakeSession

_T = TypeVar("_T")
START = "2025-01-06T08:00:00.000Z"
SLOT = 4 * HOUR  # apart enough that one session's events never interleave with the next's
REVIEW_STATUSES = ("pending", "complete", "not-required")


@dataclass
class FakeData:
    """Everything a FakeAPI serves, in wire form (camelCase dicts).

    Build one with ``generate_data(...)``, then change it with ``add_session``,
    ``set_status``, ``set_review`` and the ``insert_*`` methods, or edit its records in
    place. Lists are in createdDate order (sessions: within each install). Lookups raise
    KeyError for an unknown SID. Add to the lists only by appending or inserting.
    ``course_offerings`` holds every offering of every course; a course's current one is
    its ``courseOfferingSid``.
    """

    installs: list[dict[str, Any]]
    courses: list[dict[str, Any]]
    exams: list[dict[str, Any]]
    enrollments: list[dict[str, Any]]
    sessions: list[FakeSession]
    event_types: list[dict[str, Any]]
    annotation_types: list[dict[str, Any]] = field(default_factory=annotation_type_records)
    reference_time: str = START
    seed: int = 0
    course_offerings: list[dict[str, Any]] = field(default_factory=list)
    _indexes: dict[str, tuple[int, dict[str, Any]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _rng: random.Random = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(f"additions/{self.seed}")

    def _index(self, name: str, items: Sequence[_T], key: Callable[[_T], str]) -> dict[str, _T]:
        cached = self._indexes.get(name)
        if cached is None or cached[0] != len(items):
            cached = (len(items), {key(item): item for item in items})
            self._indexes[name] = cached
        return cached[1]

    def _grouped(
        self, name: str, key: Callable[[FakeSession], str]
    ) -> dict[str, list[FakeSession]]:
        cached = self._indexes.get(name)
        if cached is None or cached[0] != len(self.sessions):
            groups: dict[str, list[FakeSession]] = {}
            for item in self.sessions:
                groups.setdefault(key(item), []).append(item)
            cached = (len(self.sessions), groups)
            self._indexes[name] = cached
        return cached[1]

    def session(self, sid: str) -> FakeSession:
        """The session with this SID."""
        return self._index("sessions", self.sessions, lambda s: s.sid)[sid]

    def install(self, sid: str) -> dict[str, Any]:
        """The install with this SID."""
        return self._index("installs", self.installs, lambda r: str(r["sid"]))[sid]

    def course(self, sid: str) -> dict[str, Any]:
        """The course with this SID."""
        return self._index("courses", self.courses, lambda r: str(r["sid"]))[sid]

    def exam(self, sid: str) -> dict[str, Any]:
        """The exam with this SID."""
        return self._index("exams", self.exams, lambda r: str(r["sid"]))[sid]

    def offering(self, sid: str) -> dict[str, Any]:
        """The course offering with this SID."""
        return self._index("offerings", self.course_offerings, lambda r: str(r["sid"]))[sid]

    def enrollment(self, sid: str) -> dict[str, Any]:
        """The enrollment with this SID."""
        return self._index("enrollments", self.enrollments, lambda r: str(r["sid"]))[sid]

    def course_enrollments(self, course_sid: str) -> list[dict[str, Any]]:
        """The enrollments of a course, in createdDate order."""
        cached = self._indexes.get("by-course")
        if cached is None or cached[0] != len(self.enrollments):
            groups: dict[str, list[Record]] = {}
            for item in self.enrollments:
                groups.setdefault(str(item["courseSid"]), []).append(item)
            cached = (len(self.enrollments), groups)
            self._indexes["by-course"] = cached
        found: list[dict[str, Any]] = cached[1].get(course_sid, [])
        return found

    def install_sessions(self, install_sid: str) -> list[FakeSession]:
        """The sessions of an install, in createdDate order."""
        return self._grouped("by-install", lambda s: s.install_sid).get(install_sid, [])

    def exam_sessions(self, exam_sid: str) -> list[FakeSession]:
        """The sessions of an exam, in createdDate order."""
        return self._grouped("by-exam", lambda s: s.exam_sid).get(exam_sid, [])

    def add_session(
        self,
        install_sid: str | None = None,
        exam_sid: str | None = None,
        status: str = "Closed",
        events: int | Iterable[Mapping[str, Any]] = 0,
        annotations: int | Iterable[Mapping[str, Any]] = 0,
    ) -> FakeSession:
        """Add a session after the install's last one and return it.

        Defaults: the first install and its first exam. ``events`` and ``annotations``
        are counts of generated records (``events`` may be huge: generated on access) or
        lists of field mappings, each added with ``add_event`` / ``add_annotation``.
        """
        if not isinstance(status, str) or not status:
            raise TypeError(f"status must be a non-empty str, not {status!r}")
        counts = [n if isinstance(n, int) else 0 for n in (events, annotations)]
        if any(isinstance(n, bool) or n < 0 for n in counts):
            raise ValueError("events and annotations must be counts >= 0 or lists of fields")
        install = self.install(install_sid) if install_sid else self.installs[0]
        exams = [e for e in self.exams if e["installSid"] == install["sid"]]
        exam = self.exam(exam_sid) if exam_sid else exams[0]
        if exam["installSid"] != install["sid"]:
            raise ValueError(f"exam {exam['sid']} is not in install {install['sid']}")
        course = self.course(str(exam["courseSid"]))
        siblings = self.install_sessions(str(install["sid"]))
        appointment = max(
            [parse_iso(self.reference_time)]
            + [parse_iso(str(s.wire["appointmentDate"])) + SLOT for s in siblings]
        )
        wire = session_record(
            self._rng,
            install=install,
            course=course,
            exam=exam,
            enrollment=self._free_learner(course, exam),
            status=status,
            appointment=appointment,
        )
        wire["sessionReportCount"] = counts[0]
        added = FakeSession(
            wire,
            EventList(wire, counts[0], self.event_types),
            annotation_records(self._rng, wire, counts[1]),
        )
        where = self.sessions.index(siblings[-1]) + 1 if siblings else len(self.sessions)
        self.sessions.insert(where, added)
        self.refresh_counts()
        for fields in () if isinstance(events, int) else events:
            self.add_event(added, **fields)
        for fields in () if isinstance(annotations, int) else annotations:
            self.add_annotation(added, **fields)
        return added

    def add_event(
        self, session: FakeSession | str, *, extra: Mapping[str, Any] | None = None, **fields: Any
    ) -> dict[str, Any]:
        """Add an event report to a session (a FakeSession or its SID) and return it.

        ``fields`` use the wire names of ``seeding.EVENT_FIELDS`` (``subject``, ``status``
        ``Open``/``Closed``, ``eventTime``, ``eventTypeSid``, ``draft``, ``createdDate``
        ...; dates as ISO strings or aware datetimes); the others are filled in, and
        ``extra`` adds fields the fake does not know. An unknown name or a wrong kind is
        a TypeError, a bad value a ValueError. The record goes where its createdDate
        puts it (default: after the last event) and ``sessionReportCount`` follows.
        """
        target = self._member(session)
        given = checked("event", EVENT_FIELDS, fields)
        added = extra_fields("event", EVENT_FIELDS, extra)
        record = event_record(self._rng, target.wire, target.events, self.event_types, given)
        record.update(added)
        target.events = with_event(target.events, record)
        target.wire["sessionReportCount"] = len(target.events)
        return record

    def add_annotation(
        self, session: FakeSession | str, *, extra: Mapping[str, Any] | None = None, **fields: Any
    ) -> dict[str, Any]:
        """Add a (v1) annotation to a session (a FakeSession or its SID) and return it.

        ``fields`` use the wire names of ``seeding.ANNOTATION_FIELDS`` (``severity``
        green/yellow/red, ``type`` manual/automated, ``title``, ``sessionTime``,
        ``status`` ``pending review``/``reviewed``, ``metadata``, ``createdDate`` ...);
        checked, filled and placed like ``add_event``. The v2 routes show it too.
        """
        target = self._member(session)
        given = checked("annotation", ANNOTATION_FIELDS, fields)
        added = extra_fields("annotation", ANNOTATION_FIELDS, extra)
        record = filled_annotation(self._rng, target.wire, target.annotations, given)
        record.update(added)
        notes = target.annotations
        notes.insert(position(notes, created_ms(record)), record)
        return record

    def _member(self, session: FakeSession | str) -> FakeSession:
        if isinstance(session, str):
            return self.session(session)
        if not isinstance(session, FakeSession) or self.session(session.sid) is not session:
            raise ValueError(f"{session!r:.60} is not a session of this data set")
        return session

    def _free_learner(self, course: Record, exam: Record) -> Record:
        learners = [
            e
            for e in self.enrollments
            if e["courseSid"] == course["sid"] and e["role"] == "learner"
        ]
        taken = {s.enrollment_sid for s in self.exam_sessions(str(exam["sid"]))}
        free = [e for e in learners if e["sid"] not in taken]
        if free or learners:
            return (free or learners)[0]
        created = parse_iso(str(course["createdDate"]))
        learner = enrollment_record(self._rng, course, "learner", created, person(self._rng))
        self.enrollments.append(learner)
        return learner

    def set_status(self, sid: str, status: str, when: int) -> None:
        """Move a session to ``status`` at ``when`` (ms since the epoch), dating it."""
        wire = self.session(sid).wire
        wire["status"] = status
        wire["statusReason"] = REASONS.get(status)
        stamp = iso(when)
        wire["editDate"] = stamp
        if status == "Closed":
            wire["dateClosed"] = stamp
        if status == "Cancelled":
            wire["dateCancelled"] = stamp
        self.refresh_counts()

    def set_review(self, sid: str, status: str, when: int) -> None:
        """Move a session's proctor review to ``status`` at ``when`` (ms since the epoch).

        ``status`` is one of ``REVIEW_STATUSES``: ``complete`` marks the session reviewed
        (``reviewRequired`` and ``reviewed`` true, ``reviewCompletedDate`` set),
        ``pending`` makes a review required and not done, ``not-required`` drops it. The
        session status is left alone: a review usually follows ``set_status("Closed")``.
        """
        if status not in REVIEW_STATUSES:
            raise ValueError(f"review status {status!r} is not one of {REVIEW_STATUSES}")
        wire = self.session(sid).wire
        stamp = iso(when)
        wire["reviewRequired"] = status != "not-required"
        wire["reviewed"] = status == "complete"
        wire["reviewCompletedDate"] = stamp if status == "complete" else None
        if status == "pending" and not wire.get("reviewByDate"):
            wire["reviewByDate"] = iso(when + 3 * 24 * HOUR)
        wire["editDate"] = stamp

    def refresh_counts(self) -> None:
        """Recompute the session counts carried by exams, courses and embedded exam objects."""
        totals = Counter(s.exam_sid for s in self.sessions)
        needy = Counter(s.exam_sid for s in self.sessions if s.status == "Needs Proctor")
        active = Counter(e["courseSid"] for e in self.exams if e["status"] == "active")
        for exam in self.exams:
            exam["totalSessions"] = totals[exam["sid"]]
            exam["needsProctorSessions"] = needy[exam["sid"]]
        for course in self.courses:
            course["activeExamCount"] = active[course["sid"]]
        for session in self.sessions:
            embedded = session.wire.get("exam")
            if isinstance(embedded, dict):
                embedded["totalSessions"] = totals[session.exam_sid]
                embedded["needsProctorSessions"] = needy[session.exam_sid]

    def insert_event(self, session: FakeSession, at_head: bool) -> dict[str, Any]:
        """Insert a new event report before (or after) every other event of a session."""
        events = session.events
        if len(events):
            record = dict(events[0] if at_head else events[-1])
            created = created_ms(record) + (-1 if at_head else 1)
        else:
            record = EventList(session.wire, 1, self.event_types)[0]
            created = ms_of(record, "createdDate") or 0
        record.update(sid=new_sid(self._rng, "ER"), createdDate=iso(created), editDate=iso(created))
        if isinstance(events, EventList):
            (events.insert_head if at_head else events.insert_tail)(record)
        else:
            materialised = events if isinstance(events, list) else list(events)
            materialised.insert(0 if at_head else len(materialised), record)
            session.events = materialised
        session.wire["sessionReportCount"] = len(session.events)
        return record

    def insert_annotation(self, session: FakeSession, at_head: bool) -> dict[str, Any]:
        """Insert a new annotation before (or after) every other annotation of a session."""
        notes = session.annotations
        if notes:
            record = dict(notes[0] if at_head else notes[-1])
            created = created_ms(record) + (-1 if at_head else 1)
        else:
            begin = parse_iso(str(session.wire["appointmentDate"]))
            record = annotation_record(self._rng, session.wire, 0.0, begin)
            created = ms_of(record, "createdDate") or 0
        record.update(sid=new_sid(self._rng, "AN"), createdDate=iso(created))
        notes.insert(0 if at_head else len(notes), record)
        return record

    def insert_session(self, neighbour: FakeSession, at_head: bool) -> FakeSession:
        """Insert a copy of ``neighbour`` (fresh SID, no events) just before or after it."""
        wire = copy.deepcopy(neighbour.wire)
        sid = new_sid(self._rng, "ES")
        created = (ms_of(wire, "createdDate") or 0) + (-1 if at_head else 1)
        wire.update(
            sid=sid,
            createdDate=iso(created),
            sessionReportCount=0,
            URL=f"https://proctoring.example.com/sessions/{sid}",
        )
        added = FakeSession(wire, EventList(wire, 0, self.event_types), [])
        where = self.sessions.index(neighbour) + (0 if at_head else 1)
        self.sessions.insert(where, added)
        self.refresh_counts()
        return added
