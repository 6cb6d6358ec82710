"""Probes of two pagination changes against the hostile server.

1. The confirming request (offset == total, checking that a full last page really ends
   the list) goes out only once the page ending on the total was answered: with capped
   totals, a start offset, a page size fallback, servers sending more or fewer records
   than asked, and totals that change while pages are in flight. (Planning it with the
   pages read ahead saved a round trip, but an empty answer older than the last page
   then ended a list that had grown meanwhile under a capped total: records lost.)
2. ``with_options(max_items=N)``: no request asks for more records than are still
   wanted (``Walk.limit_at``), and exactly ``min(N, available)`` records arrive, in order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import pytest

import smarterproctoring_async as sp

from ._helpers import connected, session_of
from ._server import ES, Conn, Request, event, events_path, json_response, page

Rows = list[dict[str, Any]]


def rows_of(count: int, first: int = 0) -> Rows:
    return [event(ES, n) for n in range(first, first + count)]


@dataclass
class Shelf:
    """Pages over ``rows``. The total is capped at ``cap`` (``with_total=False``: left
    out); a page holds at most ``per_page`` records (``ignore_limit``: exactly that many,
    whatever was asked); a limit above ``max_limit`` is refused with a 400. Pages after
    ``first`` and before ``slow_until`` wait ``slow`` seconds, then the first of them
    applies ``change`` to the rows (once) before it is answered."""

    rows: Rows
    cap: int | None = None
    per_page: int | None = None
    ignore_limit: bool = False
    max_limit: int | None = None
    with_total: bool = True
    first: int = 0
    slow: float = 0.0
    slow_until: int = 10**9
    change: Callable[[Rows], None] | None = None
    answered: set[int] = field(default_factory=set)
    arrived_while: dict[int, set[int]] = field(default_factory=dict)

    async def __call__(self, request: Request, conn: Conn) -> None:
        start, limit = request.offset, request.limit
        self.arrived_while.setdefault(start, set(self.answered))
        if self.max_limit is not None and limit > self.max_limit:
            await conn.send(json_response({"code": "INVALIDINPUT", "message": "limit"}, 400))
            return
        if self.first < start < self.slow_until:
            await anyio.sleep(self.slow)
            change, self.change = self.change, None
            if change is not None:
                change(self.rows)
        size = limit if self.per_page is None else self.per_page
        if self.per_page is not None and not self.ignore_limit:
            size = min(limit, self.per_page)
        total = len(self.rows) if self.cap is None else min(len(self.rows), self.cap)
        chunk = self.rows[start : start + size]
        await conn.send(
            json_response(page(chunk, total=total if self.with_total else None, offset=start))
        )
        self.answered.add(start)


def asked(requests: list[Request]) -> list[tuple[int, int]]:
    return [(r.offset, r.limit) for r in requests if r.path == events_path()]


def sids(records: list[sp.EventReport] | Rows) -> list[str | None]:
    return [r["sid"] if isinstance(r, dict) else r.sid for r in records]


# ------------------------------------------------------------------ 1: the confirming request


@pytest.mark.parametrize(
    ("shelf", "options", "offsets", "confirm", "before"),
    [
        # capped total, 10 more records: the confirm at 20 is full, 30 ends it
        (Shelf(rows_of(30), cap=20), {}, [0, 10, 20, 30], 20, 10),
        # capped total, 5 more: a short non-empty confirm ends it
        (Shelf(rows_of(25), cap=20), {}, [0, 10, 20], 20, 10),
        # a start offset: pages 5, 15, 25 end on 35
        (Shelf(rows_of(35), first=5), {"start": 5}, [5, 15, 25, 35], 35, 25),
        # "auto": 500 refused, 50 answered; pages of 50 end on 150
        (Shelf(rows_of(150), max_limit=50), {"page_size": "auto"}, [0, 0, 50, 100, 150], 150, 100),
        # a server sending 15 whatever is asked: stride 15, the confirm at 45
        (Shelf(rows_of(45), per_page=15, ignore_limit=True), {}, [0, 15, 30, 45], 45, 30),
        # a server sending at most 7: stride 7, the confirm at 21
        (Shelf(rows_of(21), per_page=7), {}, [0, 7, 14, 21], 21, 14),
        # the last page ends short of a full page: no confirm at all
        (Shelf(rows_of(25)), {}, [0, 10, 20], None, 0),
    ],
    ids=["cap-full", "cap-short", "start-offset", "fallback", "more-than-asked", "fewer", "short"],
)
async def test_the_confirm_follows_the_last_page_and_nothing_is_lost(
    shelf: Shelf, options: dict[str, Any], offsets: list[int], confirm: int | None, before: int
) -> None:
    shelf.slow = 0.1
    start = options.pop("start", 0)
    async with connected(shelf, max_requests=100, **options) as (server, client):
        listing = session_of(client).events().with_options(start_offset=start)
        with anyio.fail_after(5):
            got = await listing.collect()
    assert sids(got) == sids(shelf.rows[start:])
    assert [o for o, _ in asked(server.requests)] == offsets
    # The confirm went out once the page ending on the total had been answered.
    assert confirm is None or before in shelf.arrived_while[confirm], shelf.arrived_while
    assert listing.next_offset is None and listing.incomplete is None


@pytest.mark.parametrize(
    ("where", "cap"),
    [("tail", None), ("tail", 30), ("head", None), ("head", 30), ("delete", None)],
)
async def test_a_total_changing_while_the_confirm_is_in_flight(where: str, cap: int | None) -> None:
    # 30 records in pages of 10; the list changes before pages 10 and 20 are answered.
    # A confirm at 30 answered before that (were it sent with them) would miss it.
    original = rows_of(30)
    added = rows_of(5, first=100)

    def change(rows: Rows) -> None:
        if where == "tail":
            rows += added  # five records appended
        elif where == "head":
            rows.insert(0, added[0])  # one record inserted before the reader
        else:
            del rows[2:7]  # five records the reader has already passed

    shelf = Shelf(list(original), cap=cap, slow=0.1, slow_until=30, change=change)
    async with connected(shelf, max_requests=100) as (server, client):
        with anyio.fail_after(5):
            got = await session_of(client).events().collect()
    # What the server held when pages 10 and 20 were answered, the head one excepted.
    expected = original + added if where == "tail" else original
    assert sids(got) == sids(expected)
    assert len(asked(server.requests)) <= 8


# ------------------------------------------------------------------ 2: max_items and limit


@pytest.mark.parametrize(
    ("shelf", "wanted", "start", "page_size"),
    [
        (Shelf(rows_of(50)), 1, 0, 10),
        (Shelf(rows_of(50)), 7, 0, 10),
        (Shelf(rows_of(50)), 10, 0, 10),
        (Shelf(rows_of(50)), 25, 0, 10),
        (Shelf(rows_of(50)), 60, 0, 10),  # more than the list holds
        (Shelf(rows_of(30)), 40, 0, 10),  # total a multiple of the page, confirm empty
        (Shelf(rows_of(50), cap=20), 35, 0, 10),  # capped total: read on past it
        (Shelf(rows_of(50), with_total=False), 25, 0, 10),
        (Shelf(rows_of(50), per_page=4), 25, 0, 10),  # fewer than asked
        (Shelf(rows_of(50), per_page=15, ignore_limit=True), 25, 0, 10),  # more
        (Shelf(rows_of(50), first=7), 18, 7, 10),
        (Shelf(rows_of(50), first=7, per_page=15, ignore_limit=True), 18, 7, 10),
        (Shelf(rows_of(200), max_limit=50), 120, 0, "auto"),  # 120 refused, 50 taken
        (Shelf(rows_of(200), max_limit=50), 40, 0, "auto"),  # 40: no refusal
    ],
    ids=[
        "n1",
        "n7",
        "n10",
        "n25",
        "n60-over",
        "n40-exact",
        "cap20-n35",
        "no-total",
        "fewer",
        "more",
        "start7-n18",
        "start7-more",
        "fallback-n120",
        "auto-n40",
    ],
)
async def test_max_items_never_asks_past_what_is_still_wanted(
    shelf: Shelf, wanted: int, start: int, page_size: int | str
) -> None:
    rows = list(shelf.rows)
    async with connected(shelf, max_requests=100, page_size=page_size) as (server, client):
        listing = session_of(client).events().with_options(max_items=wanted, start_offset=start)
        with anyio.fail_after(5):
            got = await listing.collect()
    expected = rows[start : start + wanted]
    assert sids(got) == sids(expected) and len(got) == min(wanted, len(rows) - start)
    requests = asked(server.requests)
    # Records at or past an offset that can still be wanted: start + wanted - offset.
    over = [(o, limit) for o, limit in requests if limit > start + wanted - o]
    assert over == [], requests
    per_page = min(shelf.per_page or 50, 10 if page_size == 10 else 50)
    assert len(requests) <= -(-len(expected) // per_page) + 2, requests
    more = start + len(expected) < len(rows)
    assert listing.next_offset == (start + len(expected) if more else None)


@pytest.mark.parametrize("where", ["head", "delete"])
async def test_max_items_across_a_shift_between_pages(where: str) -> None:
    # After page 0, one record is inserted at the head (page 10 repeats record 9) or
    # records 2-6 (already read) are deleted (the total shrinks: reading steps back).
    original = rows_of(50)

    def change(rows: Rows) -> None:
        if where == "head":
            rows.insert(0, event(ES, 999))
        else:
            del rows[2:7]

    shelf = Shelf(list(original), change=change)
    async with connected(shelf, max_requests=100) as (server, client):
        listing = session_of(client).events().with_options(max_items=25)
        with anyio.fail_after(5):
            got = await listing.collect()
    assert sids(got) == sids(original[:25])
    requests = asked(server.requests)
    assert len(requests) <= 6, requests
    # Never more than the records still wanted when the request was planned: 25 at
    # first, then at most 15 once page 0 delivered its 10.
    assert requests[0] == (0, 10) and all(limit <= 10 for _, limit in requests), requests
    if where == "head":
        assert requests == [(0, 10), (10, 10), (20, 5), (25, 1)]
