"""Four worker processes, each with its own Client and RedisRateLimiter on one key,
against one fake API with a server-side limit: one budget, one pause, no dead holder.

The fake runs in the test process (its request log is read directly: request times are
this process's ``time.monotonic()``); each worker fetches the sessions of its own exam,
so a request's path tells which worker sent it.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from smarterproctoring_async.testing import FakeAPI, Fault, RequestRecord, generate_data

WORKER = Path(__file__).with_name("worker.py")
RATE = 20.0  # the server's limit, requests/s, and the workers' rate
BURST = 5  # the server's burst
# The workers' burst leaves one of the server's tokens to the jitter of busy processes:
# the limiter's own slack covers 5 ms at 20 requests/s, and a request of a process just
# started, or woken late on a loaded machine, can take longer to reach the server.
CLIENT_BURST = BURST - 1
WORKERS = 4
#: How long a worker may take in all (imports included) before the test gives up.
WORKER_TIMEOUT = 60.0


@dataclass
class Worker:
    """A running worker: its process and the exam whose sessions it fetches."""

    process: asyncio.subprocess.Process
    exam: str

    def sent(self, record: RequestRecord) -> bool:
        """Whether this worker sent the request ``record``."""
        return f"/{self.exam}/" in record.path

    async def result(self) -> tuple[dict[str, object], str]:
        """The worker's tally (empty if it died) and its stderr."""
        out, err = await asyncio.wait_for(self.process.communicate(), WORKER_TIMEOUT)
        lines = out.decode().strip().splitlines()
        return (json.loads(lines[-1]) if lines else {}), err.decode()


@pytest.fixture
async def fake() -> AsyncIterator[FakeAPI]:
    """The fake API with a server-side limit of RATE requests/s, burst BURST."""
    data = generate_data(seed=3, exams=WORKERS, sessions_per_exam=3, events=(0, 0))
    async with FakeAPI(data, rate_limit=RATE, rate_burst=BURST, request_log_size=None) as api:
        yield api


Start = Callable[[int], Awaitable[list[Worker]]]


@pytest.fixture
async def start_workers(fake: FakeAPI, redis_url: str, key: str) -> AsyncIterator[Start]:
    """Start WORKERS workers, ``requests`` each, on one key; any still running is killed
    at the end."""
    started: list[Worker] = []
    env = {**os.environ, "SMARTERPROCTORING_TOKEN": fake.token}
    exams: dict[tuple[str, str], list[str]] = {}
    for session in fake.data.sessions:
        exams.setdefault((session.install_sid, session.exam_sid), []).append(session.sid)

    async def start(requests: int) -> list[Worker]:
        for (install, exam), sessions in list(exams.items())[:WORKERS]:
            args = ["--base-url", fake.base_url, "--redis-url", redis_url, "--key", key]
            args += ["--rate", str(RATE), "--burst", str(CLIENT_BURST), "--install", install]
            args += ["--exam", exam, "--sessions", ",".join(sessions)]
            args += ["--requests", str(requests)]
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                str(WORKER),
                *args,
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            started.append(Worker(process, exam))
        return list(started)

    yield start
    for worker in started:
        if worker.process.returncode is None:
            worker.process.kill()
            await worker.process.communicate()


async def finish(workers: list[Worker], token: str) -> list[dict[str, object]]:
    """Every worker's tally; checks that none logged the token."""
    tallies = []
    for worker in workers:
        tally, err = await worker.result()
        assert token not in err
        tallies.append(tally)
    return tallies


def steady_rate(records: list[RequestRecord], burst: int = BURST) -> float:
    """Requests/s at the server, ``burst`` requests left out (a burst is free, not a rate)."""
    starts = sorted(r.start for r in records)
    return (len(starts) - burst) / (starts[-1] - starts[0])


async def until(condition: Callable[[], bool]) -> None:
    """Wait until ``condition()`` (on the fake's log, in this process) holds."""
    for _ in range(int(WORKER_TIMEOUT * 100)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"still not so after {WORKER_TIMEOUT:g} s")


async def test_four_processes_share_the_budget(fake: FakeAPI, start_workers: Start) -> None:
    per_worker = 20
    tallies = await finish(await start_workers(per_worker), fake.token)
    assert all(t == {"ok": per_worker, "errors": []} for t in tallies), tallies
    records = list(fake.requests)
    assert fake.requests.by_status[429] == 0
    assert len(records) == WORKERS * per_worker
    assert steady_rate(records) >= 0.9 * RATE


async def test_a_429_seen_by_one_process_pauses_all(fake: FakeAPI, start_workers: Start) -> None:
    pause = 2.0
    workers = await start_workers(12)
    await until(lambda: fake.requests.total >= 12)
    fake.add_fault(Fault("status", status=429, retry_after=pause))
    await until(lambda: fake.requests.by_fault["status"] == 1)
    tallies = await finish(workers, fake.token)
    assert all(t["ok"] == 12 and not t["errors"] for t in tallies), tallies
    records = list(fake.requests)
    (refused,) = [r for r in records if r.fault == "status"]
    # One worker got the 429; none (that one included) sent anything during its pause,
    # but for requests already on their way when it came.
    assert sum(worker.sent(refused) for worker in workers) == 1
    during = [r for r in records if refused.end + 0.1 < r.start < refused.end + pause - 0.1]
    assert during == []
    assert any(r.start >= refused.end + pause - 0.1 for r in records)  # and they went on
    assert fake.requests.by_status[429] == 1  # no other 429: not even after the pause


async def test_killing_one_process_leaves_the_budget_to_the_others(
    fake: FakeAPI, start_workers: Start
) -> None:
    per_worker = 25
    workers = await start_workers(per_worker)
    victim, *others = workers
    await until(lambda: sum(map(victim.sent, list(fake.requests))) >= 8)
    victim.process.kill()
    await victim.process.wait()
    killed_at = time.monotonic()
    tallies = await finish(others, fake.token)
    assert all(t == {"ok": per_worker, "errors": []} for t in tallies), tallies
    assert fake.requests.by_status[429] == 0
    # Past the slots the dead worker had booked, the others get the whole rate.
    after = [r for r in fake.requests if r.start > killed_at + 0.5]
    assert len(after) >= 20
    assert steady_rate(after, burst=1) >= 0.8 * RATE
