"""What the sync tests share: an open store of each kind, and reading it back."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeAPI

TERMINAL = ("Closed", "Cancelled")


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[sp.Store]:
    """An open, empty store: a SQLite file, or a fresh PostgreSQL database."""
    async with sp.Store(store_url) as opened:
        yield opened


def install_of(fake: FakeAPI) -> str:
    """The SID of the fake's (first) install."""
    return str(fake.data.installs[0]["sid"])


def terminal_sids(fake: FakeAPI) -> set[str]:
    """The sessions a sync with ``only_terminal=True`` stores."""
    return {s.sid for s in fake.data.sessions if s.status in TERMINAL}


async def table(store: sp.Store, name: str) -> list[dict[str, Any]]:
    """Every row of one of the store's tables, in the store's order."""
    return [row async for row in store.rows(name)]  # type: ignore[arg-type]


async def stored_sids(store: sp.Store) -> set[str]:
    """The SIDs of the sessions in the store."""
    return {row["session_sid"] for row in await table(store, "sessions")}


async def assert_store_holds(store: sp.Store, fake: FakeAPI, sids: set[str]) -> None:
    """The store holds exactly ``sids``, each with the fake's events and annotations
    (the wire JSON of each, in order, every row carrying its session's SID)."""
    assert await stored_sids(store) == sids
    for kind in ("events", "annotations"):
        held: dict[str, list[tuple[int, Any]]] = defaultdict(list)
        for row in await table(store, kind):
            held[row["session_sid"]].append((row["position"], json.loads(row["wire"])))
        assert set(held) <= sids
        for sid in sids:
            records = [wire for _, wire in sorted(held.get(sid, []), key=lambda p: p[0])]
            served = fake.data.session(sid)
            expected = list(served.events if kind == "events" else served.annotations)
            assert records == expected, f"{kind} of {sid}"


async def last_run(store: sp.Store) -> dict[str, Any]:
    """The newest row of the store's run log."""
    runs = await table(store, "runs")
    return max(runs, key=lambda run: run["id"])
