"""The sync lock: one sync per install (or shard) and store, across processes."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import anyio
import pytest

import smarterproctoring_async as sp

INSTALL = "AI" + "1" * 32
OTHER = "AI" + "2" * 32
ROOT = Path(__file__).resolve().parents[2]


async def busy(store: sp.Store, install: str, shard: tuple[int, int] | None) -> str | None:
    """The StoreBusyError message if the lock cannot be taken at once, else None."""
    try:
        async with store.lock(install, shard=shard, wait=0):
            return None
    except sp.StoreBusyError as error:
        return str(error)


async def test_a_held_lock_makes_the_second_wait_then_refuse(store_url: str) -> None:
    async with sp.Store(store_url) as first, sp.Store(store_url) as second:
        async with first.lock(INSTALL):
            started = time.monotonic()
            with pytest.raises(sp.StoreBusyError) as caught:
                async with second.lock(INSTALL, wait=0.6):
                    raise AssertionError("two holders")
            waited = time.monotonic() - started
            assert 0.6 <= waited < 3.0
            message = str(caught.value)
            assert INSTALL in message and second.url in message and "\n" not in message
            assert caught.value.install_sid == INSTALL and caught.value.shard is None
            assert isinstance(caught.value, sp.StoreError)
        async with second.lock(INSTALL, wait=0):  # released on exit
            pass


async def test_a_waiting_lock_is_taken_when_released(store_url: str) -> None:
    async with sp.Store(store_url) as first, sp.Store(store_url) as second:
        taken_at: list[float] = []

        async def wait_for_it() -> None:
            async with second.lock(INSTALL, wait=10):
                taken_at.append(time.monotonic())

        async with anyio.create_task_group() as group, first.lock(INSTALL):
            group.start_soon(wait_for_it)
            await anyio.sleep(0.5)
            assert taken_at == []
            released = time.monotonic()
        assert taken_at and taken_at[0] - released < 1.0


async def test_shards_exclude_only_themselves_and_the_whole_install(store_url: str) -> None:
    async with sp.Store(store_url) as first, sp.Store(store_url) as second:
        async with first.lock(INSTALL, shard=(1, 4)):
            assert await busy(second, INSTALL, (2, 4)) is None
            assert await busy(second, OTHER, None) is None
            assert "shard 1/4" in (await busy(second, INSTALL, (1, 4)) or "")
            assert await busy(second, INSTALL, None) is not None
            async with second.lock(INSTALL, shard=(3, 4)):
                assert await busy(first, INSTALL, (3, 4)) is not None
        async with first.lock(INSTALL):
            assert await busy(second, INSTALL, (2, 4)) is not None
            assert await busy(second, INSTALL, None) is not None
        assert await busy(second, INSTALL, None) is None


async def test_the_store_is_read_and_written_while_a_lock_is_held(
    store_url: str, results: list[sp.SessionResult]
) -> None:
    holder, other = sp.Store(store_url), sp.Store(store_url)
    async with holder, other, holder.lock(INSTALL):
        await other.save(results[0], version="v", run_id=1)
        await holder.save(results[1], version="v", run_id=1)
        assert (await other.counts())["sessions"] == 2


@contextmanager
def holder_process(store_url: str, *args: str) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.store._holder", store_url, INSTALL, *args],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "locked"
        yield process
    finally:
        process.kill()
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()


@pytest.mark.parametrize("shard", [None, "2/3"])
async def test_a_killed_holder_releases_the_lock(store_url: str, shard: str | None) -> None:
    parsed = None if shard is None else (2, 3)
    async with sp.Store(store_url) as store:
        with holder_process(store_url, *([shard] if shard else [])) as process:
            assert await busy(store, INSTALL, parsed) is not None
            process.send_signal(signal.SIGKILL)
            process.wait(10)
            # The server notices the dead connection (PostgreSQL), the OS the dead
            # process's file locks (SQLite).
            async with store.lock(INSTALL, shard=parsed, wait=10):
                pass


async def test_bad_lock_arguments(store: sp.Store) -> None:
    for kwargs in ({"shard": (0, 4)}, {"shard": (5, 4)}, {"shard": (1,)}, {"wait": -1.0}):
        with pytest.raises(ValueError, match=r"shard|wait"):
            store.lock(INSTALL, **kwargs)
    with pytest.raises(ValueError, match="install_sid"):
        store.lock("")


async def test_a_cancelled_holder_still_releases_the_lock(store_url: str) -> None:
    async with sp.Store(store_url) as first, sp.Store(store_url) as second:
        with anyio.move_on_after(0.2) as scope:
            async with first.lock(INSTALL):
                await anyio.sleep(5)
        assert scope.cancelled_caught
        assert await busy(second, INSTALL, None) is None


@pytest.mark.parametrize("shard", [None, (1, 2)])
async def test_a_lock_file_busy_for_a_moment_is_taken_with_no_wait(
    tmp_path: Path, shard: tuple[int, int] | None
) -> None:
    # Two syncs starting at once each pass through a SHARED lock of the lock file on
    # their way to EXCLUSIVE: each must not take the other's passing lock for a holder
    # (both refused, the store synced by nobody: seen in CI).
    url = f"sqlite:///{tmp_path / 'store.db'}"
    async with sp.Store(url) as store:
        async with store.lock(INSTALL, shard=shard, wait=0):
            pass  # creates the lock files
        folder = tmp_path / "store.db-sync.lock"
        (install_file,) = [path for path in folder.iterdir() if "-" not in path.name]
        passing = sqlite3.connect(install_file, isolation_level=None, check_same_thread=False)
        # Another whole-install attempt's passing lock: it excludes a shard's SHARED
        # as well as the whole install's EXCLUSIVE.
        passing.execute("BEGIN EXCLUSIVE")
        timer = threading.Timer(0.05, passing.rollback)
        timer.start()
        try:
            async with store.lock(INSTALL, shard=shard, wait=0):
                pass
        finally:
            timer.join()
            passing.close()
