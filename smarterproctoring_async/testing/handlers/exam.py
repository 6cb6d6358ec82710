"""Handlers of one exam's lists: its sessions' events, and events/annotations by learner.

Mirrors the client's ``resources/exam.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..data import FakeSession
from ..data.records import Record
from ..data.views import ChainView
from .base import Call, Listing, event_drift, table
from .filters import exact, field, keep

HANDLERS, handles = table()

_EXAM = "/v1/installs/{installSid}/exams/{examSid}"
_EVENT_RULES = {"status": exact(field("status"))}
_ANNOTATION_RULES = {"severity": exact(field("severity"))}


@handles(_EXAM + "/events")
def exam_events(call: Call) -> Any:
    """Every event report of an exam's sessions, session by session (so createdDate order)."""
    sessions = call.data.exam_sessions(str(call.exam()["sid"]))
    rows = ChainView([(s.events, None) for s in sessions])
    return Listing(keep(call, rows, _EVENT_RULES), drift=event_drift(call.data, sessions))


@handles(_EXAM + "/eventsByStudent")
def events_by_student(call: Call) -> Any:
    """An exam's event reports grouped by learner (every event: mind huge sessions)."""
    return _students(call, lambda s: s.events, "events")


@handles(_EXAM + "/annotationsByStudent")
def annotations_by_student(call: Call) -> Any:
    """An exam's annotations grouped by learner, optionally of one severity."""
    return _students(call, lambda s: keep(call, s.annotations, _ANNOTATION_RULES), "annotations")


def _students(
    call: Call, items: Callable[[FakeSession], Sequence[Record]], key: str
) -> dict[str, Any]:
    # The shape is a guess (undocumented): one entry per learner with sessions.
    exam = call.exam()
    grouped: dict[str, list[FakeSession]] = {}
    for session in call.data.exam_sessions(str(exam["sid"])):
        grouped.setdefault(session.enrollment_sid, []).append(session)
    students = []
    for enrollment_sid, sessions in grouped.items():
        enrollment = call.data.enrollment(enrollment_sid)
        found = [item for s in sessions for item in items(s)]
        students.append(
            {
                "userSid": enrollment["userSid"],
                "enrollmentSid": enrollment_sid,
                "firstName": enrollment["firstName"],
                "lastName": enrollment["lastName"],
                "email": enrollment["email"],
                "sessionSids": [s.sid for s in sessions],
                f"{key}Count": len(found),
                key: found,
            }
        )
    return {"examSid": exam["sid"], "students": students}
