"""Shared budget: 1, 2 and 4 processes on one Redis key against a server limit of R/s.

What it measures
    The fake API runs in its own process with a token bucket of R requests/s and a
    burst of B (``--rate-limit R --rate-burst B``; above it, 429 with ``Retry-After``).
    N worker processes (N = 1, 2, 4), each with its own Client (8 requests in flight at
    most), fetch session details over and over for D seconds, all starting at the same
    moment, with
      1. a ``RedisRateLimiter(rate=R, burst=b)`` on one key shared by all of them, then
      2. a local ``RateLimiter(R, b)`` each (the contrast: N budgets of R each).
    b is B - 1 by default: the limiters' own slack covers 5 ms of network jitter at
    20/s, and a process on a busy machine can be later than that; the spare token
    covers it. For each run: the 429s the workers got (from the SDK's per-attempt DEBUG
    lines), the requests answered within the D seconds, combined requests/s (those
    answers / D) and its ratio to R.

Targets
    One Redis key: zero 429s and combined >= 0.9 R (18 requests/s at R = 20) for every N.
    Local limiters: shown for contrast; from N = 2 they send N x R and collect 429s.

Run
    python benchmarks/shared_budget.py           # ~80 s; starts its own redis-server
    python benchmarks/shared_budget.py --redis-url redis://127.0.0.1:6379/0 --duration 5
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from _common import DataSpec, StatusCounter, fake_api, parser, print_table, verdict

import smarterproctoring_async as sp
from smarterproctoring_async.redis_limiter import RedisRateLimiter

PROCESSES = (1, 2, 4)
#: Seconds the workers get to start (imports, connections) before they all begin.
STARTUP = 3.0
#: Requests each worker has in flight at most.
CONCURRENCY = 8


@dataclass(frozen=True)
class Run:
    """What the workers of one run saw, added up."""

    processes: int
    shared: bool
    answered: int
    throttled: int
    failed: int
    late: int

    def per_second(self, duration: float) -> float:
        """Combined requests/s answered within the run."""
        return self.answered / duration


def main() -> None:
    options = arguments()
    if options.worker:
        print(json.dumps(asyncio.run(work(json.loads(options.worker)))), flush=True)
        return
    rate, burst = options.rate, options.burst
    client_burst = options.client_burst or max(1, burst - 1)
    spec = DataSpec(seed=5, exams=4, sessions_per_exam=5)
    sessions = [(s.install_sid, s.exam_sid, s.sid) for s in spec.generate().sessions]
    print(
        f"server: {rate:g} requests/s, burst {burst}, 429 with Retry-After above it; "
        f"clients: rate {rate:g}, burst {client_burst}; {options.duration:g} s per run"
    )
    runs: list[Run] = []
    with contextlib.ExitStack() as stack:
        redis_url = options.redis_url or stack.enter_context(redis_server())
        server_args = ("--rate-limit", str(rate), "--rate-burst", str(burst))
        fake = stack.enter_context(fake_api(spec, *server_args))
        for shared, processes in itertools.product((True, False), PROCESSES):
            # Let the server's bucket fill up again, and any Retry-After run out.
            time.sleep(burst / rate + 1.5)
            config = {
                "base_url": fake.base_url,
                "redis_url": redis_url if shared else None,
                "key": f"benchmark:shared-budget:{uuid.uuid4().hex[:8]}",
                "rate": rate,
                "burst": client_burst,
                "sessions": sessions,
                "start_at": time.time() + STARTUP,
                "duration": options.duration,
            }
            runs.append(run_workers(processes, shared, config, fake.token))

    rows = [
        (
            "one Redis key" if r.shared else "a local limiter each",
            r.processes,
            r.throttled,
            r.failed,
            r.answered,
            r.per_second(options.duration),
            r.per_second(options.duration) / rate,
        )
        for r in runs
    ]
    print()
    headers = ["budget", "processes", "429s", "failed", "answered", "requests/s", "/ R"]
    print_table(headers, rows)
    late = sum(r.late for r in runs)
    if late:
        print(f"\nnote: {late} worker(s) started after the common start (slow machine)")
    print()
    print("targets:")
    for r in runs:
        if r.shared:
            achieved = r.per_second(options.duration)
            verdict(
                f"{r.processes} process(es) on one key: {r.throttled} 429s (target 0), "
                f"{achieved:.1f} requests/s (target >= {0.9 * rate:g})",
                r.throttled == 0 and r.failed == 0 and achieved >= 0.9 * rate,
            )
    contrast = ", ".join(f"{r.processes}: {r.throttled}" for r in runs if not r.shared)
    print(f"  (contrast, 429s with a local limiter per process: {contrast})")


def run_workers(processes: int, shared: bool, config: dict[str, object], token: str) -> Run:
    """Start ``processes`` workers with ``config``; add up what they report."""
    env = {**os.environ, "SMARTERPROCTORING_TOKEN": token}
    command = [sys.executable, os.path.abspath(__file__), "--worker", json.dumps(config)]
    workers = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(processes)
    ]
    tallies = []
    for worker in workers:
        out, _ = worker.communicate()
        if worker.returncode:
            raise RuntimeError(f"a worker failed with exit code {worker.returncode}")
        tallies.append(json.loads(out.strip().splitlines()[-1]))
    return Run(
        processes=processes,
        shared=shared,
        answered=sum(t["answered"] for t in tallies),
        throttled=sum(t["throttled"] for t in tallies),
        failed=sum(t["failed"] for t in tallies),
        late=sum(t["late"] for t in tallies),
    )


async def work(config: dict[str, object]) -> dict[str, int]:
    """One worker: its own client and limiter; requests until the run's end."""
    rate, burst = float(config["rate"]), int(config["burst"])  # type: ignore[arg-type]
    limiter: sp.RateLimiter | RedisRateLimiter
    if config["redis_url"]:
        limiter = RedisRateLimiter(
            str(config["redis_url"]), key=str(config["key"]), rate=rate, burst=burst
        )
    else:
        limiter = sp.RateLimiter(rate, burst)
    start_at = float(config["start_at"])  # type: ignore[arg-type]
    end = start_at + float(config["duration"])  # type: ignore[arg-type]
    sessions = itertools.cycle(config["sessions"])  # type: ignore[call-overload]
    answered = failed = 0

    async def keep_asking(client: sp.Client) -> None:
        nonlocal answered, failed
        for install, exam, sid in sessions:
            try:
                await client.install(install).exam(exam).session(sid).get()
            except sp.SmarterProctoringError:
                failed += 1
                continue
            if time.time() <= end:
                answered += 1

    with StatusCounter() as log:
        client = sp.Client(
            base_url=str(config["base_url"]), rate_limiter=limiter, max_concurrency=CONCURRENCY
        )
        async with client:
            late = int(time.time() > start_at)
            await asyncio.sleep(max(0.0, start_at - time.time()))
            with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
                await asyncio.wait_for(
                    asyncio.gather(*(keep_asking(client) for _ in range(CONCURRENCY))),
                    max(0.0, end - time.time()),
                )
        if isinstance(limiter, RedisRateLimiter):
            await limiter.aclose()
    return {"answered": answered, "throttled": log.statuses[429], "failed": failed, "late": late}


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """A throwaway redis-server on a free loopback port, no persistence; its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("no redis-server on PATH: install it, or pass --redis-url")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory(prefix="sp-bench-redis-") as directory:
        command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "no", "--dir", directory, "--daemonize", "no"]
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        try:
            for _ in range(500):
                if answers_ping(port):
                    break
                time.sleep(0.02)
            else:
                raise RuntimeError("redis-server did not answer PING")
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            server.terminate()
            server.wait(5)


def answers_ping(port: int) -> bool:
    """Whether a Redis server on the loopback ``port`` answers PING."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def arguments() -> argparse.Namespace:
    """The command line."""
    cli = parser(__doc__)
    cli.add_argument("--rate", type=float, default=20.0, help="R: server requests/s")
    cli.add_argument("--burst", type=int, default=5, help="B: server burst")
    cli.add_argument("--client-burst", type=int, default=0, help="b: the limiters' burst (B-1)")
    cli.add_argument("--duration", type=float, default=8.0, help="D: seconds per run")
    cli.add_argument("--redis-url", help="a Redis to use (default: start a redis-server)")
    cli.add_argument("--worker", help=argparse.SUPPRESS)
    return cli.parse_args()


if __name__ == "__main__":
    main()
