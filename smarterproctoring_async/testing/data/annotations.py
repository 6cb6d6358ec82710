"""Annotations: the v1 records a session holds, their v2 form, and the v2 type catalogue.

A session keeps one list of v1 annotations (``FakeSession.annotations``). The v2 routes
serve each of them through :func:`annotation_v2`, a pure function of the v1 record, so
that both generations always show the same annotations with the same SIDs, records
inserted while a client pages included. The API documents neither shape: v1 follows the
write payload of the reference (severity, type, title, sessionTime, ...), v2 the fields
its sort keys name (typeId, score, duration, reviewedDate, reviewerComment, ...).
"""

from __future__ import annotations

import hashlib
import random

from .records import DAY, SECOND, Record, created_ms, iso, new_sid, parse_iso, person

# (title, v1 type, v2 typeId): what the generator draws from.
ANNOTATION_TITLES = (
    ("Face not detected", "automated", "face-not-detected"),
    ("Multiple faces detected", "automated", "multiple-faces"),
    ("Looking away from screen", "automated", "gaze-away"),
    ("Background noise", "automated", "audio-detected"),
    ("Proctor note", "manual", "proctor-note"),
    ("Desk check completed", "manual", "proctor-note"),
)
# (id, name, categoryId, severity, id of the type whose range it ends or None).
ANNOTATION_TYPES = (
    ("face-not-detected", "Face not detected", "identity", "red", None),
    ("multiple-faces", "Multiple faces detected", "identity", "red", None),
    ("gaze-away", "Looking away from screen", "behaviour", "yellow", None),
    ("audio-detected", "Background noise", "environment", "yellow", None),
    ("proctor-note", "Proctor note", "manual", "green", None),
    ("recording-started", "Recording started", "system", "green", None),
    ("recording-ended", "Recording ended", "system", "green", "recording-started"),
)
_TYPE_OF_TITLE = {title: type_id for title, _, type_id in ANNOTATION_TITLES}
_CATEGORY_OF_TYPE = {row[0]: row[2] for row in ANNOTATION_TYPES}


def annotation_records(rng: random.Random, session: Record, count: int) -> list[Record]:
    """``count`` v1 annotations of a session, in createdDate order."""
    length = int(session["duration"]) * 60
    offsets = sorted(round(rng.uniform(0, length), 1) for _ in range(count))
    begin = parse_iso(str(session["appointmentDate"]))
    return [annotation_record(rng, session, offset, begin) for offset in offsets]


def annotation_record(rng: random.Random, session: Record, offset: float, begin: int) -> Record:
    """One v1 annotation ``offset`` seconds into a session that began at ``begin``."""
    title, kind, _ = rng.choice(ANNOTATION_TITLES)
    reviewed = rng.random() < 0.4
    return {
        "sid": new_sid(rng, "AN"),
        "sessionSid": session["sid"],
        "severity": rng.choice(("green", "yellow", "red")),
        "type": kind,
        "title": title,
        "sessionTime": offset,
        "details": f"{title} at {offset:.1f}s.",
        "createdBy": "system" if kind == "automated" else " ".join(person(rng)[:2]),
        "status": "reviewed" if reviewed else "pending review",
        "notes": "Checked by reviewer." if reviewed else "",
        "metadata": {"confidence": round(rng.uniform(0.5, 1.0), 2), "source": kind},
        "createdDate": iso(begin + int(offset * SECOND) + 5 * SECOND),
    }


def annotation_v2(note: Record) -> Record:
    """The v2 form of a v1 annotation (a guess: the reference has no v2 response schema).

    Same ``sid`` and ``sessionSid``; ``typeId``/``categoryId`` from the v2 catalogue;
    ``reviewed`` from the v1 status; the people and the duration are derived from the
    SID, so the same annotation always reads the same.
    """
    # .get throughout: a record a test wrote by hand may lack any field.
    sid = str(note.get("sid") or "")
    type_id = _TYPE_OF_TITLE.get(str(note.get("title")), "proctor-note")
    automated = note.get("type") == "automated"
    reviewed = note.get("status") == "reviewed"
    created = created_ms(note)
    author = None if automated else _user_sid(sid, "author")
    reviewer = _user_sid(sid, "reviewer") if reviewed else None
    reviewed_at = iso(created + DAY) if reviewed else None
    metadata = note.get("metadata")
    score = metadata.get("confidence") if isinstance(metadata, dict) else None
    return {
        "sid": sid,
        "sessionSid": note.get("sessionSid"),
        "typeId": type_id,
        "categoryId": _CATEGORY_OF_TYPE[type_id],
        "details": note.get("details"),
        "score": score,
        # Automated detections last a few seconds; manual notes mark an instant.
        "duration": int(sid[-2:] or "0", 16) % 20 + 1 if automated else None,
        "eventDate": iso(created - 5 * SECOND),
        "metadata": metadata,
        "reviewed": reviewed,
        "reviewedDate": reviewed_at,
        "reviewerComment": note.get("notes") or None,
        "reviewedBy": reviewer,
        "createdDate": note.get("createdDate"),
        "createdById": author,
        "updatedDate": reviewed_at or note.get("createdDate"),
        "updatedBy": reviewer or author,
    }


def _user_sid(seed: str, role: str) -> str:
    return "US" + hashlib.sha1(f"{seed}/{role}".encode()).hexdigest()[:32]


def annotation_type_records() -> list[Record]:
    """The v2 annotation type catalogue (a guess: its response is not documented).

    ``rangeStartAnnotationTypeId`` names the type whose range a type ends; those types
    are left out unless ``includeEndingAnnotations=true``.
    """
    return [
        {
            "id": type_id,
            "name": name,
            "categoryId": category,
            "severity": severity,
            "rangeStartAnnotationTypeId": starts,
            "endsRange": starts is not None,
            "description": f"{name}.",
        }
        for type_id, name, category, severity, starts in ANNOTATION_TYPES
    ]
