"""Saves while the store holds a sync lock: on PostgreSQL they go, as one statement, on
the lock's own connection (``PostgresLock.run``), so a save cannot commit once the lock
is lost, and the loss is noticed without a round trip of its own."""

from __future__ import annotations

import json
from collections.abc import Iterator

import attrs
import pytest

import smarterproctoring_async as sp

from .._postgres_server import fresh_database
from ._sql import query
from .test_transactions import refuse_an_annotation, snapshot, with_refused_annotation

INSTALL = "AI" + "2" * 32


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database (these tests are about PostgreSQL's lock only)."""
    with fresh_database(postgres_server_url) as url:
        yield url


async def test_a_session_saved_again_under_the_lock_replaces_its_rows(
    store_url: str, results: list[sp.SessionResult]
) -> None:
    busiest = max(results, key=lambda r: len(r.events or ()))
    assert busiest.events and busiest.annotations and busiest.ref
    fewer = attrs.evolve(busiest, events=busiest.events[1:2], annotations=())
    async with sp.Store(store_url) as store, store.lock(INSTALL):
        await store.save(busiest, version="v1", run_id=1)
        assert (await store.counts())["events"] == len(busiest.events)
        await store.save(fewer, version="v2", run_id=2)
        more = attrs.evolve(busiest, events=busiest.events[:3])
        await store.save(more, version="v3", run_id=3)
        await store.save(fewer, version="v4", run_id=4)
    sid = busiest.ref.session_sid
    assert query(store_url, "SELECT position, wire FROM events ORDER BY position") == [
        (0, json.dumps(busiest.events[1].to_dict(), separators=(",", ":")))
    ]
    assert query(store_url, "SELECT count(*) FROM annotations") == [(0,)]
    assert query(store_url, "SELECT session_sid, version, run_id FROM sync_state") == [
        (sid, "v4", 4)
    ]


async def test_a_refused_save_under_the_lock_keeps_the_lock_and_the_store_working(
    store_url: str, results: list[sp.SessionResult]
) -> None:
    stored, fresh = [r for r in results if r.events][:2]
    async with sp.Store(store_url) as store, store.lock(INSTALL):
        await store.save(stored, version="v1", run_id=1)
        before = snapshot(store_url)
        refuse_an_annotation(store_url)
        for result in (stored, fresh):
            with pytest.raises(sp.StoreError) as caught:
                await store.save(with_refused_annotation(result), version="v2", run_id=2)
            message = str(caught.value)
            assert "saving a session failed" in message and "refuse" in message
            assert "lost its lock" not in message
            assert snapshot(store_url) == before
        await store.save(fresh, version="v1", run_id=2)
        async with sp.Store(store_url) as other:
            with pytest.raises(sp.StoreBusyError):
                async with other.lock(INSTALL, wait=0):
                    pass
    assert len(snapshot(store_url)["sessions"]) == 2


async def test_no_save_commits_after_the_lock_connection_ended(
    postgres_url: str, results: list[sp.SessionResult]
) -> None:
    first, second, third = [r for r in results if r.ref][:3]
    async with sp.Store(postgres_url) as store, store.lock(INSTALL):
        await store.save(first, version="v", run_id=1)
        # An administrator (or a restart) ends the connection holding the lock.
        ended = query(
            postgres_url,
            "SELECT pg_terminate_backend(pid) FROM pg_locks "
            "WHERE locktype = 'advisory' AND pid <> pg_backend_pid()",
        )
        assert ended == [(True,)]
        for result in (second, third):  # never carries on through a new connection
            with pytest.raises(sp.StoreError, match="lost its lock"):
                await store.save(result, version="v", run_id=1)
        await store.versions(INSTALL)  # the store itself still works
    assert query(postgres_url, "SELECT count(*) FROM sessions") == [(1,)]
