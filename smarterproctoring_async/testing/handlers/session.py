"""Handlers of one exam session: details, status, event reports, annotations (v1 and v2).

Mirrors the client's ``resources/session.py``.
"""

from __future__ import annotations

from typing import Any

from ..data.annotations import annotation_v2
from ..data.records import Record
from ..data.views import ChainView
from ..server.errors import not_found
from .base import Call, Listing, annotation_drift, event_drift, table
from .filters import exact, field, flag, keep, since, until

HANDLERS, handles = table()

_V1 = "/v1/installs/{installSid}/exams/{examSid}/sessions/{sessionSid}"
_V2 = "/v2/installs/{installSid}/exams/{examSid}/sessions/{sessionSid}"


@handles(_V1)
def session_details(call: Call) -> Any:
    """The session details object."""
    return call.session().served()


@handles("/v1/sessions/{sessionSid}/status")
def session_status(call: Call) -> Any:
    """The lightweight status of a session (shape undocumented): ``{"sid", "status"}``."""
    session = call.session()
    return {"sid": session.sid, "status": session.status}


@handles(_V1 + "/events")
def session_events(call: Call) -> Any:
    """The event reports of a session (generated on access)."""
    session = call.session()
    return Listing(session.events, drift=event_drift(call.data, [session]))


@handles(_V1 + "/events/{eventReportSid}")
def session_event(call: Call) -> Any:
    """One event report of a session."""
    sid = call.path["eventReportSid"]
    found = call.session().event(sid)
    if found is None:
        raise not_found(f"Event report {sid} not found")
    return found


@handles(_V1 + "/annotations")
def annotations_v1(call: Call) -> Any:
    """The v1 annotations of a session, in createdDate order (v1 has no filters)."""
    session = call.session()
    return Listing(session.annotations, drift=annotation_drift(call.data, session))


@handles(_V1 + "/annotations/{annotationSid}")
def annotation_v1(call: Call) -> Any:
    """One v1 annotation of a session."""
    return _annotation(call)


_V2_RULES = {
    "typeId": exact(field("typeId")),
    "categoryId": exact(field("categoryId")),
    "reviewed": flag(field("reviewed")),
    # "created after" / "created before" in the reference: after inclusive, before not.
    "after": since(field("createdDate")),
    "before": until(field("createdDate")),
}


@handles(_V2 + "/annotations")
def annotations_v2(call: Call) -> Any:
    """The v2 annotations of a session: the v1 ones in their v2 form, filtered.

    The response shape is a guess (see ``data/annotations.py``); v2 rows are derived on
    each request, so records inserted while a client pages show in both generations.
    """
    session = call.session()
    rows = ChainView([(session.annotations, annotation_v2)])
    return Listing(keep(call, rows, _V2_RULES), drift=annotation_drift(call.data, session))


@handles(_V2 + "/annotations/{annotationSid}")
def annotation_v2_one(call: Call) -> Any:
    """One v2 annotation of a session (the same SIDs as v1)."""
    return annotation_v2(_annotation(call))


def _annotation(call: Call) -> Record:
    sid = call.path["annotationSid"]
    found = call.session().annotation(sid)
    if found is None:
        raise not_found(f"Annotation {sid} not found")
    return found
