"""``python -m smarterproctoring_async.testing --workers N``: one port, one data set."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

import smarterproctoring_async as sp

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="SO_REUSEPORT balancing and /proc: Linux"
)


def _alive(pid: int) -> bool:
    return os.path.exists(f"/proc/{pid}")


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as listed:
        return [int(child) for child in listed.read().split()]


async def test_workers_serve_one_port_with_the_same_data_and_stop_with_the_first() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "smarterproctoring_async.testing", "--workers", "3",
        "--seed", "11", "--sessions-per-exam", "4", "--big-session-events", "120",
        stdout=asyncio.subprocess.PIPE, cwd=ROOT,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        words = (await asyncio.wait_for(process.stdout.readline(), 60)).decode().split()
        assert words[0] == "READY"
        workers = _children(process.pid)
        assert len(workers) == 2
        big = sp.SessionRef(*words[3:6])
        seen: set[tuple[str, ...]] = set()
        # A fresh client (fresh connections) each time, which the kernel spreads over
        # the workers: every one must answer the same records.
        for _ in range(12):
            async with sp.Client(words[2], base_url=words[1], rate_limit=None) as client:
                seen.add(tuple(event.sid for event in await client.session(big).events().collect()))
        assert len(seen) == 1
        assert len(seen.pop()) == 120
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 15)
    # Stopped and reaped by the first process before it exited.
    assert not [pid for pid in workers if _alive(pid)]
