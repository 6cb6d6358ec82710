"""EventList: the event reports of one session, generated on access.

A session may hold a million events at no memory cost: each is built from (session SID,
index) when a page asks for it.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator, Sequence
from typing import overload

from .records import DAY, MINUTE, SECOND, Record, iso, parse_iso, person

_DAMAGE = ("None", "Low", "Moderate", "High")


class EventList(Sequence[Record]):
    """The event reports of one session, generated on access from (session, index).

    Lists of up to ``MEMO_LIMIT`` events keep what they generated, so serving a page
    costs little CPU (benchmarks measure the client, not the generator); longer ones
    cache nothing, so a session can hold a million events at no memory cost. Records
    inserted while a client pages (drift) are kept in small lists before and after the
    generated ones, in createdDate order.
    """

    MEMO_LIMIT = 50_000

    def __init__(self, session: Record, count: int, event_types: Sequence[Record]) -> None:
        if not 0 <= count < 2**32:
            raise ValueError("count must be in [0, 2**32)")
        self._sid = str(session["sid"])
        self._exam_sid = str(session["examSid"])
        self._install_sid = str(session["installSid"])
        self._start = parse_iso(str(session["appointmentDate"]))
        self._span = max(1, int(session.get("duration") or 60)) * MINUTE
        self._count = count
        self._types = tuple((str(t["sid"]), str(t["name"])) for t in event_types)
        self._before: list[Record] = []  # reversed: the head of the list is the last item
        self._after: list[Record] = []
        self._memo: dict[int, Record] | None = {} if count <= self.MEMO_LIMIT else None

    def __len__(self) -> int:
        return len(self._before) + self._count + len(self._after)

    @overload
    def __getitem__(self, index: int) -> Record: ...
    @overload
    def __getitem__(self, index: slice) -> list[Record]: ...
    def __getitem__(self, index: int | slice) -> Record | list[Record]:
        if isinstance(index, slice):
            return [self._item(i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("event index out of range")
        return self._item(index)

    def __iter__(self) -> Iterator[Record]:
        for i in range(len(self)):
            yield self._item(i)

    def _item(self, index: int) -> Record:
        if index < len(self._before):
            return self._before[len(self._before) - 1 - index]
        index -= len(self._before)
        if index < self._count:
            if self._memo is None:
                return self.generate(index)
            found = self._memo.get(index)
            if found is None:
                found = self._memo[index] = self.generate(index)
            return found
        return self._after[index - self._count]

    def insert_head(self, record: Record) -> None:
        """Put ``record`` before every other event."""
        self._before.append(record)

    def insert_tail(self, record: Record) -> None:
        """Put ``record`` after every other event."""
        self._after.append(record)

    def find(self, sid: str) -> Record | None:
        """The event with this SID, found without scanning the generated events."""
        for record in (*self._before, *self._after):
            if record["sid"] == sid:
                return record
        try:
            index = int(sid[-8:], 16)
        except ValueError:
            return None
        if index < self._count and self._event_sid(index) == sid:
            return self._item(len(self._before) + index)
        return None

    def _event_sid(self, index: int) -> str:
        # The index rides in the last 8 hex digits so that a GET by SID needs no scan.
        digest = hashlib.sha1(f"{self._sid}/{index}".encode()).hexdigest()
        return f"ER{digest[:24]}{index:08x}"

    def generate(self, index: int) -> Record:
        """Build generated event ``index`` (not counting inserted records)."""
        rng = random.Random(f"{self._sid}/{index}")
        created = self._start + 30 * SECOND + (index * self._span) // max(self._count, 1)
        type_sid, type_name = rng.choice(self._types) if self._types else (None, "Other")
        status = "Closed" if rng.random() < 0.7 else "Open"
        witness = " ".join(person(rng)[:2])
        contact_first, contact_last, contact_email = person(rng, "proctors.example.com")
        return {
            "sid": self._event_sid(index),
            "sessionSid": self._sid,
            "examSid": self._exam_sid,
            "installSid": self._install_sid,
            "subject": type_name,
            "details": f"{type_name} observed by the proctor (event {index + 1}).",
            "status": status,
            "eventTime": iso(created - rng.randint(1, 29) * SECOND),
            "potentialDamage": rng.choice(_DAMAGE),
            "correctiveActionDetails": "Learner was warned." if status == "Closed" else "",
            "directWitness": witness,
            "contactPerson": f"{contact_first} {contact_last}",
            "contactPhone": f"555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
            "contactEmail": contact_email,
            "eventTypeSid": type_sid,
            "draft": rng.random() < 0.05,
            "createdDate": iso(created),
            "editDate": iso(created + (rng.randint(60, 2 * DAY // SECOND) * SECOND)),
        }
