"""The one way handlers filter rows: a table of query parameter -> Rule, applied by ``keep``.

A ``Rule`` reads its query parameter, gets a value from each row and compares the two.
Handlers declare ``{"examSid": exact(wire("examSid")), "courseTitle": text(...), ...}``
next to the route and call ``keep(call, rows, RULES)``. Parameters that are absent cost
nothing, and with none present the rows come back as they are (a lazy view of a million
events is not copied). The comparisons, one per kind of parameter:

- ``exact``: equal (SIDs, enums);
- ``text``: case-insensitive substring (the free-text search parameters);
- ``same_text``: case-insensitive equality (statuses whose spelling varies by route);
- ``one_of``: the row's value is one of the repeated parameter's values (arrays);
- ``flag``: a boolean parameter against a row's truth value;
- ``since`` / ``until``: a date at or after / strictly before the parameter; a row
  without the date fails; ``partner`` names the other end of a pair the API wants sent
  together (400 INVALIDINPUT otherwise).

A route whose parameter means something else builds its ``Rule(get, test, read)`` from a
getter, a test and one of the readers (``read_one``, ``read_values``, ``read_flag``); a
reader with a default makes the rule apply when the parameter is absent.

Not a handler module. Getters take (data, row): rows may be records or sessions whose
course, exam and learner live elsewhere in the data set.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ..data import FakeData, FakeSession
from ..data.records import Record, parse_iso
from ..server.errors import ApiError
from .base import Call

Row = TypeVar("Row")
Get = Callable[[FakeData, Row], Any]


@dataclass(frozen=True)
class Rule(Generic[Row]):
    """How one query parameter narrows rows: ``test(get(data, row), wanted)``."""

    get: Get[Row]
    test: Callable[[Any, Any], bool]
    read: Callable[[Call, str], Any]
    partner: str | None = None


def read_one(call: Call, name: str) -> str | None:
    """Reader: the parameter's single value, None when absent."""
    return call.one(name)


def read_values(call: Call, name: str) -> list[str] | None:
    """Reader: every value of a repeated parameter, None when absent."""
    return call.many(name) or None


def read_flag(default: bool | None = None) -> Callable[[Call, str], bool | None]:
    """Reader: a boolean parameter; ``default`` when absent (None: the rule is skipped)."""

    def read(call: Call, name: str) -> bool | None:
        value = call.flag(name)
        return default if value is None else value

    return read


def _when(call: Call, name: str) -> int | None:
    return call.when(name)


def _contains(value: Any, needle: str) -> bool:
    return needle.lower() in str(value or "").lower()


def _same_text(value: Any, wanted: str) -> bool:
    return str(value or "").lower() == wanted.lower()


def _moment(value: Any) -> int | None:
    return parse_iso(value) if isinstance(value, str) else None


def _at_or_after(value: Any, low: int) -> bool:
    moment = _moment(value)
    return moment is not None and moment >= low


def _before(value: Any, high: int) -> bool:
    moment = _moment(value)
    return moment is not None and moment < high


def exact(get: Get[Row]) -> Rule[Row]:
    """Equal to the parameter."""
    return Rule(get, lambda value, wanted: value == wanted, read_one)


def text(get: Get[Row]) -> Rule[Row]:
    """Contains the parameter, ignoring case."""
    return Rule(get, _contains, read_one)


def same_text(get: Get[Row]) -> Rule[Row]:
    """Equal to the parameter, ignoring case."""
    return Rule(get, _same_text, read_one)


def one_of(get: Get[Row]) -> Rule[Row]:
    """One of the values of a repeated parameter."""
    return Rule(get, lambda value, wanted: value in wanted, read_values)


def flag(get: Get[Row]) -> Rule[Row]:
    """True or false as the boolean parameter says."""
    return Rule(get, lambda value, wanted: bool(value) == wanted, read_flag())


def since(get: Get[Row], partner: str | None = None) -> Rule[Row]:
    """A date at or after the parameter."""
    return Rule(get, _at_or_after, _when, partner)


def until(get: Get[Row], partner: str | None = None) -> Rule[Row]:
    """A date strictly before the parameter."""
    return Rule(get, _before, _when, partner)


def keep(call: Call, rows: Sequence[Row], rules: Mapping[str, Rule[Row]]) -> Sequence[Row]:
    """The rows that pass every rule whose parameter was sent; ``rows`` itself if none was."""
    active = []
    for name, rule in rules.items():
        if rule.partner is not None and (call.one(name) is None) != (
            call.one(rule.partner) is None
        ):
            # joi's .and() words it with the key that came and the peer that did not.
            sent, missing = (
                (name, rule.partner) if call.one(name) is not None else (rule.partner, name)
            )
            raise ApiError(
                "invalid",
                f"{name} and {rule.partner} must be sent together",
                keys=(sent,),
                detail=f'"value" contains [{sent}] without its required peers [{missing}]',
            )
        wanted = rule.read(call, name)
        if wanted is not None:
            active.append((rule.get, rule.test, wanted))
    if not active:
        return rows
    data = call.data
    return [row for row in rows if all(test(get(data, row), w) for get, test, w in active)]


# Getters. For records: ``field``. For sessions: ``wire`` (the session object itself) and
# its ``course``, ``exam`` and ``learner`` (enrollment) records.


def field(key: str) -> Get[Record]:
    """A record's field."""
    return lambda data, row: row.get(key)


def wire(key: str) -> Get[FakeSession]:
    """A field of a session's details object."""
    return lambda data, session: session.wire.get(key)


def course(key: str) -> Get[FakeSession]:
    """A field of a session's course."""
    return lambda data, session: data.course(str(session.wire["courseSid"])).get(key)


def exam(key: str) -> Get[FakeSession]:
    """A field of a session's exam."""
    return lambda data, session: data.exam(session.exam_sid).get(key)


def learner(key: str) -> Get[FakeSession]:
    """A field of a session's enrollment."""
    return lambda data, session: data.enrollment(session.enrollment_sid).get(key)


def review_status(data: FakeData, session: FakeSession) -> str:
    """A session's review status (pending, complete, not-required)."""
    return session.review_status


def session_context(data: FakeData, session: FakeSession) -> tuple[Record, Record, Record]:
    """The course, exam and enrollment of a session."""
    return (
        data.course(str(session.wire["courseSid"])),
        data.exam(session.exam_sid),
        data.enrollment(session.enrollment_sid),
    )
