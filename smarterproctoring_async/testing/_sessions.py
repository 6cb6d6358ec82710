"""Handlers of the session-level routes, the catalogues and the token utilities."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._call import Call, Listing, event_drift, same, table, within
from ._data import FakeSession
from ._records import EventList, Record
from ._routes import not_found

HANDLERS, handles = table()

_SESSION = "/v1/installs/{installSid}/exams/{examSid}/sessions/{sessionSid}"
_SESSION_V2 = "/v2/installs/{installSid}/exams/{examSid}/sessions/{sessionSid}"


@handles("/v1/check")
def check(call: Call) -> Any:
    """Token check."""
    return {"status": "ok", "message": "Authenticated"}


@handles("/v1/ttl")
def ttl(call: Call) -> Any:
    """Token time to live, in seconds."""
    return {"ttl": 3600}


@handles("/v1/permissions")
def permissions(call: Call) -> Any:
    """What the token may do."""
    return {"permissions": ["reports:read", "sessions:read", "events:read", "annotations:read"]}


@handles("/v1/sessions/events/types")
def event_types(call: Call) -> Any:
    """The event type catalogue."""
    return Listing(call.data.event_types)


@handles("/v2/installs/{installSid}/annotationTypes")
def annotation_types(call: Call) -> Any:
    """The v2 annotation type catalogue (a bare JSON array: the route does not page)."""
    call.install()
    categories = call.many("categoryId")
    ending = call.flag("includeEndingAnnotations") or False
    return [
        t
        for t in call.data.annotation_types
        if (not categories or t["categoryId"] in categories) and (ending or not t["endsRange"])
    ]


@handles(_SESSION)
def session_details(call: Call) -> Any:
    """The session details object."""
    return call.session().wire


@handles("/v1/sessions/{sessionSid}/status")
def session_status(call: Call) -> Any:
    """The lightweight status of a session."""
    session = call.session()
    return {"sid": session.sid, "status": session.status}


@handles(_SESSION + "/events")
def session_events(call: Call) -> Any:
    """The event reports of a session (generated on access)."""
    session = call.session()
    return Listing(session.events, drift=event_drift(call.data, [session]))


@handles(_SESSION + "/events/{eventReportSid}")
def session_event(call: Call) -> Any:
    """One event report of a session."""
    sid = call.path["eventReportSid"]
    found = find_event(call.session(), sid)
    if found is None:
        raise not_found(f"Event report {sid} not found")
    return found


def find_event(session: FakeSession, sid: str) -> Record | None:
    """An event of a session by SID, without scanning generated events."""
    if isinstance(session.events, EventList):
        return session.events.find(sid)
    return next((e for e in session.events if e.get("sid") == sid), None)


def _annotations(call: Call) -> Listing:
    session = call.session()

    def drift(rows: Sequence[Record], at_head: bool) -> None:
        call.data.insert_annotation(session, at_head)

    return Listing(session.annotations, drift=drift)


def _annotation(call: Call) -> Record:
    sid = call.path["annotationSid"]
    found = next((a for a in call.session().annotations if a.get("sid") == sid), None)
    if found is None:
        raise not_found(f"Annotation {sid} not found")
    return found


handles(_SESSION + "/annotations")(_annotations)
handles(_SESSION + "/annotations/{annotationSid}")(_annotation)
handles(_SESSION_V2 + "/annotations/{annotationSid}")(_annotation)


@handles(_SESSION_V2 + "/annotations")
def annotations_v2(call: Call) -> Any:
    """The v2 annotation list: the v1 annotations, with the v2 filters applied."""
    listing = _annotations(call)
    reviewed = call.flag("reviewed")
    after, before = call.when("after"), call.when("before")
    rows = [
        a
        for a in listing.rows
        if same(a.get("typeId", a.get("type")), call.one("typeId"))
        and same(a.get("categoryId", a.get("severity")), call.one("categoryId"))
        and (reviewed is None or (a.get("status") == "reviewed") == reviewed)
        and within(a, "createdDate", after, before)
    ]
    if len(rows) == len(listing.rows):
        return listing
    return Listing(rows, drift=listing.drift)
