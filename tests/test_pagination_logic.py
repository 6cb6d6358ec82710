"""The pagination loop's planning, against an in-memory list (no network).

Behaviour that crosses HTTP is tested against the fake API in test_pagination.py;
these properties cover every combination of total, page size, server cap and drift.
"""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from smarterproctoring_async._pagination import Paginator
from smarterproctoring_async._protocol import Request
from smarterproctoring_async.errors import DecodeError
from smarterproctoring_async.models import JSONValue


class Listing:
    """A server-side list: serves pages, optionally inserting records at the head."""

    def __init__(self, total: int, cap: int | None, with_total: bool, inserts: int = 0) -> None:
        self.records: list[dict[str, JSONValue]] = [{"sid": f"r{i}"} for i in range(total)]
        self.cap, self.with_total, self.inserts = cap, with_total, inserts
        self.requests: list[tuple[int, int]] = []
        self.added = 0

    async def fetch(self, request: Request) -> JSONValue:
        q = dict(request.query)
        offset, limit = int(q["offset"]), int(q["limit"])
        self.requests.append((offset, limit))
        await asyncio.sleep(0)
        size = limit if self.cap is None else min(limit, self.cap)
        page: list[JSONValue] = list(self.records[offset : offset + size])
        # One snapshot per answer, as a server's: the total counts what the page saw.
        envelope: dict[str, JSONValue] = {"results": page, "count": len(page), "offset": offset}
        if self.with_total:
            envelope["total"] = len(self.records)
        # Drift lasts a while, then stops: a list that grows forever never ends.
        for _ in range(self.inserts if len(self.requests) <= 10 else 0):
            self.added += 1
            self.records.insert(0, {"sid": f"new{self.added}"})
        return envelope


def _run(listing: Listing, page_size: int) -> list[str]:
    async def main() -> list[str]:
        sid_of = lambda r: r["sid"]  # type: ignore[index]  # noqa: E731
        pager = Paginator(listing.fetch, Request("GET", "/x"), sid_of, page_size=page_size)
        return [sid async for sid in pager]

    return asyncio.run(main())


@settings(max_examples=300, deadline=None)
@given(
    total=st.integers(0, 1200),
    page_size=st.integers(1, 60) | st.sampled_from([100, 500]),
    cap=st.none() | st.integers(1, 60),
    with_total=st.booleans(),
)
def test_every_record_once_and_in_order(
    total: int, page_size: int, cap: int | None, with_total: bool
) -> None:
    listing = Listing(total, cap, with_total)
    assert _run(listing, page_size) == [f"r{i}" for i in range(total)]
    if with_total:
        assert all(offset <= total for offset, _ in listing.requests)
        assert len(listing.requests) == expected_requests(total, page_size, cap)
    else:  # the guide's loop: every page, then the empty one that ends it
        assert len(listing.requests) == -(-total // min(page_size, cap or page_size)) + 1


def expected_requests(total: int, page_size: int, cap: int | None) -> int:
    """One request per page; one more only when a full page reached the total.

    A page is full when it is as long as the server's page (the first page's length);
    the first page itself counts as full when it holds at least 50 records (a server
    honouring fewer than asked may cap its total there), or all that was asked if less.
    """
    stride = min(page_size, cap or page_size)
    if total == 0:
        return 1
    if total <= stride:  # one page holds it all
        return 1 + (total >= min(page_size, 50))
    return -(-total // stride) + (total % stride == 0)


@settings(max_examples=200, deadline=None)
@given(
    total=st.integers(0, 300),
    page_size=st.integers(1, 40),
    cap=st.none() | st.integers(1, 40),
    with_total=st.booleans(),
    inserts=st.integers(1, 3),
)
def test_drift_never_yields_a_sid_twice(
    total: int, page_size: int, cap: int | None, with_total: bool, inserts: int
) -> None:
    # Without a total, records inserted at the head as fast as pages are read look
    # exactly like a server ignoring offset; that case is the next test's.
    assume(with_total or inserts < min(page_size, cap or page_size, total))
    listing = Listing(total, cap, with_total, inserts)
    sids = _run(listing, page_size)
    assert len(sids) == len(set(sids))
    originals = [s for s in sids if s.startswith("r")]
    assert originals == [f"r{i}" for i in range(total)]


def test_head_inserts_as_fast_as_reading_without_a_total_are_refused_loudly() -> None:
    listing = Listing(5, None, with_total=False, inserts=1)
    with pytest.raises(DecodeError, match="ignore 'offset'"):
        _run(listing, 1)
    assert len(listing.requests) == 3  # the first page, then twice the first page again


def test_short_pages_in_the_middle_are_filled() -> None:
    class Flaky(Listing):
        async def fetch(self, request: Request) -> JSONValue:
            envelope = await super().fetch(request)
            assert isinstance(envelope, dict)
            if dict(request.query)["offset"] == "20":
                envelope["results"] = envelope["results"][:3]  # type: ignore[index]
            return envelope

    listing = Flaky(100, None, True)
    assert _run(listing, 10) == [f"r{i}" for i in range(100)]
    assert (23, 7) in listing.requests  # the gap, asked with a limit that stops at page 30


def test_prefetch_is_bounded() -> None:
    in_flight = peak = 0

    class Slow(Listing):
        async def fetch(self, request: Request) -> JSONValue:
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            await asyncio.sleep(0.001)
            in_flight -= 1
            return await super().fetch(request)

    assert len(_run(Slow(1000, None, True), 10)) == 1000
    assert 2 <= peak <= 4
