"""The pagination loop's planning, against an in-memory list (no network).

Behaviour that crosses HTTP is tested against the fake API in test_pagination.py;
these properties cover every combination of total, page size, server cap and drift.
"""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from smarterproctoring_async._pagination import Paginator
from smarterproctoring_async._protocol import QueryPairs
from smarterproctoring_async.models import JSONValue


class Listing:
    """A server-side list: serves pages, optionally inserting records at the head."""

    def __init__(self, total: int, cap: int | None, with_total: bool, inserts: int = 0) -> None:
        self.records: list[dict[str, JSONValue]] = [{"sid": f"r{i}"} for i in range(total)]
        self.cap, self.with_total, self.inserts = cap, with_total, inserts
        self.requests: list[tuple[int, int]] = []
        self.added = 0

    async def fetch(self, path: str, query: QueryPairs) -> JSONValue:
        q = dict(query)
        offset, limit = int(q["offset"]), int(q["limit"])
        self.requests.append((offset, limit))
        await asyncio.sleep(0)
        size = limit if self.cap is None else min(limit, self.cap)
        page: list[JSONValue] = list(self.records[offset : offset + size])
        # Drift lasts a while, then stops: a list that grows forever never ends.
        for _ in range(self.inserts if len(self.requests) <= 10 else 0):
            self.added += 1
            self.records.insert(0, {"sid": f"new{self.added}"})
        envelope: dict[str, JSONValue] = {"results": page, "count": len(page), "offset": offset}
        if self.with_total:
            envelope["total"] = len(self.records)
        return envelope


def _run(listing: Listing, page_size: int) -> list[str]:
    async def main() -> list[str]:
        pager = Paginator(listing.fetch, "/x", (), lambda r: r["sid"], page_size=page_size)  # type: ignore[index]
        return [sid async for sid in pager]

    return asyncio.run(main())


@settings(max_examples=300, deadline=None)
@given(
    total=st.integers(0, 400),
    page_size=st.integers(1, 60),
    cap=st.none() | st.integers(1, 60),
    with_total=st.booleans(),
)
def test_every_record_once_and_in_order(
    total: int, page_size: int, cap: int | None, with_total: bool
) -> None:
    listing = Listing(total, cap, with_total)
    assert _run(listing, page_size) == [f"r{i}" for i in range(total)]
    if with_total:
        # never the trailing empty request when the total says we are done
        assert all(offset < max(total, 1) for offset, _ in listing.requests)
        assert len(listing.requests) == max(1, -(-total // min(page_size, cap or page_size)))


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
    listing = Listing(total, cap, with_total, inserts)
    sids = _run(listing, page_size)
    assert len(sids) == len(set(sids))
    originals = [s for s in sids if s.startswith("r")]
    assert originals == [f"r{i}" for i in range(total)]


def test_short_pages_in_the_middle_are_filled() -> None:
    class Flaky(Listing):
        async def fetch(self, path: str, query: QueryPairs) -> JSONValue:
            envelope = await super().fetch(path, query)
            assert isinstance(envelope, dict)
            if dict(query)["offset"] == "20":
                envelope["results"] = envelope["results"][:3]  # type: ignore[index]
            return envelope

    listing = Flaky(100, None, True)
    assert _run(listing, 10) == [f"r{i}" for i in range(100)]
    assert (23, 7) in listing.requests  # the gap, asked with a limit that stops at page 30


def test_prefetch_is_bounded() -> None:
    in_flight = peak = 0

    class Slow(Listing):
        async def fetch(self, path: str, query: QueryPairs) -> JSONValue:
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            await asyncio.sleep(0.001)
            in_flight -= 1
            return await super().fetch(path, query)

    assert len(_run(Slow(1000, None, True), 10)) == 1000
    assert 2 <= peak <= 4
