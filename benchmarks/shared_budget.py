"""Shared budget: 1 to 8 processes on one Redis key against a server with the same
rate and burst, and what a lost or stalled Redis does to it.

What it measures
    The fake API runs in its own process with a token bucket of R requests/s and a
    burst of B (``--rate-limit R --rate-burst B``; above it, 429 with ``Retry-After``).
    N worker processes, each with its own Client (8 requests in flight at most), fetch
    session details over and over for D seconds, all starting at the same moment, with
    ``RedisRateLimiter(url, key=..., rate=R, burst=B)`` on one key: exactly the
    server's rate and burst (the README's setup: the default burst is R). The runs of
    a case share one key, whose bucket (like the server's) is full at each start.
    Cases:

    exact N      N = 1, 2, 4, 8 processes, ``--repeat`` runs each (the server's and
                 the key's buckets full at each start: the burst, then the rate);
    local N      a local ``RateLimiter(R, B)`` each (contrast: N budgets of R each);
    FLUSHALL     8 processes; Redis is flushed once, halfway through the run;
    FLUSHALL/2s  8 processes; Redis is flushed every 2 s;
    stall        8 processes; Redis stops answering for 2 s halfway through (SIGSTOP
                 of the redis-server started here, else ``DEBUG SLEEP 2``, which needs
                 ``enable-debug-command``).

    For each case: the 429s the workers got (from the SDK's per-attempt DEBUG lines),
    the runs that got any, the requests that failed, and the combined requests/s
    answered within the D seconds (mean over the runs) and its ratio to R.

Targets
    Every case on one key: zero 429s, no failed request, and >= 0.9 R for "exact".

Run
    python benchmarks/shared_budget.py                   # ~4 min; starts a redis-server
    python benchmarks/shared_budget.py --repeat 20 --duration 3 --cases exact
    python benchmarks/shared_budget.py --redis-url redis://127.0.0.1:6379/0
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from _common import DataSpec, StatusCounter, fake_api, parser, print_table, verdict

import smarterproctoring_async as sp
from smarterproctoring_async.redis_limiter import RedisRateLimiter

PROCESSES = (1, 2, 4, 8)
#: Requests each worker has in flight at most.
CONCURRENCY = 8
#: How long Redis stops answering in the stall case, in seconds.
STALL = 2.0
CASES = ("exact", "local", "flushall", "flushall-every-2s", "stall")


@dataclass(frozen=True)
class Run:
    """What the workers of one run saw, added up."""

    answered: int
    throttled: int
    failed: int
    late: int
    #: Why the case's event (FLUSHALL, stall) could not be done, if it could not.
    event_error: str | None = None


@dataclass(frozen=True)
class Server:
    """The Redis the workers share: its URL, and the process when started here."""

    url: str
    process: subprocess.Popen[bytes] | None


def main() -> None:
    options = arguments()
    if options.worker:
        print(json.dumps(asyncio.run(work(json.loads(options.worker)))), flush=True)
        return
    rate, burst = options.rate, options.burst or max(1, int(options.rate))
    spec = DataSpec(seed=5, exams=4, sessions_per_exam=5)
    sessions = [(s.install_sid, s.exam_sid, s.sid) for s in spec.generate().sessions]
    cases = options.cases.split(",")
    print(
        f"server and clients: {rate:g} requests/s, burst {burst}; server answers 429 with "
        f"Retry-After above it; {options.duration:g} s per run"
    )
    rows, met = [], True
    with contextlib.ExitStack() as stack:
        server = (
            Server(options.redis_url, None)
            if options.redis_url
            else stack.enter_context(redis_server())
        )
        fake = stack.enter_context(
            fake_api(spec, "--rate-limit", str(rate), "--rate-burst", str(burst))
        )

        def case(name: str, processes: int, runs: int, shared: bool, event: Event | None) -> None:
            nonlocal met
            results = []
            # One key for all the runs of a case, its bucket full at each start (a new
            # key starts empty): every run has its burst, then the rate.
            key = f"benchmark:shared-budget:{uuid.uuid4().hex[:8]}"
            if shared:
                asyncio.run(prime(server.url, key, rate, burst))
            for _ in range(runs):
                # Let the server's bucket fill up again, and any Retry-After run out.
                time.sleep(burst / rate + 1.5)
                config = {
                    "base_url": fake.base_url,
                    "redis_url": server.url if shared else None,
                    "key": key,
                    "rate": rate,
                    "burst": burst,
                    "sessions": sessions,
                    "duration": options.duration,
                }
                results.append(run_workers(processes, config, fake.token, server, event))
            throttled = sum(r.throttled for r in results)
            failed = sum(r.failed for r in results)
            per_second = sum(r.answered for r in results) / runs / options.duration
            rows.append(
                (name, processes, runs, throttled, sum(r.throttled > 0 for r in results),
                 failed, per_second, per_second / rate)
            )  # fmt: skip
            late = sum(r.late for r in results)
            if late:
                print(f"note: {name}: {late} worker(s) started after the common start")
            not_done = next((r.event_error for r in results if r.event_error), None)
            if not_done is not None:
                print(f"  [NOT RUN] {name}: its event could not be done ({not_done})")
                met = False
            elif shared:
                target = throttled == 0 and failed == 0
                if name.startswith("exact"):
                    target = target and per_second >= 0.9 * rate
                met = (
                    verdict(
                        f"{name}: {throttled} 429s in {runs} run(s), {failed} failed, "
                        f"{per_second:.1f} requests/s",
                        target,
                    )
                    and met
                )

        for name in cases:
            if name == "exact":
                for n in options.processes:
                    case(f"exact {n}", n, options.repeat, True, None)
            elif name == "local":
                for n in (2, 4):
                    case(f"local {n}", n, 1, False, None)
            elif name == "flushall":
                case("FLUSHALL once", 8, 1, True, Event((0.5,), flushall))
            elif name == "flushall-every-2s":
                at = tuple(t / options.duration for t in range(1, int(options.duration), 2))
                case("FLUSHALL every 2 s", 8, 1, True, Event(at, flushall))
            elif name == "stall":
                case(f"stall {STALL:g} s", 8, 1, True, Event((0.4,), stall))
            else:
                raise SystemExit(f"unknown case {name!r}: one of {', '.join(CASES)}")
    print()
    headers = ["case", "processes", "runs", "429s", "runs w/ 429", "failed", "requests/s", "/ R"]
    print_table(headers, rows)
    print(f"\nall targets met: {met}")


async def prime(url: str, key: str, rate: float, burst: int) -> None:
    """Give ``key`` a state in Redis, which fills up as the workers' buckets would."""
    async with RedisRateLimiter(url, key=key, rate=rate, burst=burst) as limiter:
        await limiter.acquire()


@dataclass(frozen=True)
class Event:
    """Something done to Redis during a run: at these fractions of the run."""

    at: tuple[float, ...]
    action: Callable[[Server], None]


def flushall(server: Server) -> None:
    """Every key of every database gone, as after a restart without persistence."""
    import redis

    with contextlib.closing(redis.Redis.from_url(server.url)) as client:
        client.flushall()


def stall(server: Server) -> None:
    """Redis answers nothing for STALL seconds (commands queue, then run)."""
    if server.process is not None:
        os.kill(server.process.pid, signal.SIGSTOP)
        time.sleep(STALL)
        os.kill(server.process.pid, signal.SIGCONT)
        return
    import redis

    with contextlib.closing(redis.Redis.from_url(server.url)) as client:
        client.execute_command("DEBUG", "SLEEP", str(STALL))


def run_workers(
    processes: int, config: dict[str, object], token: str, server: Server, event: Event | None
) -> Run:
    """Start ``processes`` workers with ``config``; add up what they report."""
    env = {**os.environ, "SMARTERPROCTORING_TOKEN": token}
    command = [sys.executable, os.path.abspath(__file__), "--worker", json.dumps(config)]
    workers = [
        subprocess.Popen(command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for _ in range(processes)
    ]
    # Imports take a while with 8 processes on 2 cores: all start once all are ready.
    for worker in workers:
        assert worker.stdout is not None
        if worker.stdout.readline().strip() != "READY":
            raise RuntimeError("a worker did not start")
    start = time.time() + 0.5
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write(f"{start}\n")
        worker.stdin.flush()
    errors: list[str] = []
    happening = None
    if event is not None:
        duration = float(config["duration"])  # type: ignore[arg-type]
        happening = threading.Thread(target=happen, args=(event, server, start, duration, errors))
        happening.start()
    tallies = []
    for worker in workers:
        out, _ = worker.communicate()
        if worker.returncode:
            raise RuntimeError(f"a worker failed with exit code {worker.returncode}")
        tallies.append(json.loads(out.strip().splitlines()[-1]))
    if happening is not None:
        happening.join()
    return Run(
        answered=sum(t["answered"] for t in tallies),
        throttled=sum(t["throttled"] for t in tallies),
        failed=sum(t["failed"] for t in tallies),
        late=sum(t["late"] for t in tallies),
        event_error=errors[0] if errors else None,
    )


def happen(event: Event, server: Server, start: float, duration: float, errors: list[str]) -> None:
    """Do ``event`` at its moments; a failure is kept in ``errors`` (the case is then not
    what it says: a run without its FLUSHALL or stall must not count as met)."""
    for fraction in event.at:
        time.sleep(max(0.0, start + fraction * duration - time.time()))
        try:
            event.action(server)
        except Exception as exc:  # e.g. DEBUG SLEEP refused by a Redis without the option
            errors.append(f"{type(exc).__name__}: {str(exc)[:160]}")
            return


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
    sessions = config["sessions"]
    answered = failed = 0

    async def keep_asking(client: sp.Client, first: int) -> None:
        nonlocal answered, failed
        at = first
        while True:
            install, exam, sid = sessions[at % len(sessions)]  # type: ignore[index]
            at += 1
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
            print("READY", flush=True)
            start_at = float(await asyncio.to_thread(sys.stdin.readline))
            end = start_at + float(config["duration"])  # type: ignore[arg-type]
            late = int(time.time() > start_at)
            await asyncio.sleep(max(0.0, start_at - time.time()))
            with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
                await asyncio.wait_for(
                    asyncio.gather(*(keep_asking(client, i) for i in range(CONCURRENCY))),
                    max(0.0, end - time.time()),
                )
        if isinstance(limiter, RedisRateLimiter):
            await limiter.aclose()
    return {"answered": answered, "throttled": log.statuses[429], "failed": failed, "late": late}


@contextlib.contextmanager
def redis_server() -> Iterator[Server]:
    """A throwaway redis-server on a free loopback port, no persistence."""
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
            yield Server(f"redis://127.0.0.1:{port}/0", server)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.kill(server.pid, signal.SIGCONT)  # in case a stall was interrupted
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
    cli.add_argument("--rate", type=float, default=20.0, help="R: requests/s (server, clients)")
    cli.add_argument("--burst", type=int, default=0, help="B: burst (server, clients; default R)")
    cli.add_argument("--duration", type=float, default=6.0, help="D: seconds per run")
    cli.add_argument("--repeat", type=int, default=3, help="runs of each exact case")
    cli.add_argument(
        "--processes", type=lambda s: [int(n) for n in s.split(",")], default=list(PROCESSES),
        help="process counts of the exact case (default: 1,2,4,8)",
    )  # fmt: skip
    cli.add_argument("--cases", default=",".join(CASES), help="comma-separated cases")
    cli.add_argument("--redis-url", help="a Redis to use (default: start a redis-server)")
    cli.add_argument("--worker", help=argparse.SUPPRESS)
    return cli.parse_args()


if __name__ == "__main__":
    main()
