"""A session's version: what tells the sync that its report row changed since it was stored.

The version is the SHA-256 (hex) of the row's canonical JSON (``to_dict()`` with
sorted keys, ASCII only) **without its nested** ``exam`` **object**: that object
carries aggregates of the exam (session counts...) that change whenever a sibling
session changes, and would make every session of the exam look changed. Anything of
the session itself that changes (its status, ``reviewCompletedDate``, ``reviewed``,
its report count...) changes the version, so it is fetched again.
"""

from __future__ import annotations

import hashlib
import json

from ..models import Appointment

__all__ = ["row_version"]


def row_version(row: Appointment) -> str:
    """The version of the session an appointments-report row describes."""
    wire = row.to_dict()
    wire.pop("exam", None)
    # ensure_ascii: a lone surrogate in a server string is escaped, not an encode error.
    text = json.dumps(wire, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("ascii")).hexdigest()
