"""SIGKILL a sync at 20+ random points, then resume: the store holds exactly the fake's
records (issue 18, "Kill tests"), on SQLite and on PostgreSQL.

The fake runs in this process (with a little latency per request); each sync runs in a
worker process (``_worker.py``) that is killed after a seeded random delay drawn over the
length of a whole sync. Resumed syncs have less left to do, so later kills of a chain
land later in a run; once the store is complete it is emptied (its tables dropped, so
kills also land while a sync creates the schema) and the chain starts again. After
every kill the store must hold only complete sessions (each with every event and
annotation, exactly as served, and its version); the final sync must fetch only what is
missing and leave the store exactly equal to the fake's terminal sessions.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from smarterproctoring_async.testing import FakeAPI, generate_data

from ._procs import Workers
from ._records import (
    assert_all_or_nothing,
    assert_exact,
    drop_everything,
    expected,
    read_store,
    snapshot,
)

pytestmark = pytest.mark.slow

SEED = 20250718
#: Kills that must have ended a running sync.
KILLS = 22
#: Seconds the fake adds to every answer.
LATENCY = 0.004


@dataclass(frozen=True)
class Kill:
    """One kill: its delay after go, and the sessions stored before and after."""

    delay: float
    before: int
    after: int


@pytest.fixture
async def kill_fake() -> AsyncIterator[FakeAPI]:
    """130 terminal sessions (2,664 events, 404 annotations) in 4 exams, 160 in all."""
    data = generate_data(seed=18, exams=4, sessions_per_exam=40, events=(0, 40), annotations=(0, 6))
    async with FakeAPI(data, latency=LATENCY) as fake:
        yield fake


async def test_sigkill_at_random_points_then_resume(
    store_url: str, kill_fake: FakeAPI, tmp_path: Path
) -> None:
    fake = kill_fake
    install = str(fake.data.installs[0]["sid"])
    want = expected(fake.data, install)
    rng = random.Random(SEED)
    kills: list[Kill] = []
    completed = 0
    async with Workers(fake.base_url, fake.token, install, store_url, tmp_path) as pool:
        # One whole sync first: its length is the range the kill delays are drawn from.
        first = await pool.run()
        assert first.ok, first.stderr
        assert first.result is not None and first.result["stored"] == len(want.sessions)
        assert_exact(await asyncio.to_thread(snapshot, store_url), want)
        whole = first.seconds
        await asyncio.to_thread(drop_everything, store_url)
        held = len(want.sessions) * 0
        worker = await pool.ready()
        while len(kills) < KILLS:
            delay = rng.uniform(0.0, whole)
            await worker.go()
            following = asyncio.ensure_future(pool.ready())  # starts while this one runs
            await asyncio.sleep(delay)
            ended = await worker.kill()
            worker = await following
            found = await asyncio.to_thread(snapshot, store_url)
            assert_all_or_nothing(found, want)
            if ended.killed:
                kills.append(Kill(delay, held, len(found.sessions)))
            else:  # it finished before the kill: then it finished the job
                assert ended.ok, ended.stderr
                assert_exact(found, want)
                completed += 1
            held = len(found.sessions)
            if held == len(want.sessions):  # nothing left to do: start again from nothing
                await asyncio.to_thread(drop_everything, store_url)
                held = 0

        # Resume: only what is missing is fetched, and then the store is exact.
        await worker.go()
        final = await worker.end()
    assert final.ok, final.stderr
    assert final.result is not None
    assert (final.result["stored"], final.result["unchanged"]) == (
        len(want.sessions) - held,
        held,
    )
    assert final.result["failed"] == 0, final.result["errors"]
    assert_exact(await asyncio.to_thread(snapshot, store_url), want)
    assert_exact(await read_store(store_url, install), want)
    # The kills were spread over the run: before anything was saved, and while saving.
    midway = [k for k in kills if k.before < k.after < len(want.sessions)]
    idle = [k for k in kills if k.after == k.before]
    print(
        f"{len(kills)} kills ({len(midway)} while saving, {len(idle)} before a save), "
        f"{completed} syncs finished before their kill; whole sync {whole:.2f} s"
    )
    assert len(midway) >= 3, kills
