"""The schema: created on first open, upgraded in place, refused when newer or foreign."""

from __future__ import annotations

import logging

import anyio
import pytest
import sqlalchemy as sa

import smarterproctoring_async as sp
from smarterproctoring_async.store import _schema

from ._sql import query, raw

INSTALL = "AI" + "1" * 32
TABLES = {"annotations", "events", "runs", "schema_version", "sessions", "sync_state"}


def tables(store_url: str) -> set[str]:
    with raw(store_url) as connection:
        return set(sa.inspect(connection).get_table_names())


def version(store_url: str) -> int:
    [(found,)] = query(store_url, "SELECT version FROM schema_version")
    return int(found)


def add_a_note_column(connection: sa.Connection) -> None:
    """A later release's migration (for the test): one more column, one more index."""
    connection.execute(sa.text("ALTER TABLE sessions ADD COLUMN note TEXT"))
    connection.execute(sa.text("CREATE INDEX sessions_by_note ON sessions (note)"))


def half_done(connection: sa.Connection) -> None:
    """A migration that fails after a first step."""
    connection.execute(sa.text("CREATE TABLE half_done (x INTEGER)"))
    connection.execute(sa.text("SELECT * FROM no_such_table"))


async def test_a_new_store_gets_the_current_schema(store_url: str) -> None:
    async with sp.Store(store_url):
        pass
    assert tables(store_url) >= TABLES
    assert len(_schema.MIGRATIONS) == _schema.SCHEMA_VERSION
    assert version(store_url) == _schema.SCHEMA_VERSION


async def test_a_version_0_layout_is_upgraded(store_url: str) -> None:
    with raw(store_url) as connection:
        connection.execute(sa.text("CREATE TABLE schema_version (version INTEGER NOT NULL)"))
        connection.execute(sa.text("INSERT INTO schema_version VALUES (0)"))
        connection.execute(sa.text("CREATE TABLE unrelated (x INTEGER)"))
    async with sp.Store(store_url) as store:
        assert (await store.counts())["sessions"] == 0
    assert TABLES | {"unrelated"} <= tables(store_url)
    assert version(store_url) == _schema.SCHEMA_VERSION


async def test_an_older_store_is_upgraded_in_place_keeping_its_rows(
    store_url: str, results: list[sp.SessionResult], caplog: pytest.LogCaptureFixture
) -> None:
    async with sp.Store(store_url) as old:
        await old.save(results[0], version="v1", run_id=1)
    caplog.set_level(logging.INFO, logger="smarterproctoring_async.store")
    newer = [*_schema.MIGRATIONS, add_a_note_column]
    for _ in range(2):  # the second open finds it done and changes nothing
        store = sp.Store(store_url)
        store._migrations = newer
        async with store:
            assert await store.versions(results[0].ref.install_sid) == {  # type: ignore[union-attr]
                results[0].ref.session_sid: "v1"  # type: ignore[union-attr]
            }
    assert version(store_url) == len(newer)
    assert query(store_url, "SELECT note FROM sessions") == [(None,)]
    upgraded = [r.getMessage() for r in caplog.records if "upgraded" in r.getMessage()]
    now, later = len(_schema.MIGRATIONS), len(newer)
    assert upgraded == [f"store {store.url}: schema upgraded from version {now} to {later}"]


async def test_a_failed_migration_changes_nothing(store_url: str) -> None:
    async with sp.Store(store_url):
        pass
    store = sp.Store(store_url)
    store._migrations = [*_schema.MIGRATIONS, half_done]
    with pytest.raises(sp.StoreError, match="opening failed"):
        async with store:
            pass
    assert version(store_url) == len(_schema.MIGRATIONS)
    assert "half_done" not in tables(store_url)


async def test_a_store_from_a_newer_release_is_refused(store_url: str) -> None:
    async with sp.Store(store_url):
        pass
    with raw(store_url) as connection:
        connection.execute(sa.text("UPDATE schema_version SET version = 99"))
    with pytest.raises(sp.StoreError) as caught:
        async with sp.Store(store_url):
            pass
    message = str(caught.value)
    assert "schema version 99" in message and "newer release" in message
    assert version(store_url) == 99


async def test_a_database_that_is_not_a_store_is_refused(store_url: str) -> None:
    with raw(store_url) as connection:
        connection.execute(sa.text("CREATE TABLE sessions (id INTEGER)"))
    with pytest.raises(sp.StoreError, match="not a smarterproctoring store"):
        async with sp.Store(store_url):
            pass
    assert tables(store_url) == {"sessions"}


async def test_first_opens_at_the_same_time_all_succeed(store_url: str) -> None:
    opened: list[int] = []

    async def open_one() -> None:
        async with sp.Store(store_url) as store:
            opened.append((await store.counts())["runs"])

    async with anyio.create_task_group() as group:
        for _ in range(4):
            group.start_soon(open_one)
    assert opened == [0, 0, 0, 0]
    assert version(store_url) == _schema.SCHEMA_VERSION


async def test_a_version_1_store_gets_the_429_count_of_its_runs(store_url: str) -> None:
    async with sp.Store(store_url) as store:
        run = await store.start_run(INSTALL, shard=None, options={})
        await store.finish_run(
            run, status="ok", stored=1, unchanged=0, skipped=0, failed=0, events=0,
            annotations=0, requests=5, errors=[],
        )  # fmt: skip
    with raw(store_url) as connection:  # back to the layout of version 1
        connection.execute(sa.text("ALTER TABLE runs DROP COLUMN rate_limited"))
        connection.execute(sa.text("UPDATE schema_version SET version = 1"))
    async with sp.Store(store_url) as store:
        [old] = [row async for row in store.rows("runs")]
        assert (old["requests"], old["rate_limited"]) == (5, 0)
        run = await store.start_run(INSTALL, shard=None, options={})
        await store.finish_run(
            run, status="ok", stored=0, unchanged=1, skipped=0, failed=0, events=0,
            annotations=0, requests=1, errors=[], rate_limited=1,
        )  # fmt: skip
        assert [row["rate_limited"] async for row in store.rows("runs")] == [0, 1]
    assert version(store_url) == _schema.SCHEMA_VERSION == 2
