"""Choosing an install's sessions by query filters, touching only the filters asked for.

Reports scan every session of an install on every page; a filter that is not in the query
costs nothing, so a large data set pages quickly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ._call import Call, contains, same
from ._data import FakeData, FakeSession
from ._records import Record

Getter = Callable[[FakeData, FakeSession], Any]
Filter = tuple[Callable[[Any, str | None], bool], Getter]


def course_of(data: FakeData, session: FakeSession) -> Record:
    """The course of a session."""
    return data.course(str(session.wire["courseSid"]))


def exam_of(data: FakeData, session: FakeSession) -> Record:
    """The exam of a session."""
    return data.exam(session.exam_sid)


def learner_of(data: FakeData, session: FakeSession) -> Record:
    """The enrollment of a session."""
    return data.enrollment(session.enrollment_sid)


def context(data: FakeData, session: FakeSession) -> tuple[Record, Record, Record]:
    """The course, exam and enrollment of a session."""
    return course_of(data, session), exam_of(data, session), learner_of(data, session)


def _course(key: str) -> Getter:
    return lambda data, session: course_of(data, session)[key]


def _exam(key: str) -> Getter:
    return lambda data, session: exam_of(data, session)[key]


def _learner(key: str) -> Getter:
    return lambda data, session: learner_of(data, session)[key]


def _wire(key: str) -> Getter:
    return lambda data, session: session.wire.get(key)


def review_status(wire: Record) -> str:
    """pending, complete or not-required, as the appointments filter names it."""
    if not wire.get("reviewRequired"):
        return "not-required"
    return "complete" if wire.get("reviewed") else "pending"


EXAM_SID: Filter = (same, _wire("examSid"))
COURSE_SID: Filter = (same, _wire("courseSid"))
OFFERING_SID: Filter = (same, _course("courseOfferingSid"))
COURSE_TITLE: Filter = (contains, _course("title"))
COURSE_CODE: Filter = (contains, _course("code"))
EXAM_TITLE: Filter = (contains, _exam("title"))
EXAM_STATUS: Filter = (same, _exam("status"))
FIRST_NAME: Filter = (contains, _learner("firstName"))
LAST_NAME: Filter = (contains, _learner("lastName"))
EMAIL: Filter = (contains, _learner("email"))
USER_SID: Filter = (same, _learner("userSid"))
INSTRUCTOR_FIRST: Filter = (contains, _course("instructorFirstName"))
INSTRUCTOR_LAST: Filter = (contains, _course("instructorLastName"))
SESSION_TYPE: Filter = (same, _wire("sessionType"))
STATUS: Filter = (same, _wire("status"))
REVIEW: Filter = (same, lambda data, session: review_status(session.wire))


def pick(
    call: Call, sessions: Iterable[FakeSession], filters: Mapping[str, Filter]
) -> list[FakeSession]:
    """The sessions that pass every filter whose query parameter was sent."""
    tests = [
        (test, get, value)
        for name, (test, get) in filters.items()
        if (value := call.one(name)) is not None
    ]
    data = call.data
    return [s for s in sessions if all(test(get(data, s), value) for test, get, value in tests)]


def install_sessions(call: Call) -> list[FakeSession]:
    """The sessions of the install of the path (404 for an unknown install)."""
    return call.data.install_sessions(str(call.install()["sid"]))
