"""A sync into a SQLite store on a disk that fills up: a clear error, no half-stored
session, and once there is room again a rerun completes the store exactly (issue 18).

The disk is a small tmpfs mounted for the test (a real ENOSPC, SQLite's "database or
disk is full"), sized at 40 % of what the whole store takes, measured first. Where
mounting is refused (not root, no CAP_SYS_ADMIN), the worker's files may not grow past
that size instead (RLIMIT_FSIZE: writes fail with EFBIG), which SQLite sees the same way:
a write that fails in the middle of a transaction. ``SP_TEST_NO_TMPFS=1`` forces that
fallback (to test it where mounting works).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from smarterproctoring_async.testing import FakeAPI, generate_data

from ._procs import Workers
from ._records import assert_all_or_nothing, assert_exact, expected, snapshot

pytestmark = pytest.mark.slow

#: The small disk's size, as a fraction of the whole store's.
FRACTION = 0.4


@pytest.fixture
async def disk_fake() -> AsyncIterator[FakeAPI]:
    """130 terminal sessions (2,664 events, 404 annotations), no latency."""
    data = generate_data(seed=18, exams=4, sessions_per_exam=40, events=(0, 40), annotations=(0, 6))
    async with FakeAPI(data) as fake:
        yield fake


@contextlib.contextmanager
def small_tmpfs(directory: Path, size: int) -> Iterator[Callable[[], None] | None]:
    """A tmpfs of ``size`` bytes mounted on ``directory``; a function that makes it 64 MiB.
    None when mounting is refused (the directory is then a plain one)."""
    directory.mkdir()
    if os.environ.get("SP_TEST_NO_TMPFS") == "1":
        yield None
        return
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(directory)],
            capture_output=True, check=False,
        )  # fmt: skip
    except FileNotFoundError:  # no mount(8)
        yield None
        return
    if done.returncode != 0:
        yield None
        return

    def make_room() -> None:
        subprocess.run(["mount", "-o", "remount,size=64m", str(directory)], check=True)

    try:
        yield make_room
    finally:
        if subprocess.run(["umount", str(directory)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(directory)], check=False)


def store_bytes(directory: Path, name: str) -> int:
    """Bytes of a SQLite store's files (database, WAL, shared memory, lock)."""
    return sum(p.stat().st_size for p in directory.glob(f"{name}*"))


async def test_sqlite_disk_full_then_room_again(disk_fake: FakeAPI, tmp_path: Path) -> None:
    fake = disk_fake
    install = str(fake.data.installs[0]["sid"])
    want = expected(fake.data, install)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    whole_url = f"sqlite:///{scratch / 'whole.db'}"
    async with Workers(fake.base_url, fake.token, install, whole_url, tmp_path) as pool:
        measured = await pool.run()
    assert measured.ok, measured.stderr
    size = int(store_bytes(scratch, "whole.db") * FRACTION)

    disk = tmp_path / "disk"
    url = f"sqlite:///{disk / 'store.db'}"
    with small_tmpfs(disk, size) as make_room:
        limit = [] if make_room else ["--fsize-limit", str(size)]
        async with Workers(fake.base_url, fake.token, install, url, tmp_path) as pool:
            full = await pool.run(*limit)
            # A clear error: the store's, one line, naming the store and the reason.
            assert full.code == 2, (full.code, full.result, full.stderr)
            assert full.result is not None and full.result["error"] == "StoreError"
            message = full.result["message"]
            assert "\n" not in message and "store.db" in message, message
            if make_room:
                assert "full" in message, message
            assert "Traceback" not in full.stderr, full.stderr
            # Nothing half-stored: every session held is complete; some made it.
            held = await asyncio.to_thread(snapshot, url)
            assert_all_or_nothing(held, want)
            assert 0 < len(held.sessions) < len(want.sessions), len(held.sessions)

            if make_room:  # else the next worker runs without the file size limit
                make_room()
            again = await pool.run()
        assert again.ok, again.stderr
        assert again.result is not None
        assert (again.result["stored"], again.result["unchanged"]) == (
            len(want.sessions) - len(held.sessions),
            len(held.sessions),
        )
        assert_exact(await asyncio.to_thread(snapshot, url), want)
    print(f"disk of {size} bytes ({'tmpfs' if make_room else 'RLIMIT_FSIZE'}): {message}")
