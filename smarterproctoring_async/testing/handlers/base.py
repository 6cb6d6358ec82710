"""What a handler gets (Call), what it may return (Listing), and how it is filed.

Not a handler module: every handler module imports from here and from ``filters``, and
from no other handler module. A handler is a function of one ``Call`` that returns the
JSON payload of a single object, or a ``Listing`` that the server pages with the real
envelope. Errors are raised as ``ApiError`` (``server.errors``: ``invalid`` 400,
``not_found`` 404), which the server tells in its error style.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..data import FakeData, FakeSession
from ..data.records import Record, parse_iso
from ..server.errors import invalid, not_found
from ..server.routing import Route
from ..server.tokens import TokenState

Drift = Callable[[Sequence[Record], bool], None]
Handler = Callable[["Call"], Any]


@dataclass
class Listing:
    """A paginated answer: the rows in their natural order, before offset/limit.

    ``drift(rows, at_head)`` inserts one new record at the head (or the tail) of ``rows``
    in the data set; ``natural`` names the sort keys ``rows`` already follow;
    ``sort_fields`` maps a ``sortKeys`` value to the row field it sorts by.
    """

    rows: Sequence[Record]
    drift: Drift | None = None
    natural: tuple[str, ...] = ("createdDate",)
    sort_fields: Mapping[str, str] = field(default_factory=dict)


def table() -> tuple[dict[str, Handler], Callable[[str], Callable[[Handler], Handler]]]:
    """A handler table and the decorator that files a handler under route templates.

    ``@handles(template)`` may be stacked to serve several routes with one function.
    """
    handlers: dict[str, Handler] = {}

    def handles(template: str) -> Callable[[Handler], Handler]:
        def file(function: Handler) -> Handler:
            if template in handlers:
                raise ValueError(f"two handlers for {template}")
            handlers[template] = function
            return function

        return file

    return handlers, handles


@dataclass
class Call:
    """One validated request: the data, the route, path values and query values.

    The lookups (``install()``, ``session()``, ...) answer 404 for a SID that is unknown
    or not under the other SIDs of the path, the way the real API does. ``tokens`` is
    the server's token (the token utilities read and change it).
    """

    data: FakeData
    route: Route
    path: dict[str, str]
    query: dict[str, list[str]]
    tokens: TokenState | None = None

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
            raise invalid(
                f"Invalid {name}: {value!r} is not an ISO-8601 date",
                name,
                "must be a valid ISO 8601 date",
            ) from None

    def install(self) -> Record:
        """The install of the path."""
        found: Record = self._lookup("Install", self.data.install, "installSid")
        return found

    def course(self) -> Record:
        """The course of the path, in the install of the path."""
        found: Record = self._lookup("Course", self.data.course, "courseSid", "installSid")
        return found

    def offering(self) -> Record:
        """The course offering of the path, in the install of the path."""
        found: Record = self._lookup(
            "Course offering", self.data.offering, "offeringSid", "installSid"
        )
        return found

    def exam(self) -> Record:
        """The exam of the path, in the install (and the course) of the path."""
        found: Record = self._lookup("Exam", self.data.exam, "examSid", "installSid", "courseSid")
        return found

    def enrollment(self) -> Record:
        """The enrollment of the path, in the install (and the course) of the path."""
        found: Record = self._lookup(
            "Enrollment", self.data.enrollment, "enrollmentSid", "installSid", "courseSid"
        )
        return found

    def session(self) -> FakeSession:
        """The session of the path, under the install and exam of the path (if any)."""
        found: FakeSession = self._lookup(
            "Session", self.data.session, "sessionSid", "installSid", "examSid"
        )
        return found

    def _lookup(self, what: str, find: Callable[[str], Any], key: str, *parents: str) -> Any:
        # Parents first, so an unknown install is reported as such; then the record, which
        # must belong to those parents: a SID under another parent is as unknown as a
        # made-up one.
        named = [parent for parent in parents if parent in self.path]
        for parent in named:
            _PARENTS[parent](self)
        sid = self.path[key]
        try:
            found = find(sid)
        except KeyError:
            raise not_found(f"{what} {sid} not found") from None
        record = found.wire if isinstance(found, FakeSession) else found
        for parent in named:
            if record.get(parent) != self.path[parent]:
                raise not_found(f"{what} {sid} not found under {self.path[parent]}")
        return found


_PARENTS: dict[str, Callable[[Call], Any]] = {
    "installSid": Call.install,
    "courseSid": Call.course,
    "examSid": Call.exam,
}


def head_session_drift(data: FakeData) -> Drift:
    """Drift for lists of sessions: copy the head (or tail) session next to it."""

    def drift(rows: Sequence[Record], at_head: bool) -> None:
        if len(rows):
            data.insert_session(data.session(str(rows[0 if at_head else -1]["sid"])), at_head)

    return drift


def event_drift(data: FakeData, sessions: Iterable[FakeSession]) -> Drift:
    """Drift for lists of events: a new event at the head (tail) of the head row's session."""
    fallback = list(sessions)
    served = {s.sid for s in fallback}

    def drift(rows: Sequence[Record], at_head: bool) -> None:
        # The row's own sessionSid when it names a served session (a hand-written event
        # may name none): else the first (last) session served.
        owner = rows[0 if at_head else -1].get("sessionSid") if len(rows) else None
        if isinstance(owner, str) and owner in served:
            target = data.session(owner)
        elif fallback:
            target = fallback[0 if at_head else -1]
        else:
            return
        data.insert_event(target, at_head)

    return drift


def annotation_drift(data: FakeData, session: FakeSession) -> Drift:
    """Drift for a session's annotations (v1 or v2): a new one at its head (tail)."""

    def drift(rows: Sequence[Record], at_head: bool) -> None:
        data.insert_annotation(session, at_head)

    return drift
