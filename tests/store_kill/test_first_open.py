"""Syncs started at once on a SQLite store that does not exist yet: each opens it (one
creates the schema, the others wait for it), as the issue's "one waits or refuses"
asks; none fails with a locking error.

SQLite cannot switch a brand-new file to WAL from two connections at once: one gets
SQLITE_BUSY at once, its busy timeout notwithstanding (the journal mode change would
deadlock). With sqlite3 alone: 31 of 200 pairs of processes. Two sync worker processes
sent off together (test_concurrent.py) hit it about once in ten runs; four ``Store``
objects opened at once in this process hit it in a few rounds of a hundred, so this
test opens fresh files RUNS times.

Failed (about 5 rounds in 200) before ``store/_db.py`` retried the switch to WAL: a
BUSY there ended ``Store.__aenter__`` with ``StoreError: opening failed ... database is
locked``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import smarterproctoring_async as sp

#: Fresh files opened, each by AT_ONCE stores at the same time.
RUNS = 200
AT_ONCE = 4


async def open_and_close(url: str) -> str:
    """``"ok"``, or the store's error."""
    try:
        async with sp.Store(url):
            return "ok"
    except sp.errors.StoreError as error:
        return str(error)


async def test_stores_open_a_new_sqlite_file_at_once(tmp_path: Path) -> None:
    failures: list[str] = []
    for run in range(RUNS):
        url = f"sqlite:///{tmp_path / f'store-{run}.db'}"
        got = await asyncio.gather(*(open_and_close(url) for _ in range(AT_ONCE)))
        failures += [f"run {run}: {message}" for message in got if message != "ok"]
    assert not failures, f"{len(failures)} failed opens in {RUNS} runs: {failures[:2]}"
