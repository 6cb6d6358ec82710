"""The budget holds, measured from outside: worker processes with a RedisRateLimiter
at exactly the rate and burst of a server-side limit get no 429, run after run, and
neither a Redis that loses its state (FLUSHALL) nor one that stalls (SIGSTOP) makes
them burst afterwards.

The fake API runs in the test process; each worker is a real process (worker.py).
The Redis of the FLUSHALL and stall tests is a redis-server of the test's own, so that
it can be flushed and stopped without touching anyone else's keys.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
import redis.asyncio

import smarterproctoring_async as sp
from smarterproctoring_async.redis_limiter import RedisRateLimiter
from smarterproctoring_async.testing import FakeAPI, generate_data

from .._redis_server import free_port, redis_server

WORKER = Path(__file__).with_name("worker.py")
RATE = 50.0  # the server's limit and the workers' rate, requests/s
BURST = 10  # the server's burst and the workers' burst
#: How long a worker may take in all (imports included) before the test gives up.
WORKER_TIMEOUT = 90.0

Spawn = Callable[..., Awaitable[list[asyncio.subprocess.Process]]]


@pytest.fixture
async def fake() -> AsyncIterator[FakeAPI]:
    """The fake API with a server-side limit of RATE requests/s, burst BURST."""
    data = generate_data(seed=4, exams=1, sessions_per_exam=4, events=(0, 0))
    async with FakeAPI(data, rate_limit=RATE, rate_burst=BURST, request_log_size=None) as api:
        yield api


@pytest.fixture
def own_redis() -> Iterator[tuple[str, int]]:
    """A redis-server of this test's own: its URL and process id (to stop it)."""
    with redis_server(free_port()) as url:
        yield url, _pid_listening(url)


def _pid_listening(url: str) -> int:
    import redis as sync_redis

    with sync_redis.Redis.from_url(url) as client:
        return int(client.info("server")["process_id"])


@pytest.fixture
async def spawn(fake: FakeAPI, key: str) -> AsyncIterator[Spawn]:
    """Start workers on one key (options as worker.py's); any still running is killed."""
    started: list[asyncio.subprocess.Process] = []
    session = fake.data.sessions[0]
    env = {**os.environ, "SMARTERPROCTORING_TOKEN": fake.token}

    async def start(count: int, redis_url: str, *options: str) -> list[asyncio.subprocess.Process]:
        args = ["--base-url", fake.base_url, "--redis-url", redis_url, "--key", key]
        args += ["--rate", str(RATE), "--burst", str(BURST), "--install", session.install_sid]
        sessions = ",".join(s.sid for s in fake.data.sessions)
        args += ["--exam", session.exam_sid, "--sessions", sessions, *options]
        pipe = asyncio.subprocess.PIPE
        for _ in range(count):
            started.append(
                await asyncio.create_subprocess_exec(
                    sys.executable, WORKER, *args, env=env, stdin=pipe, stdout=pipe, stderr=pipe
                )
            )
        return started[-count:]

    yield start
    for process in started:
        if process.returncode is None:
            process.kill()
            await process.communicate()


async def tallies(workers: list[asyncio.subprocess.Process]) -> list[dict[str, object]]:
    """What each worker printed last."""
    found = []
    for worker in workers:
        out, err = await asyncio.wait_for(worker.communicate(), WORKER_TIMEOUT)
        lines = out.decode().strip().splitlines()
        assert lines, err.decode()
        found.append(json.loads(lines[-1]))
    return found


async def until(condition: Callable[[], bool]) -> None:
    """Wait until ``condition()`` (on the fake's log, in this process) holds."""
    for _ in range(int(WORKER_TIMEOUT * 100)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"still not so after {WORKER_TIMEOUT:g} s")


@pytest.mark.parametrize("processes", [1, 8])
async def test_no_429_run_after_run_at_exactly_the_servers_rate_and_burst(
    fake: FakeAPI, spawn: Spawn, redis_url: str, processes: int
) -> None:
    runs, per_run = 10, 32 // processes  # a burst of BURST, then about 0.45 s at the rate
    # Long enough for the run, then for both buckets (the key's, the server's) to fill.
    period = (per_run * processes - BURST) / RATE + BURST / RATE + 0.35
    workers = await spawn(
        processes, redis_url, "--requests", str(per_run), "--concurrency", "4",
        "--runs", str(runs), "--period", str(period),
    )  # fmt: skip
    for worker in workers:
        assert worker.stdout is not None
        assert (await asyncio.wait_for(worker.stdout.readline(), WORKER_TIMEOUT)) == b"READY\n"
    start = time.time() + 0.3
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write(f"{start}\n".encode())
        await worker.stdin.drain()
    results = await tallies(workers)
    assert all(t == {"ok": runs * per_run, "errors": []} for t in results), results
    assert fake.requests.by_status[429] == 0, fake.requests.by_status


async def test_after_a_flushall_the_budget_restarts_empty(
    fake: FakeAPI, spawn: Spawn, own_redis: tuple[str, int]
) -> None:
    url, _ = own_redis
    workers = await spawn(4, url, "--requests", "40", "--concurrency", "4")
    await until(lambda: fake.requests.total >= 50)  # past the burst: the server's bucket is empty
    async with redis.asyncio.Redis.from_url(url) as server:
        await server.flushall()
    flushed = time.monotonic()
    results = await tallies(workers)
    assert all(t == {"ok": 40, "errors": []} for t in results), results
    assert fake.requests.by_status[429] == 0, fake.requests.by_status
    assert any(r.start > flushed + 0.5 for r in fake.requests)  # it went on after the flush


async def test_a_stalled_redis_makes_requests_wait_never_burst(
    fake: FakeAPI, spawn: Spawn, own_redis: tuple[str, int]
) -> None:
    url, pid = own_redis
    workers = await spawn(4, url, "--requests", "40", "--concurrency", "4")
    await until(lambda: fake.requests.total >= 50)
    os.kill(pid, signal.SIGSTOP)
    try:
        stopped = time.monotonic()
        await asyncio.sleep(1.0)  # the server's bucket fills up meanwhile: a burst would fit once
    finally:
        os.kill(pid, signal.SIGCONT)
    resumed = time.monotonic()
    results = await tallies(workers)
    assert all(t == {"ok": 40, "errors": []} for t in results), results
    assert fake.requests.by_status[429] == 0, fake.requests.by_status
    # Nothing went out during the stall but what was on its way when it began.
    during = [r for r in fake.requests if stopped + 0.1 < r.start < resumed]
    assert during == []


def test_the_cli_gives_burst_to_the_shared_budget_and_to_a_budget_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from smarterproctoring_async.cli.app import build_parser
    from smarterproctoring_async.cli.budget import SharedBudget
    from smarterproctoring_async.cli.config import make_client

    common = ["sync", "--install", "AI1", "--rate-limit", "5"]
    args = build_parser().parse_args([*common, "--burst", "3", "--redis-url", "redis://h:1/0"])
    limiter = SharedBudget(args, "AI1").limiter
    assert isinstance(limiter, RedisRateLimiter)
    assert (limiter.rate, limiter.burst) == (5.0, 3)
    assert args.burst == 3
    args.token_file, args.redis_url = None, None
    monkeypatch.setenv("SMARTERPROCTORING_TOKEN", "t")
    own = make_client(args).rate_limiter
    assert isinstance(own, sp.RateLimiter)
    assert own.burst == 3
    default = build_parser().parse_args(common)
    assert SharedBudget(default, "AI1").limiter is None and default.burst is None
