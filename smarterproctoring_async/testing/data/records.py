"""Plain helpers behind the fake's data: dates, SIDs and name pools.

Every record is a dict in wire form: camelCase keys, ISO-8601 UTC dates with
milliseconds and a trailing ``Z``, exactly what the fake server sends.
"""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta, timezone
from typing import Any

Record = dict[str, Any]

SECOND = 1000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MS = timedelta(milliseconds=1)
# A hand-written parser rather than datetime.fromisoformat: the latter accepts different
# inputs on 3.10 and 3.11+, and the fake must answer the same on every supported Python.
_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?"
    r"(Z|z|[+-]\d{2}:?\d{2})?"
)

FIRST_NAMES = (
    "Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jamal",
    "Kira", "Liam", "Maya", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sam", "Tariq",
)  # fmt: skip
LAST_NAMES = (
    "Abbott", "Baker", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jones",
    "Khan", "Lopez", "Moreau", "Nakamura", "Okafor", "Patel", "Quist", "Rossi", "Smith", "Tan",
)  # fmt: skip
SUBJECTS = (
    ("BIO", "Biology"), ("CHEM", "Chemistry"), ("HIST", "History"), ("MATH", "Calculus"),
    ("PHYS", "Physics"), ("ECON", "Economics"), ("PSY", "Psychology"), ("STAT", "Statistics"),
)  # fmt: skip
EXAM_KINDS = ("Midterm", "Final Exam", "Quiz 1", "Quiz 2", "Placement Test", "Unit Test")
SESSION_TYPES = ("automated", "b-virtual", "proctoru", "instructor-as-proctor", "vtc", "ad-hoc")
EVENT_TYPES = (
    ("Unauthorized Materials", "integrity"),
    ("Additional Person Present", "integrity"),
    ("Left Camera View", "behaviour"),
    ("Browser Lockdown Violation", "technical"),
    ("Identity Mismatch", "identity"),
    ("Phone Use", "integrity"),
    ("Connection Lost", "technical"),
    ("Suspicious Audio", "behaviour"),
)


def iso(ms: int) -> str:
    """Format milliseconds since the epoch as ``YYYY-MM-DDTHH:MM:SS.mmmZ``."""
    moment = _EPOCH + timedelta(milliseconds=ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> int:
    """Parse an ISO-8601 date or date-time to milliseconds since the epoch (naive means UTC).

    Raises ValueError when the text is not a date.
    """
    found = _ISO.fullmatch(text.strip())
    if found is None:
        raise ValueError(f"not an ISO-8601 date: {text!r}")
    year, month, day, hour, minute, sec, frac, zone = found.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    tz = timezone.utc
    if zone and zone not in ("Z", "z"):
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    moment = datetime(
        int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(sec or 0), micro, tz
    )
    return (moment - _EPOCH) // _MS


def ms_of(record: Record, key: str) -> int | None:
    """The date field ``key`` of a record in milliseconds, None when absent or null."""
    value = record.get(key)
    return parse_iso(value) if isinstance(value, str) else None


def created_ms(record: Record) -> int:
    """A record's createdDate in ms; 0 when it has none that parses (hand-edited records)."""
    try:
        return ms_of(record, "createdDate") or 0
    except ValueError:
        return 0


def now_ms() -> int:
    """The wall-clock time in milliseconds since the epoch."""
    return (datetime.now(timezone.utc) - _EPOCH) // _MS


def new_sid(rng: random.Random, prefix: str) -> str:
    """A fresh SID: the two-letter prefix and 32 lowercase hex digits."""
    return f"{prefix}{rng.getrandbits(128):032x}"


def person(rng: random.Random, domain: str = "example.edu") -> tuple[str, str, str]:
    """A random (first name, last name, email)."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    return first, last, f"{first}.{last}{rng.randint(1, 999)}@{domain}".lower()
