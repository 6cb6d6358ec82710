"""A PostgreSQL restart drops the sync's advisory lock: the sync must not carry on as
if it still held it (issue 18: "Two syncs of one install into one store cannot
interleave").

Sync A starts and takes the lock, then waits on a slow API (one second a request)
while the server restarts (fast shutdown: every connection closed, the advisory locks
with them). Sync B starts meanwhile with no wait for the lock: it gets it, since A's
is gone. A must then stop before it saves anything (its lock is lost), or B must be
refused: the run log must never show two runs of the install that stored sessions
while both were running.

Failed every time before each save checked the lock (``LockHolder.held``): A
reconnected for its saves (the engine's ``pool_pre_ping``), stored its sessions and
logged its run ``ok`` while B did the same.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from smarterproctoring_async.testing import FakeAPI, generate_data

from .._postgres_server import fresh_database
from ._postgres_control import RestartablePostgres
from ._procs import Workers
from ._records import connect

pytestmark = pytest.mark.slow


@pytest.fixture
async def slow_fake() -> AsyncIterator[FakeAPI]:
    """Ten sessions (three terminal), one second per answer: a sync mostly waits."""
    data = generate_data(seed=18, exams=2, sessions_per_exam=5, events=(0, 3), annotations=(0, 2))
    async with FakeAPI(data, latency=1.0) as fake:
        yield fake


def storing_runs(url: str) -> list[tuple[int, str, datetime, datetime | None]]:
    """(id, status, started, finished) of the runs that stored at least one session."""
    with connect(url) as conn:
        rows = conn.execute(
            "SELECT id, status, started, finished FROM runs WHERE stored > 0 ORDER BY id"
        ).fetchall()
    return [tuple(r) for r in rows]


async def test_sync_does_not_outlive_its_lock(
    restartable_postgres: RestartablePostgres, slow_fake: FakeAPI, tmp_path: Path
) -> None:
    fake, server = slow_fake, restartable_postgres
    install = str(fake.data.installs[0]["sid"])
    with fresh_database(server.url) as url:
        async with Workers(
            fake.base_url, fake.token, install, url, tmp_path, "--lock-wait", "0"
        ) as pool:
            first, second = await pool.ready(), await pool.ready()
            await first.go()
            await asyncio.sleep(0.6)  # A holds the lock and waits for the report
            await asyncio.to_thread(server.restart, "fast")
            await second.go()
            ended = [await second.end(), await first.end()]
        runs = await asyncio.to_thread(storing_runs, url)
    outcomes = [(e.code, e.result) for e in ended]
    for one, two in itertools.pairwise(runs):
        finished = one[3]
        assert finished is not None and two[2] >= finished, (
            f"runs {one[0]} and {two[0]} stored sessions at the same time: {runs}; "
            f"the syncs ended {outcomes}"
        )
