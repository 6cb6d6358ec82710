"""What a route handler gets (Call) and may return (Listing), plus filter helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._data import FakeData, FakeSession
from ._records import Record, ms_of, parse_iso
from ._routes import Route, invalid, not_found

Drift = Callable[[Sequence[Record], bool], None]


@dataclass
class Listing:
    """A paginated answer: the rows in their natural order, before offset/limit.

    ``drift(rows, at_head)`` inserts one new record at the head (or the tail) of ``rows``
    in the data set; ``natural`` names the sort keys ``rows`` already follow.
    """

    rows: Sequence[Record]
    drift: Drift | None = None
    natural: tuple[str, ...] = ("createdDate",)
    sort_fields: Mapping[str, str] = field(default_factory=dict)


Handler = Callable[["Call"], Any]


def table() -> tuple[dict[str, Handler], Callable[[str], Callable[[Handler], Handler]]]:
    """A handler table and the decorator that files a handler under a route template."""
    handlers: dict[str, Handler] = {}

    def handles(template: str) -> Callable[[Handler], Handler]:
        def file(function: Handler) -> Handler:
            handlers[template] = function
            return function

        return file

    return handlers, handles


@dataclass
class Call:
    """One validated request: the data, the route, path values and query values."""

    data: FakeData
    route: Route
    path: dict[str, str]
    query: dict[str, list[str]]

    def one(self, name: str) -> str | None:
        """The single value of a query parameter, None when absent."""
        values = self.query.get(name)
        return values[0] if values else None

    def many(self, name: str) -> list[str]:
        """Every value of a repeatable query parameter."""
        return list(self.query.get(name, []))

    def flag(self, name: str) -> bool | None:
        """A boolean query parameter (already validated), None when absent."""
        value = self.one(name)
        return None if value is None else value == "true"

    def when(self, name: str) -> int | None:
        """A date query parameter in ms since the epoch, None when absent."""
        value = self.one(name)
        if value is None:
            return None
        try:
            return parse_iso(value)
        except ValueError:
            raise invalid(f"Invalid {name}: {value!r} is not an ISO-8601 date") from None

    def window(self, start: str, end: str) -> tuple[int | None, int | None]:
        """A date range whose two ends must be sent together."""
        if (self.one(start) is None) != (self.one(end) is None):
            raise invalid(f"{start} and {end} must be sent together")
        return self.when(start), self.when(end)

    def install(self) -> Record:
        """The install of the path, 404 if unknown."""
        sid = self.path["installSid"]
        try:
            return self.data.install(sid)
        except KeyError:
            raise not_found(f"Install {sid} not found") from None

    def course(self) -> Record:
        """The course of the path, in the install of the path."""
        install, sid = self.install(), self.path["courseSid"]
        try:
            course = self.data.course(sid)
        except KeyError:
            course = None
        if course is None or course["installSid"] != install["sid"]:
            raise not_found(f"Course {sid} not found")
        return course

    def exam(self) -> Record:
        """The exam of the path, in the install (and the course) of the path."""
        install, sid = self.install(), self.path["examSid"]
        course_sid = self.course()["sid"] if "courseSid" in self.path else None
        try:
            exam = self.data.exam(sid)
        except KeyError:
            exam = None
        if exam is None or exam["installSid"] != install["sid"]:
            raise not_found(f"Exam {sid} not found")
        if course_sid is not None and exam["courseSid"] != course_sid:
            raise not_found(f"Exam {sid} not found in course {course_sid}")
        return exam

    def enrollment(self) -> Record:
        """The enrollment of the path, in the install (and the course) of the path."""
        install, sid = self.install(), self.path["enrollmentSid"]
        try:
            enrollment = self.data.enrollment(sid)
        except KeyError:
            enrollment = None
        if enrollment is None or enrollment["installSid"] != install["sid"]:
            raise not_found(f"Enrollment {sid} not found")
        if "courseSid" in self.path and enrollment["courseSid"] != self.course()["sid"]:
            raise not_found(f"Enrollment {sid} not found in course {self.path['courseSid']}")
        return enrollment

    def session(self) -> FakeSession:
        """The session of the path; 404 if unknown or not under the install/exam of the path."""
        sid = self.path["sessionSid"]
        try:
            session = self.data.session(sid)
        except KeyError:
            raise not_found(f"Session {sid} not found") from None
        for key, value in (("installSid", session.install_sid), ("examSid", session.exam_sid)):
            if key in self.path and self.path[key] != value:
                raise not_found(f"Session {sid} not found under {self.path[key]}")
        return session


def contains(value: Any, needle: str | None) -> bool:
    """Case-insensitive substring filter; a missing filter matches everything."""
    return needle is None or needle.lower() in str(value or "").lower()


def same(value: Any, wanted: str | None) -> bool:
    """Exact filter; a missing filter matches everything."""
    return wanted is None or value == wanted


def within(record: Record, key: str, low: int | None, high: int | None) -> bool:
    """Date filter: ``low`` inclusive, ``high`` exclusive; a record without the date fails."""
    if low is None and high is None:
        return True
    moment = ms_of(record, key)
    if moment is None:
        return False
    return (low is None or moment >= low) and (high is None or moment < high)


def head_session_drift(data: FakeData) -> Drift:
    """Drift for lists of sessions: copy the head (or tail) session next to it."""

    def drift(rows: Sequence[Record], at_head: bool) -> None:
        if len(rows):
            data.insert_session(data.session(str(rows[0 if at_head else -1]["sid"])), at_head)

    return drift


def event_drift(data: FakeData, sessions: Iterable[FakeSession]) -> Drift:
    """Drift for lists of events: a new event at the head (tail) of the head row's session."""
    fallback = list(sessions)

    def drift(rows: Sequence[Record], at_head: bool) -> None:
        if len(rows):
            target = data.session(str(rows[0 if at_head else -1]["sessionSid"]))
        elif fallback:
            target = fallback[0 if at_head else -1]
        else:
            return
        data.insert_event(target, at_head)

    return drift
