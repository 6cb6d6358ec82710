"""PostgreSQL restarted in the middle of a sync (as after a crash: immediate shutdown,
crash recovery at start), then a rerun: the store holds exactly the fake's records.

The server is a throwaway one of this test (``restartable_postgres``), not the session's
(CI's is shared). Each round starts from an empty database; the server is restarted
after a seeded random share of a whole sync's length, by an immediate shutdown (as a
crash) or a fast one. The interrupted sync must either
fail with the store's one-line error or, if it got through, have stored everything; in
both cases every session held is complete. The URL carries a password (ignored by the
server's trust authentication) that must appear in no message.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from smarterproctoring_async.testing import FakeAPI, generate_data

from .._postgres_server import fresh_database
from ._postgres_control import RestartablePostgres
from ._procs import Workers
from ._records import assert_all_or_nothing, assert_exact, drop_everything, expected, snapshot

pytestmark = pytest.mark.slow

SEED = 1807
#: How each round stops the server: as a crash would, then as an operator would.
ROUNDS = ("immediate", "fast", "immediate")
PASSWORD = "s3cret-kill"


@pytest.fixture
async def restart_fake() -> AsyncIterator[FakeAPI]:
    """130 terminal sessions in 4 exams, a little latency per answer."""
    data = generate_data(seed=18, exams=4, sessions_per_exam=40, events=(0, 40), annotations=(0, 6))
    async with FakeAPI(data, latency=0.004) as fake:
        yield fake


async def test_postgres_restarted_mid_run_then_resume(
    restartable_postgres: RestartablePostgres, restart_fake: FakeAPI, tmp_path: Path
) -> None:
    fake, server = restart_fake, restartable_postgres
    install = str(fake.data.installs[0]["sid"])
    want = expected(fake.data, install)
    rng = random.Random(SEED)
    with fresh_database(server.url) as plain:
        url = plain.replace("postgres@", f"postgres:{PASSWORD}@", 1)
        async with Workers(fake.base_url, fake.token, install, url, tmp_path) as pool:
            whole = await pool.run()
            assert whole.ok, whole.stderr
            failures, messages = 0, []
            for how in ROUNDS:
                await asyncio.to_thread(drop_everything, plain)
                worker = await pool.ready()
                await worker.go()
                await asyncio.sleep(rng.uniform(0.2, 0.7) * whole.seconds)
                assert worker.process.returncode is None, "the sync ended before the restart"
                await asyncio.to_thread(server.restart, how)
                ended = await worker.end()
                assert PASSWORD not in ended.stderr + str(ended.result)
                assert "Traceback" not in ended.stderr, ended.stderr
                held = await asyncio.to_thread(snapshot, plain)
                assert_all_or_nothing(held, want)
                if ended.ok:  # it rode out the restart: then it stored everything
                    assert_exact(held, want)
                    continue
                failures += 1
                assert ended.code == 2 and ended.result is not None, (ended.code, ended.stderr)
                assert ended.result["error"] == "StoreError", ended.result
                assert "\n" not in ended.result["message"]
                messages.append(ended.result["message"])
                # Resume: what is missing, and only that.
                again = await pool.run()
                assert again.ok, again.stderr
                assert again.result is not None
                assert (again.result["stored"], again.result["unchanged"]) == (
                    len(want.sessions) - len(held.sessions),
                    len(held.sessions),
                )
                assert_exact(await asyncio.to_thread(snapshot, plain), want)
        print(f"{failures} of {len(ROUNDS)} restarts ended the sync with the store's error:")
        print("\n".join(messages))
