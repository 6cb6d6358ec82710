"""The state of one pagination walk, and what makes a record itself: no I/O here.

:class:`Walk` is where one iteration of a :class:`~smarterproctoring_async.Paginator`
is, what the server said (the totals: the latest, the largest, the smallest) and
what it cost; :func:`identity` is how a repeated record is recognised.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections import deque
from collections.abc import Hashable, Sequence
from itertools import islice
from typing import TYPE_CHECKING, Literal

from ._json import HugeNumber
from ._page_size import FALLBACK

if TYPE_CHECKING:
    import asyncio

    from ._envelope import Envelope
    from ._tracing import Run

__all__ = [
    "PREFETCH",
    "REQUESTS_PER_PAGE",
    "SEEN_WINDOW",
    "SPARE_REQUESTS",
    "OnShortList",
    "Walk",
    "identity",
]

#: What a list that delivers fewer records than its server announced does: raise
#: :class:`~smarterproctoring_async.errors.IncompleteListError`, or deliver what the
#: server sent with one WARNING (``Client(on_short_list=...)``).
OnShortList = Literal["raise", "warn"]

#: Pages requested ahead of the one being consumed (bounds memory and server load).
PREFETCH = 4
#: How many recent record identities are remembered to drop repeats.
SEEN_WINDOW = 10_000
#: Requests one iteration may send per page its totals justify, and a flat allowance
#: (pages fetched ahead, the confirming request, a re-read).
REQUESTS_PER_PAGE = 3
SPARE_REQUESTS = PREFETCH + 4


class Walk:
    """The state of one iteration: where it is, what the server said, what it cost."""

    def __init__(self, page_size: int, origin: int = 0, max_items: int | None = None) -> None:
        self.page_size = page_size
        self.origin = origin  # where reading starts (a resumed list: not 0)
        self.left = max_items  # records still wanted (None: all of them)
        self.offset = origin  # the next offset to read, in order
        self.total: int | None = None  # the latest total announced
        self.most = 0  # the largest total announced
        self.least: int | None = None  # the smallest total announced (deletions shrink it)
        self.grew = False  # whether the latest page announced a larger total
        self.stride = 0  # the first page's length: the server's page size
        self.unit = page_size  # the shortest non-empty page so far
        self.delivered = 0
        # Records repeated inside their own page: data, not a shift between pages, so
        # they count towards the total although only the first copy is delivered.
        self.twins = 0
        self.requests = 0
        self.first: Sequence[object] = ()  # the records of the page at offset 0
        self.echoes = 0  # later pages in a row that were the first page again
        self.reread_at = -1  # the offset of an empty page already read twice
        self.readback_until = 0  # pages before this may repeat records after a step back
        self.next_plan = origin
        # Identity -> the number of the page it was first seen in; insertion-ordered, so
        # the oldest come first.
        self.seen: dict[Hashable, int] = {}
        self.odd_twins: list[tuple[Hashable, int]] = []  # this page's: (SID, offset)
        self.firsts: dict[Hashable, object] | None = None  # this page's, once it has a twin
        self.pages_read = 0  # pages decoded, repeats and all: numbers pages for ``seen``
        self.ahead: deque[tuple[int, asyncio.Task[Envelope]]] = deque()
        self.pages = 0  # pages delivered
        self.cut_at: int | None = None  # where max_items cut the last page (its index)
        self.run: Run | None = None  # the iteration's span, when tracing

    def allowed(self) -> int:
        """How many requests this iteration may send, given the totals seen so far."""
        pages = math.ceil(max(self.most, self.delivered, 1) / max(self.unit, 1))
        return REQUESTS_PER_PAGE * pages + SPARE_REQUESTS

    def shortfall(self) -> int:
        """How many records fewer than the smallest total announced were accounted for."""
        if self.least is None:
            return 0
        return max(0, self.least - self.origin - self.delivered - self.twins)

    def shrunk(self, envelope: Envelope, start: int) -> bool:
        """Note the page's total; true when it shrank and reading stepped back."""
        total, before = envelope.total, self.total
        if total is None:
            self.grew = False
            return False
        self.total, self.most = total, max(self.most, total)
        self.least = total if self.least is None else min(self.least, total)
        self.grew = before is not None and total > before
        if before is None or total >= before or start == self.origin:
            return False
        self.offset = max(self.origin, start - (before - total))
        self.readback_until = start + max(self.stride, len(envelope.items))
        self.next_plan = self.offset
        return True

    def twin(
        self, key: Hashable, raw: object, page: Sequence[object], prefix: str | None, offset: int
    ) -> None:
        """Note a record that repeats another record of its own ``page`` under the same
        identity: the same record again is data the total counts; under a SID with other
        content it is an error of the server's, said at the end of the page
        (:meth:`page_done`) and counted as missing. (A repeat from an earlier page is a
        record shifted by an insertion, or edited between the two reads: not a twin.)"""
        if self.firsts is None:  # the page's first record of each identity, once a page
            self.firsts = {}
            for record in page:
                self.firsts.setdefault(identity(record, prefix), record)
        if same(raw, self.firsts[key]):
            self.twins += 1
        else:
            self.odd_twins.append((key, offset))

    def page_done(self, path: str) -> None:
        """Forget the oldest identities; warn of this page's records under a repeated SID
        (the GET of ``path``)."""
        self.firsts = None
        if len(self.seen) > 2 * SEEN_WINDOW:  # one sweep per page rather than one per record
            for old in list(islice(self.seen, len(self.seen) - SEEN_WINDOW)):
                del self.seen[old]
        if self.odd_twins:
            (sid, offset), count = self.odd_twins[0], len(self.odd_twins)
            _log.warning(
                "GET %s: %d record(s) repeat the sid of another record of the same page "
                "with other content (first: %s at offset %d); the first was delivered, these "
                "were dropped and count as missing", path, count, sid, offset,
            )  # fmt: skip
            self.odd_twins.clear()

    def advance(self, received: int, start: int, fresh: bool = True) -> bool:
        """Move past a non-empty page (``fresh``: it brought records not seen before);
        false when the list is over."""
        if not self.stride:
            self.stride = received
        self.unit = min(self.unit, received)
        self.offset = start + received
        if self.total is None or self.offset < self.total:
            return True
        if self.offset > self.total:
            # More records than the total says: it is capped (or counts something else)
            # and cannot tell where the list ends. Read on while pages as long as the
            # others bring new records; a short one, or one of repeats, ends it.
            return fresh and (start == self.origin or received >= self.stride)
        # The total is reached. A full page may mean a capped total: confirm the end. A
        # first page shorter than asked is the server's page size, which a total may
        # also be capped at: from the API's default size of 50 on, it is confirmed too.
        full = received >= (min(self.page_size, FALLBACK) if start == self.origin else self.stride)
        return full

    def planned_until(self) -> int | None:
        """The offset no page fetched ahead may start at: past the records still wanted
        (``max_items``), no request is sent. Never the total itself: the request that
        confirms a full last page must be answered after that page, or an empty answer
        from before a list grew (under a capped total) would end it early."""
        if self.left is None:
            return self.total
        wanted = self.offset + self.left
        return wanted if self.total is None else min(self.total, wanted)

    def limit_at(self, start: int) -> int:
        """The ``limit`` of a page starting at ``start``: the page size, or fewer when
        ``max_items`` needs only that many more records from there."""
        if self.left is None:
            return self.page_size
        return max(1, min(self.page_size, self.offset + self.left - start))


_log = logging.getLogger("smarterproctoring_async")


def same(a: object, b: object) -> bool:
    """Whether two JSON values are one value as sent: equal, and of the same JSON kinds
    all the way down (``true`` is not ``1``; a number beyond a double by its text).
    Iterative: a record nested as deep as the decoder reads needs no recursion here."""
    pending = [(a, b)]
    while pending:
        x, y = pending.pop()
        if type(x) is not type(y):
            return False
        if isinstance(x, dict):
            assert isinstance(y, dict)
            if x.keys() != y.keys():
                return False
            pending.extend((value, y[key]) for key, value in x.items())
        elif isinstance(x, list):
            assert isinstance(y, list)
            if len(x) != len(y):
                return False
            pending.extend(zip(x, y, strict=True))
        elif isinstance(x, HugeNumber):
            if x.text != getattr(y, "text", None):
                return False
        elif isinstance(x, float) and x != x:  # NaN: the same when both are
            if y == y:
                return False
        elif x != y:
            return False
    return True


def identity(raw: object, prefix: str | None) -> Hashable:
    """What makes a record itself: its own SID where documented, else all of it."""
    if type(raw) is dict:
        sid = raw.get("sid")
        if prefix is not None and type(sid) is str and sid.startswith(prefix):
            return sid
    # Only an exact repeat of the whole record (as the server ordered its fields) is
    # dropped; a digest keeps the remembered window small.
    return hashlib.blake2b(repr(raw).encode(), digest_size=16).digest()
