"""One transaction per session: a refused write changes nothing; the event loop runs on
while the database works; a cancelled save still ends whole."""

from __future__ import annotations

import itertools
import json
import time

import anyio
import attrs
import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.models import decoder

from ._sql import dialect, query, raw

REFUSED_TITLE = "refused by the database"


def refuse_an_annotation(store_url: str) -> None:
    """A real constraint of the database that refuses one annotation title."""
    import sqlalchemy as sa

    with raw(store_url) as connection:
        if dialect(store_url) == "sqlite":
            connection.execute(sa.text(
                "CREATE TRIGGER refuse BEFORE INSERT ON annotations "
                f"WHEN NEW.title = '{REFUSED_TITLE}' "
                "BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END"
            ))  # fmt: skip
        else:
            connection.execute(sa.text(
                "ALTER TABLE annotations ADD CONSTRAINT refuse "
                f"CHECK (title IS DISTINCT FROM '{REFUSED_TITLE}')"
            ))  # fmt: skip


def with_refused_annotation(result: sp.SessionResult) -> sp.SessionResult:
    bad = decoder(sp.Annotation)({"sid": "AN-refused", "title": REFUSED_TITLE})
    assert result.events
    return attrs.evolve(
        result, events=result.events[:1], annotations=(*(result.annotations or ()), bad)
    )


def snapshot(store_url: str) -> dict[str, list[tuple[object, ...]]]:
    """Everything in the tables, straight from the database."""
    tables = {
        "sessions": "SELECT session_sid, wire, run_id FROM sessions ORDER BY 1",
        "events": "SELECT session_sid, position, wire FROM events ORDER BY 1, 2",
        "annotations": "SELECT session_sid, position, wire FROM annotations ORDER BY 1, 2",
        "sync_state": "SELECT session_sid, version, run_id FROM sync_state ORDER BY 1",
    }
    return {name: query(store_url, sql) for name, sql in tables.items()}


async def test_a_write_the_database_refuses_leaves_the_session_as_it_was(
    store: sp.Store, store_url: str, results: list[sp.SessionResult]
) -> None:
    stored, fresh = [r for r in results if r.events][:2]
    run_id = await store.start_run("AI", shard=None, options={})
    await store.save(stored, version="v1", run_id=run_id)
    before = snapshot(store_url)
    assert len(before["events"]) == len(stored.events or ()) > 1
    refuse_an_annotation(store_url)

    later_run = await store.start_run("AI", shard=None, options={})
    for result in (stored, fresh):  # a stored session, and one never stored
        with pytest.raises(sp.StoreError) as caught:
            await store.save(with_refused_annotation(result), version="v2", run_id=later_run)
        message = str(caught.value)
        assert "saving a session failed on the store" in message and store.url in message
        assert "refuse" in message and "\n" not in message
        assert caught.value.__context__ is None and caught.value.__cause__ is None
        # The session row was written and its events replaced before the refusal.
        assert snapshot(store_url) == before

    await store.save(fresh, version="v1", run_id=later_run)  # the store still works
    assert len(snapshot(store_url)["sessions"]) == 2


async def test_the_event_loop_runs_while_a_big_session_is_saved(
    store: sp.Store, results: list[sp.SessionResult]
) -> None:
    busiest = max(results, key=lambda r: len(r.events or ()))
    assert busiest.events
    big = attrs.evolve(busiest, events=busiest.events * (20_000 // len(busiest.events) + 1))
    ticks: list[float] = []

    async def tick() -> None:
        while True:
            ticks.append(time.monotonic())
            await anyio.sleep(0.005)

    async with anyio.create_task_group() as group:
        group.start_soon(tick)
        await anyio.sleep(0.05)
        started = time.monotonic()
        await store.save(big, version="v", run_id=1)
        ended = time.monotonic()
        group.cancel_scope.cancel()

    during = [t for t in ticks if started <= t <= ended]
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert ended - started > 0.1, "the save was too quick to tell"
    assert len(during) >= 10, (len(during), ended - started)
    assert max(gaps) < 0.2, max(gaps)
    assert (await store.counts())["events"] == len(big.events or ())


async def test_a_cancelled_save_still_commits_or_rolls_back_whole(
    store: sp.Store, store_url: str, results: list[sp.SessionResult]
) -> None:
    busiest = max(results, key=lambda r: len(r.events or ()))
    assert busiest.events
    big = attrs.evolve(busiest, events=busiest.events * (20_000 // len(busiest.events) + 1))
    started = time.monotonic()
    with anyio.move_on_after(0.05) as scope:
        await store.save(big, version="v", run_id=1)
        await anyio.sleep(5)  # where the deferred cancellation lands
    assert scope.cancelled_caught and time.monotonic() - started > 0.1
    # The cancel waited for the worker thread: its transaction had committed, whole,
    # and nothing changes afterwards.
    first = query(store_url, "SELECT count(*) FROM events")[0][0]
    await anyio.sleep(0.5)
    assert query(store_url, "SELECT count(*) FROM events")[0][0] == first == len(big.events or ())
    sessions = query(store_url, "SELECT wire FROM sessions")
    assert [json.loads(wire) for (wire,) in sessions] == [big.session.to_dict()]  # type: ignore[union-attr]
