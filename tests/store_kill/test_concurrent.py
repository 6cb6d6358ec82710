"""Syncs at the same time on one store (issue 18):

- two syncs of one install started at once: with no wait, one refuses with
  ``StoreBusyError`` (one line, its own exit code in the worker); with a long wait, the
  second runs after the first and finds nothing to fetch; either way nothing is lost or
  doubled. Both start on an empty store, so they also race to create the schema.
- four shard workers (``shard=(i, 4)``) into one PostgreSQL store, sharing one
  ``RedisRateLimiter`` against a fake with a server-side rate limit: the store equals a
  single sync's (every column but ``stored_at``, ``run_id`` and ``plan``: a shard sees
fewer sessions of an exam, so the cheaper plan may differ), with zero 429s.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from smarterproctoring_async.testing import FakeAPI, generate_data

from .._postgres_server import fresh_database
from ._procs import Ended, Workers
from ._records import (
    assert_exact,
    differing_columns,
    expected,
    run_statuses,
    snapshot,
    typed_rows,
)

pytestmark = pytest.mark.slow

#: The fake's rate limit (requests/s) and burst; the workers' budget keeps under it.
RATE = 20.0
BURST = 5
SHARDS = 4


@pytest.fixture
async def busy_fake() -> AsyncIterator[FakeAPI]:
    """130 terminal sessions in 4 exams, a little latency: a sync lasts about a second."""
    data = generate_data(seed=18, exams=4, sessions_per_exam=40, events=(0, 40), annotations=(0, 6))
    async with FakeAPI(data, latency=0.004) as fake:
        yield fake


async def two_at_once(pool: Workers) -> list[Ended]:
    """Two workers started, then sent off together; how each ended."""
    first, second = await pool.ready(), await pool.ready()
    await asyncio.gather(first.go(), second.go())
    return list(await asyncio.gather(first.end(), second.end()))


async def test_two_syncs_at_once_one_refuses(
    store_url: str, busy_fake: FakeAPI, tmp_path: Path
) -> None:
    fake = busy_fake
    install = str(fake.data.installs[0]["sid"])
    want = expected(fake.data, install)
    async with Workers(
        fake.base_url, fake.token, install, store_url, tmp_path, "--lock-wait", "0"
    ) as pool:
        ended = await two_at_once(pool)
    done = [e for e in ended if e.ok]
    refused = [e for e in ended if not e.ok]
    assert len(done) == 1 and len(refused) == 1, [(e.code, e.result, e.stderr) for e in ended]
    busy = refused[0]
    assert busy.code == 3, (busy.code, busy.result, busy.stderr)
    assert busy.result is not None and busy.result["error"] == "StoreBusyError"
    message = busy.result["message"]
    assert "\n" not in message and install in message, message
    assert "Traceback" not in busy.stderr, busy.stderr
    assert done[0].result is not None and done[0].result["stored"] == len(want.sessions)
    assert_exact(await asyncio.to_thread(snapshot, store_url), want)
    # The refused sync never started a run.
    assert [status for _, status in await asyncio.to_thread(run_statuses, store_url)] == ["ok"]


async def test_two_syncs_at_once_one_waits(
    store_url: str, busy_fake: FakeAPI, tmp_path: Path
) -> None:
    fake = busy_fake
    install = str(fake.data.installs[0]["sid"])
    want = expected(fake.data, install)
    async with Workers(
        fake.base_url, fake.token, install, store_url, tmp_path, "--lock-wait", "60"
    ) as pool:
        ended = await two_at_once(pool)
    assert all(e.ok for e in ended), [(e.code, e.result, e.stderr) for e in ended]
    results = sorted((e.result for e in ended if e.result), key=lambda r: r["run_id"])
    # The second ran after the first: it found everything stored, fetched nothing new.
    assert [(r["stored"], r["unchanged"]) for r in results] == [
        (len(want.sessions), 0),
        (0, len(want.sessions)),
    ]
    assert_exact(await asyncio.to_thread(snapshot, store_url), want)
    assert [status for _, status in await asyncio.to_thread(run_statuses, store_url)] == [
        "ok",
        "ok",
    ]


# -- four shards, one budget ----------------------------------------------------------


@pytest.fixture
async def limited_fake() -> AsyncIterator[FakeAPI]:
    """A fake answering 429 over RATE requests/s (burst BURST); every request logged."""
    data = generate_data(seed=5, exams=3, sessions_per_exam=12, events=(0, 30), annotations=(0, 4))
    async with FakeAPI(data, rate_limit=RATE, rate_burst=BURST, request_log_size=None) as fake:
        yield fake


@pytest.fixture
def two_postgres_stores(postgres_server_url: str) -> Iterator[tuple[str, str]]:
    """Two empty PostgreSQL databases: the shards' store and the single sync's."""
    with fresh_database(postgres_server_url) as one, fresh_database(postgres_server_url) as two:
        yield one, two


async def test_four_shards_one_budget_equal_a_single_sync(
    two_postgres_stores: tuple[str, str], limited_fake: FakeAPI, redis_url: str, tmp_path: Path
) -> None:
    fake, (sharded, single) = limited_fake, two_postgres_stores
    install = str(fake.data.installs[0]["sid"])
    want = expected(fake.data, install)
    budget = ["--rate-limit", str(RATE), "--burst", str(BURST - 1)]
    shared = [*budget, "--redis-url", redis_url, "--key", f"kill:{uuid.uuid4().hex}"]
    async with Workers(fake.base_url, fake.token, install, sharded, tmp_path, *shared) as pool:
        workers = [await pool.ready("--shard", f"{i}/{SHARDS}") for i in range(1, SHARDS + 1)]
        await asyncio.gather(*(w.go() for w in workers))
        ended = await asyncio.gather(*(w.end() for w in workers))
    assert all(e.ok for e in ended), [(e.code, e.result, e.stderr) for e in ended]
    results = [e.result for e in ended if e.result]
    assert sum(r["stored"] for r in results) == len(want.sessions)
    assert all(r["unchanged"] == 0 and r["failed"] == 0 for r in results), results
    assert all(r["stored"] > 0 for r in results), "a shard got nothing: the split is suspicious"

    async with Workers(fake.base_url, fake.token, install, single, tmp_path, *budget) as pool:
        alone = await pool.run()
    assert alone.ok and alone.result is not None, alone.stderr
    assert alone.result["stored"] == len(want.sessions)

    assert fake.requests.by_status.get(429, 0) == 0, dict(fake.requests.by_status)
    assert_exact(await asyncio.to_thread(snapshot, sharded), want)
    for table in ("sessions", "events", "annotations", "sync_state"):
        got = await asyncio.to_thread(typed_rows, sharded, table)
        alone_rows = await asyncio.to_thread(typed_rows, single, table)
        assert got == alone_rows, (table, differing_columns(got, alone_rows))
    statuses = await asyncio.to_thread(run_statuses, sharded)
    assert [s for _, s in statuses] == ["ok"] * SHARDS
