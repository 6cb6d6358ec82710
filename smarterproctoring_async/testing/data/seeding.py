"""Hand-made event reports and annotations: the fields a test may set, checked and filled.

``FakeData.add_event`` and ``FakeData.add_annotation`` build their records here. Each
field a test passes is checked against ``EVENT_FIELDS`` / ``ANNOTATION_FIELDS`` (an unknown
name is a TypeError, a value of the wrong kind a TypeError, a value out of range a
ValueError, each naming the field); every field left out gets a plausible default, so
every route that shows the record (lists, reports, v2 annotations) finds what it needs.
The SIDs that tie a record to its session come from the session and cannot be passed.
"""

from __future__ import annotations

import bisect
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .events import EventList
from .records import SECOND, Record, created_ms, iso, new_sid, parse_iso


@dataclass(frozen=True)
class Spec:
    """What one field may hold: its kind, allowed values, SID prefix, length, nullability."""

    kind: type | tuple[type, ...]
    choices: tuple[str, ...] = ()
    prefix: str = ""
    max_length: int | None = None
    nullable: bool = True
    date: bool = False


_TEXT = Spec(str)
_DATE = Spec(str, date=True, nullable=False)
EVENT_FIELDS: Mapping[str, Spec] = {
    "sid": Spec(str, prefix="ER", nullable=False),
    "subject": Spec(str, nullable=False),
    "details": _TEXT,
    "status": Spec(str, choices=("Open", "Closed"), nullable=False),
    "eventTime": Spec(str, date=True),
    "potentialDamage": _TEXT,
    "correctiveActionDetails": _TEXT,
    "directWitness": _TEXT,
    "contactPerson": _TEXT,
    "contactPhone": _TEXT,
    "contactEmail": _TEXT,
    "eventTypeSid": Spec(str, prefix="ET"),
    "draft": Spec(bool, nullable=False),
    "createdDate": _DATE,
    "editDate": _DATE,
}
ANNOTATION_FIELDS: Mapping[str, Spec] = {
    "sid": Spec(str, prefix="AN", nullable=False),
    "severity": Spec(str, choices=("green", "yellow", "red"), nullable=False),
    "type": Spec(str, choices=("manual", "automated"), nullable=False),
    "title": Spec(str, max_length=255, nullable=False),
    "sessionTime": Spec((int, float), nullable=False),
    "details": _TEXT,
    "createdBy": Spec(str, max_length=50),
    "status": Spec(str, choices=("pending review", "reviewed"), nullable=False),
    "notes": _TEXT,
    "metadata": Spec(dict),
    "createdDate": _DATE,
}
FROM_SESSION = {"sessionSid", "examSid", "installSid"}


def checked(what: str, specs: Mapping[str, Spec], fields: Mapping[str, Any]) -> Record:
    """``fields`` checked against ``specs``, dates normalised to ``...T...Z`` with ms."""
    found: Record = {}
    for name, value in fields.items():
        if name in FROM_SESSION:
            raise TypeError(f"{what} field {name!r} comes from the session; do not pass it")
        spec = specs.get(name)
        if spec is None:
            known = ", ".join(sorted(specs))
            raise TypeError(
                f"unknown {what} field {name!r} (known: {known}; put other fields in extra=)"
            )
        found[name] = _check(what, name, spec, value)
    return found


def _check(what: str, name: str, spec: Spec, value: Any) -> Any:
    label = f"{what} field {name!r}"
    if value is None:
        if not spec.nullable:
            raise ValueError(f"{label} may not be None")
        return None
    if spec.date and isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"{label}: a naive datetime; give it a timezone")
        return iso(parse_iso(value.isoformat()))
    # bool is an int: a flag where a number belongs (or the reverse) is a mistake.
    if not isinstance(value, spec.kind) or (isinstance(value, bool) and spec.kind is not bool):
        raise TypeError(f"{label} must be {_kind_name(spec)}, not {type(value).__name__}")
    if isinstance(value, str):
        return _check_text(label, spec, value)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
        raise ValueError(f"{label} must be >= 0, not {value!r}")
    return value


def _check_text(label: str, spec: Spec, value: str) -> str:
    if spec.date:
        try:
            return iso(parse_iso(value))
        except ValueError:
            raise ValueError(f"{label}: {value!r} is not an ISO-8601 date") from None
    if spec.choices and value not in spec.choices:
        raise ValueError(f"{label} must be one of {spec.choices}, not {value!r}")
    if spec.prefix and not _is_sid(value, spec.prefix):
        raise ValueError(f"{label} must be {spec.prefix} and 32 lowercase hex digits: {value!r}")
    if spec.max_length is not None and len(value) > spec.max_length:
        raise ValueError(f"{label} is longer than {spec.max_length} characters")
    return value


def _kind_name(spec: Spec) -> str:
    if spec.date:
        return "an ISO-8601 string or an aware datetime"
    kinds = spec.kind if isinstance(spec.kind, tuple) else (spec.kind,)
    return " or ".join(kind.__name__ for kind in kinds)


def _is_sid(value: str, prefix: str) -> bool:
    return re.fullmatch(f"{prefix}[0-9a-f]{{32}}", value) is not None


def extra_fields(what: str, specs: Mapping[str, Spec], extra: Mapping[str, Any] | None) -> Record:
    """Fields outside the known ones, kept as given; a known name there is a TypeError."""
    if not extra:
        return {}
    clash = sorted((set(specs) | FROM_SESSION) & set(extra))
    if clash:
        raise TypeError(f"{what} extra= holds known fields {clash}: pass them as keywords")
    return dict(extra)


def next_created(records: Sequence[Record], floor: int) -> int:
    """A createdDate (ms) one second after the last record's, and not before ``floor``."""
    last = created_ms(records[-1]) if len(records) else 0
    return max(floor, last + SECOND)


def position(records: Sequence[Record], created: int) -> int:
    """Where a record created at ``created`` goes to keep ``records`` in createdDate order."""
    return bisect.bisect_right([created_ms(record) for record in records], created)


def event_record(
    rng: random.Random,
    session: Record,
    events: Sequence[Record],
    event_types: Sequence[Record],
    fields: Record,
) -> Record:
    """A full event report of ``session`` from checked ``fields``, the rest filled in."""
    start = parse_iso(str(session["appointmentDate"]))
    created = fields.get("createdDate") or iso(next_created(events, start + 30 * SECOND))
    kind = _event_type(event_types, fields.get("eventTypeSid"), rng)
    subject = fields.get("subject") or (str(kind["name"]) if kind else "Other")
    record: Record = {
        "sid": new_sid(rng, "ER"),
        "sessionSid": session["sid"],
        "examSid": session["examSid"],
        "installSid": session["installSid"],
        "subject": subject,
        "details": f"{subject} (added by a test).",
        "status": "Open",
        "eventTime": iso(parse_iso(created) - 10 * SECOND),
        "potentialDamage": "None",
        "correctiveActionDetails": "",
        "directWitness": None,
        "contactPerson": None,
        "contactPhone": None,
        "contactEmail": None,
        "eventTypeSid": kind["sid"] if kind else None,
        "draft": False,
        "createdDate": created,
        "editDate": created,
    }
    record.update(fields)
    return record


def _event_type(types: Sequence[Record], sid: str | None, rng: random.Random) -> Record | None:
    if sid is None:
        return rng.choice(list(types)) if types else None
    found = next((t for t in types if t.get("sid") == sid), None)
    if found is None:
        raise ValueError(f"event field 'eventTypeSid': {sid} is not in data.event_types")
    return found


def annotation_record(
    rng: random.Random, session: Record, notes: Sequence[Record], fields: Record
) -> Record:
    """A full v1 annotation of ``session`` from checked ``fields``, the rest filled in."""
    begin = parse_iso(str(session["appointmentDate"]))
    last_time = notes[-1].get("sessionTime") if notes else None
    offset = fields.get("sessionTime")
    if offset is None:
        offset = float(last_time) + 1.0 if isinstance(last_time, (int, float)) else 0.0
    created = fields.get("createdDate") or iso(
        max(begin + int(offset * SECOND) + 5 * SECOND, next_created(notes, 0))
    )
    title = fields.get("title") or "Proctor note"
    record: Record = {
        "sid": new_sid(rng, "AN"),
        "sessionSid": session["sid"],
        "severity": "green",
        "type": "manual",
        "title": title,
        "sessionTime": offset,
        "details": f"{title} (added by a test).",
        "createdBy": "test",
        "status": "pending review",
        "notes": "",
        "metadata": {},
        "createdDate": created,
    }
    record.update(fields)
    return record


def with_event(events: Sequence[Record], record: Record) -> Sequence[Record]:
    """``events`` with ``record`` placed by its createdDate (a generated list stays lazy)."""
    created = created_ms(record)
    if isinstance(events, EventList):
        if not len(events) or created >= created_ms(events[-1]):
            events.insert_tail(record)
            return events
        if created < created_ms(events[0]):
            events.insert_head(record)
            return events
        if len(events) > EventList.MEMO_LIMIT:
            raise ValueError("a huge generated session takes new events only at its ends")
    materialised = events if isinstance(events, list) else list(events)
    materialised.insert(position(materialised, created), record)
    return materialised
