"""From a fetched session to the rows the store writes: wire JSON and typed values.

Plain functions, no database: what a value becomes in a typed column depends only on
the value and on the database (``"sqlite"`` or ``"postgresql"``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from .._json import record_json
from ..models import Annotation, EventReport, ExamSession, SessionRef, SessionResult
from ..models.values import JSONValue

__all__ = [
    "SavedRows",
    "json_text",
    "saved_rows",
    "typed_int",
    "typed_text",
    "typed_time",
    "wire_json",
]

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1
_REPLACEMENT = "\ufffd"
# Lone surrogates: no UTF-8 exists for them, so neither database driver can send them.
_SURROGATES = re.compile("[\ud800-\udfff]")
# PostgreSQL text also refuses NUL.
_SURROGATES_OR_NUL = re.compile("[\ud800-\udfff\x00]")


def wire_json(record: Mapping[str, JSONValue]) -> str:
    """The record as ASCII-only compact JSON: ``json.loads`` gives it back exactly, NUL
    and lone surrogates included (escaped as ``\\u0000``, ``\\ud800``). The same text
    as ``json.dumps(record, ensure_ascii=True, separators=(",", ":"))``, except that a
    number beyond a double is written as sent, not ``Infinity`` (:func:`record_json`)."""
    return record_json(record)


def json_text(value: object) -> str:
    """JSON text of a run's options or errors (ASCII, like the wire)."""
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"), sort_keys=True)


def typed_text(value: object, dialect: str) -> str | None:
    """A string for a typed text column: lone surrogates (and, on PostgreSQL, NUL)
    become U+FFFD; anything not a string is NULL. The wire keeps the exact text."""
    if not isinstance(value, str):
        return None
    pattern = _SURROGATES_OR_NUL if dialect == "postgresql" else _SURROGATES
    if value.isascii() and (dialect != "postgresql" or "\x00" not in value):
        return value
    return pattern.sub(_REPLACEMENT, value)


def typed_int(value: object) -> int | None:
    """An integer that fits signed 64 bits, else NULL (``bool`` is not an integer here)."""
    if type(value) is int and _INT64_MIN <= value <= _INT64_MAX:
        return value
    return None


def typed_float(value: object) -> float | None:
    """A float column's value (an int is widened; bool and the rest are NULL)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return float(value)
    except OverflowError:  # an int too big for a double
        return None


def typed_bool(value: object) -> bool | None:
    """A boolean column's value: only a real bool."""
    return value if isinstance(value, bool) else None


def typed_time(value: object) -> datetime | None:
    """A timezone-aware datetime in UTC (naive ones are taken as UTC); NULL when the
    value is not a datetime or falls outside the years 1-9999 once in UTC."""
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is timezone.utc:  # the decoder's dates: nothing to convert
        return value
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    try:
        return value.astimezone(timezone.utc)
    except OverflowError:
        return None


class SavedRows:
    """Everything one ``Store.save`` writes, built before the transaction starts."""

    __slots__ = ("annotations", "events", "session", "state")

    def __init__(
        self,
        session: dict[str, Any],
        events: list[dict[str, Any]],
        annotations: list[dict[str, Any]],
        state: dict[str, Any],
    ) -> None:
        self.session = session
        self.events = events
        self.annotations = annotations
        self.state = state


def saved_rows(
    result: SessionResult, *, version: str, run_id: int, dialect: str, now: datetime
) -> SavedRows:
    """The rows of one result; ValueError when it is not a complete fetched session."""
    ref, session = result.ref, result.session
    if not result.ok or ref is None or session is None:
        raise ValueError(f"only a complete result can be stored, not {result!r}")
    if result.events is None or result.annotations is None:
        raise ValueError(
            f"{result!r} was fetched without its events or annotations: storing it "
            "would erase the stored ones"
        )
    if not isinstance(version, str):
        raise TypeError(f"version must be a str, not {type(version).__name__}")
    if type(run_id) is not int:
        raise TypeError(f"run_id must be an int, not {type(run_id).__name__}")
    parents = _parents(ref, dialect)
    return SavedRows(
        session=_session_row(result, session, parents, dialect, now, run_id),
        events=[_event_row(e, i, parents, dialect) for i, e in enumerate(result.events)],
        annotations=list(_annotation_rows(result.annotations, parents, dialect)),
        state={
            "session_sid": parents["session_sid"],
            "install_sid": parents["install_sid"],
            "version": version,
            "run_id": run_id,
            "stored_at": now,
        },
    )


def _parents(ref: SessionRef, dialect: str) -> dict[str, Any]:
    return {
        "session_sid": typed_text(ref.session_sid, dialect),
        "install_sid": typed_text(ref.install_sid, dialect),
        "exam_sid": typed_text(ref.exam_sid, dialect),
    }


def _session_row(
    result: SessionResult,
    session: ExamSession,
    parents: dict[str, Any],
    dialect: str,
    now: datetime,
    run_id: int,
) -> dict[str, Any]:
    return {
        **parents,
        "enrollment_sid": typed_text(session.enrollment_sid, dialect),
        "status": typed_text(session.status, dialect),
        "session_type": typed_text(session.session_type, dialect),
        "appointment_date": typed_time(session.appointment_date),
        "review_completed_date": typed_time(session.review_completed_date),
        "review_required": typed_bool(session.review_required),
        "reviewed": typed_bool(session.reviewed),
        "session_report_count": typed_int(session.session_report_count),
        "details_from_report": bool(result.details_from_report),
        "plan": result.plan,
        "wire": wire_json(session.to_dict()),
        "stored_at": now,
        "run_id": run_id,
    }


def _event_row(
    event: EventReport, position: int, parents: dict[str, Any], dialect: str
) -> dict[str, Any]:
    return {
        **parents,
        "position": position,
        "sid": typed_text(event.sid, dialect),
        "subject": typed_text(event.subject, dialect),
        "status": typed_text(event.status, dialect),
        "event_time": typed_time(event.event_time),
        "event_type_sid": typed_text(event.event_type_sid, dialect),
        "draft": typed_bool(event.draft),
        "created_date": typed_time(event.created_date),
        "wire": wire_json(event.to_dict()),
    }


def _annotation_rows(
    annotations: Iterable[Annotation], parents: dict[str, Any], dialect: str
) -> Iterable[dict[str, Any]]:
    for position, note in enumerate(annotations):
        yield {
            **parents,
            "position": position,
            "sid": typed_text(note.sid, dialect),
            "severity": typed_text(note.severity, dialect),
            "type": typed_text(note.type, dialect),
            "title": typed_text(note.title, dialect),
            "session_time": typed_float(note.session_time),
            "status": typed_text(note.status, dialect),
            "created_date": typed_time(note.created_date),
            "wire": wire_json(note.to_dict()),
        }
