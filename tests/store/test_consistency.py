"""What an outside probe found: reads mixing two versions of a session, a mistyped URL
creating a store, two lock folders for one file, runs left ``running`` forever."""

from __future__ import annotations

import json
import os
from pathlib import Path

import attrs
import pytest

import smarterproctoring_async as sp

from ._sql import dialect, query

INSTALL = "AI" + "1" * 32
OTHER = "AI" + "2" * 32


async def test_rows_under_a_snapshot_see_one_version_of_a_session_replaced_meanwhile(
    store_url: str, results: list[sp.SessionResult]
) -> None:
    busiest = max(results, key=lambda r: len(r.events or ()))
    assert busiest.events is not None and len(busiest.events) >= 6
    others = [r for r in results if r is not busiest and r.events]
    new_events = tuple(e for r in others for e in r.events or ())[: len(busiest.events) + 5]
    replaced = attrs.evolve(busiest, events=new_events)
    async with sp.Store(store_url) as store, sp.Store(store_url) as writer:
        run_id = await store.start_run(INSTALL, shard=None, options={})
        await store.save(busiest, version="v1", run_id=run_id)
        seen: list[dict[str, object]] = []
        async with store.snapshot():
            async for row in store.rows("events", batch=2):
                seen.append(row)
                if len(seen) == 2:  # between two pages: a sync saves a new version
                    await writer.save(replaced, version="v2", run_id=run_id)
            sessions = [row async for row in store.rows("sessions")]
        keys = [(row["session_sid"], row["position"]) for row in seen]
        assert len(keys) == len(set(keys))
        assert [json.loads(str(row["wire"])) for row in seen] == [
            event.to_dict() for event in busiest.events
        ]
        assert json.loads(str(sessions[0]["wire"])) == busiest.session.to_dict()  # type: ignore[union-attr]
        # After the snapshot, reads show the new version.
        after = [row async for row in store.rows("events")]
        assert len(after) == len(new_events)
        async with store.snapshot():  # the snapshot was given back: another opens
            with pytest.raises(sp.StoreError, match="already open"):
                async with store.snapshot():
                    pass


async def test_a_reader_opening_no_store_creates_nothing(store_url: str, tmp_path: Path) -> None:
    with pytest.raises(sp.StoreError) as caught:
        async with sp.Store(store_url, create=False):
            raise AssertionError("opened")
    message = str(caught.value)
    assert message.startswith("no store at ") and "\n" not in message
    if dialect(store_url) == "sqlite":
        assert not os.listdir(tmp_path)
    else:
        tables = "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        assert query(store_url, tables) == [(0,)]
    async with sp.Store(store_url):  # the default creates it
        pass
    async with sp.Store(store_url, create=False) as store:
        assert (await store.counts())["sessions"] == 0


async def test_a_symlink_to_the_store_shares_its_lock(tmp_path: Path) -> None:
    real = tmp_path / "real" / "store.db"
    real.parent.mkdir()
    link = tmp_path / "link.db"
    async with sp.Store(f"sqlite:///{real}"):
        pass
    os.symlink(real, link)
    first, second = sp.Store(f"sqlite:///{real}"), sp.Store(f"sqlite:///{link}")
    async with first, second, first.lock(INSTALL):
        with pytest.raises(sp.StoreBusyError):
            async with second.lock(INSTALL, wait=0):
                raise AssertionError("two holders of one store's lock")


async def statuses(store: sp.Store) -> dict[int, str]:
    return {int(row["id"]): str(row["status"]) async for row in store.rows("runs")}


async def test_a_run_left_running_is_marked_interrupted_by_the_next_locked_run(
    store_url: str,
) -> None:
    async with sp.Store(store_url) as store:
        async with store.lock(INSTALL):
            dead = await store.start_run(INSTALL, shard=None, options={})  # never finished
        other = await store.start_run(OTHER, shard=None, options={})
        unlocked = await store.start_run(INSTALL, shard=None, options={})  # no lock: no proof
        assert (await statuses(store))[dead] == "running"
        async with store.lock(INSTALL, shard=(1, 2)):
            shard_run = await store.start_run(INSTALL, shard=(1, 2), options={})
        async with store.lock(INSTALL, shard=(2, 2)):
            second = await store.start_run(INSTALL, shard=(2, 2), options={})
        found = await statuses(store)
        # The 2/2 lock excludes the whole install's syncs but not shard 1/2's.
        assert found[dead] == found[unlocked] == "interrupted"
        assert found[shard_run] == found[second] == found[other] == "running"
        async with store.lock(INSTALL):
            last = await store.start_run(INSTALL, shard=None, options={})
        found = await statuses(store)
        assert found[shard_run] == found[second] == "interrupted"
        assert found[last] == found[other] == "running"
        rows = {row["id"]: row async for row in store.rows("runs")}
        assert rows[dead]["finished"] is None
