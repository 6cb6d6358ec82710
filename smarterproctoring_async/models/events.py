"""What is recorded during a session: integrity event reports and proctor annotations."""

from __future__ import annotations

from datetime import datetime

import attrs

from ._converter import Model
from ._rows import session_ref_of
from .values import JSONValue, SessionRef

__all__ = ["Annotation", "EventReport", "SessionEventRow"]


@attrs.frozen(kw_only=True, slots=False)
class EventReport(Model):
    """An integrity event reported during a session (List/Get Event Report, SPEC §2).

    The reference publishes no response schema for event reports; the attributes are
    the fields of its event-report payload, and everything else is in ``extra``.
    """

    sid: str | None = None
    subject: str | None = None
    details: str | None = None
    status: str | None = None
    event_time: datetime | None = None
    potential_damage: str | None = None
    corrective_action_details: str | None = None
    direct_witness: str | None = None
    contact_person: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    event_type_sid: str | None = None
    draft: bool | None = None
    created_date: datetime | None = None


@attrs.frozen(kw_only=True, slots=False)
class SessionEventRow(EventReport):
    """An event report listed across sessions: the Session Events report (SPEC §4a) and
    the exam-level event list (SPEC §5j).

    The reference publishes no schema for either; the attributes are those of
    :class:`EventReport` plus the SIDs of the session the event belongs to (the row's,
    else the install and exam of the request). Other fields are in ``extra``.
    """

    install_sid: str | None = None
    exam_sid: str | None = None
    session_sid: str | None = None

    @property
    def session_ref(self) -> SessionRef:
        """The session the event was reported in (DecodeError if the row names none)."""
        return session_ref_of(self, "sessionSid")


@attrs.frozen(kw_only=True, slots=False)
class Annotation(Model):
    """A proctor's or the system's note on a session (v1 annotations, SPEC §3).

    ``severity`` is ``green``, ``yellow`` or ``red``; ``session_time`` is seconds
    into the session. No response schema is published; other fields are in ``extra``.
    """

    sid: str | None = None
    severity: str | None = None
    type: str | None = None
    title: str | None = None
    session_time: float | None = None
    details: str | None = None
    created_by: str | None = None
    status: str | None = None
    notes: str | None = None
    metadata: JSONValue = None
    created_date: datetime | None = None
