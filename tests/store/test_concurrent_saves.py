"""Two saves of one session at the same moment on PostgreSQL (two processes' stores: shard
workers of different counts, or saves made outside a sync): the session stored is
wholly one of them, never the events of both."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AsyncExitStack
from functools import partial

import anyio
import attrs
import pytest

import smarterproctoring_async as sp

from .._postgres_server import fresh_database
from ._sql import query

INSTALL = "AI" + "3" * 32
ROUNDS = 30


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database (SQLite takes its write lock at BEGIN: no such race)."""
    with fresh_database(postgres_server_url) as url:
        yield url


def _stored(url: str, sid: str) -> tuple[list[str], list[str], str]:
    """The stored events' and annotations' SIDs, in order, and the session's version."""
    events = query(url, "SELECT wire FROM events WHERE session_sid = :s ORDER BY position", s=sid)
    notes = query(
        url, "SELECT wire FROM annotations WHERE session_sid = :s ORDER BY position", s=sid
    )
    [(version,)] = query(url, "SELECT version FROM sync_state WHERE session_sid = :s", s=sid)
    return (
        [json.loads(wire)["sid"] for (wire,) in events],
        [json.loads(wire)["sid"] for (wire,) in notes],
        version,
    )


@pytest.mark.parametrize("locked", [True, False], ids=["under-shard-locks", "no-lock"])
async def test_two_saves_of_one_session_at_once_store_one_of_them_whole(
    postgres_url: str, results: list[sp.SessionResult], locked: bool
) -> None:
    busiest = max(results, key=lambda r: len(r.events or ()))
    assert busiest.ref and busiest.events and len(busiest.events) > 4 and busiest.annotations
    sid = busiest.ref.session_sid
    # Different lengths and orders: a mix of the two shows as a list equal to neither.
    many = attrs.evolve(busiest, events=busiest.events)
    few = attrs.evolve(busiest, events=busiest.events[::-1][:3], annotations=())
    wholes = {
        "many": ([e.sid for e in busiest.events], [a.sid for a in busiest.annotations]),
        "few": ([e.sid for e in busiest.events[::-1][:3]], []),
    }
    mixed = []
    async with (
        sp.Store(postgres_url) as one,
        sp.Store(postgres_url) as other,
        AsyncExitStack() as locks,
    ):
        if locked:  # shards of two counts: their locks are granted together
            await locks.enter_async_context(one.lock(INSTALL, shard=(1, 2)))
            await locks.enter_async_context(other.lock(INSTALL, shard=(1, 4)))
        for round_ in range(ROUNDS):
            first, second = (many, few) if round_ % 2 else (few, many)
            async with anyio.create_task_group() as both:
                both.start_soon(partial(one.save, first, version="v1", run_id=1))
                both.start_soon(partial(other.save, second, version="v2", run_id=2))
            events, notes, version = _stored(postgres_url, sid)
            writer = {"v1": first, "v2": second}[version]
            if (events, notes) != wholes["many" if writer is many else "few"]:
                mixed.append((round_, len(events), len(notes), version))
    assert mixed == []
