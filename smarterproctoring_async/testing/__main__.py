"""Run the fake API in the foreground: ``python -m smarterproctoring_async.testing``.

Once listening, prints ``READY <base_url> <token>`` (followed by the install, exam and
session SIDs of the big session when ``--big-session-events`` is given) on one line, then
one line of JSON with SIDs to try: the base URL, the token, the environment variables a
client reads, and per install its exams and one session of each status (with its event
and annotation counts). It runs until SIGTERM or SIGINT. Nothing else goes to standard
output, so a program can read the first line, or the first two. The options set the
FakeAPI's knobs of the same names (``--help`` lists them).

``--workers N`` serves from N processes listening on one port (``SO_REUSEPORT``, which
Linux balances across them), so that a benchmark at high concurrency measures the
client rather than one server process. Each worker generates the data from the same
seed and options, and the first checks that every other one serves the same SIDs
before it prints ``READY``. Each has its own request log, faults, token clock and rate
limit bucket: workers are for throughput, not for testing those.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from urllib.parse import urlsplit

from .data import FakeData, generate_data
from .server import FakeAPI
from .server.errors import ERROR_STYLES
from .server.tokens import DEFAULT_TTL
from .summary import summary


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line options."""
    parser = argparse.ArgumentParser(
        prog="python -m smarterproctoring_async.testing",
        description="Run the fake API in the foreground until SIGTERM or SIGINT.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: picked by the OS")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--installs", type=int, default=1)
    parser.add_argument("--exams", type=int, default=3, help="exams per install")
    parser.add_argument("--sessions-per-exam", type=int, default=10)
    parser.add_argument("--events", type=int, nargs=2, default=(0, 300), metavar=("MIN", "MAX"))
    parser.add_argument("--annotations", type=int, nargs=2, default=(0, 20), metavar=("MIN", "MAX"))
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    parser.add_argument("--page-cap", type=int, default=None)
    parser.add_argument("--max-limit", type=int, default=None, help="answer 400 to a larger limit")
    parser.add_argument("--rate-limit", type=float, default=None, help="requests per second")
    parser.add_argument("--rate-burst", type=int, default=1)
    parser.add_argument("--token", default="test-token")
    parser.add_argument(
        "--error-style", choices=ERROR_STYLES, default="framework",
        help="framework: the maker's hapi/Boom and numeric-code bodies (default); "
        "named: {status, code, message} with the guide's code names",
    )  # fmt: skip
    parser.add_argument(
        "--token-ttl", type=int, default=DEFAULT_TTL, metavar="SECONDS",
        help="the token's time to live (-1: never expires, -2: already gone)",
    )  # fmt: skip
    parser.add_argument(
        "--denied-sid", action="append", default=[], metavar="SID",
        help="a SID outside the token's scope: answers 401 (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--limit-refusal", default=None, metavar="MESSAGE",
        help="the message refusing a limit over --max-limit ({max_limit} is replaced)",
    )  # fmt: skip
    parser.add_argument(
        "--total-overcount", type=int, default=0, metavar="N",
        help="added to every list's total (a COUNT that overcounts)",
    )  # fmt: skip
    parser.add_argument(
        "--grouped-results", action="store_true",
        help="lists taking groupBy answer results keyed by group date",
    )  # fmt: skip
    # Nothing outside this process can read the log, so by default it keeps no records.
    parser.add_argument(
        "--request-log", type=int, default=0, metavar="N",
        help="requests kept in full in the in-process log (default 0: none)",
    )  # fmt: skip
    parser.add_argument(
        "--big-session-events", type=int, default=None, metavar="N",
        help="add one Closed session with N generated events and print its SIDs",
    )  # fmt: skip
    parser.add_argument(
        "--workers", type=int, default=1, metavar="N",
        help="processes serving one port with SO_REUSEPORT (Linux), same data in each",
    )  # fmt: skip
    # Set by the first process on the ones it starts: join its port, and stop when it
    # goes away (its end of our standard input closes), however it ended.
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.workers < 1:
        parser.error("--workers must be at least 1")
    return options


def build_fake(options: argparse.Namespace, data: FakeData) -> FakeAPI:
    """The FakeAPI the options describe, serving ``data`` (not started)."""
    return FakeAPI(
        data,
        token=options.token,
        error_style=options.error_style,
        token_ttl=options.token_ttl,
        denied_sids=options.denied_sid,
        limit_refusal=options.limit_refusal,
        total_overcount=options.total_overcount,
        grouped_results=options.grouped_results,
        latency=options.latency,
        page_cap=options.page_cap,
        max_limit=options.max_limit,
        rate_limit=options.rate_limit,
        rate_burst=options.rate_burst,
        host=options.host,
        port=options.port,
        request_log_size=options.request_log,
        reuse_port=options.workers > 1 or options.worker,
    )


async def serve(options: argparse.Namespace) -> None:
    """Serve until SIGTERM or SIGINT."""
    data = generate_data(
        seed=options.seed,
        installs=options.installs,
        exams=options.exams,
        sessions_per_exam=options.sessions_per_exam,
        events=tuple(options.events),
        annotations=tuple(options.annotations),
    )
    extra, big = "", None
    if options.big_session_events is not None:
        big = data.add_session(events=options.big_session_events)
        extra = f" {big.install_sid} {big.exam_sid} {big.sid}"
    # The data set is millions of long-lived objects: keep the cyclic GC from walking them
    # again and again while requests are served.
    gc.freeze()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    if options.worker:
        threading.Thread(target=_stop_at_eof, args=(loop, stop), daemon=True).start()
    fake = build_fake(options, data)
    async with fake:
        ready = f"READY {fake.base_url} {fake.token}{extra}\n"
        described = json.dumps(summary(fake.base_url, fake.token, data, big)) + "\n"
        port = urlsplit(fake.base_url).port or 0
        workers = _start_workers(options, port, ready + described)
        try:
            sys.stdout.write(ready + described)
            sys.stdout.flush()
            await stop.wait()
        finally:
            _stop_workers(workers)


def _start_workers(
    options: argparse.Namespace, port: int, expected: str
) -> list[subprocess.Popen[str]]:
    """Start the other ``--workers - 1`` processes on ``port``; each must say ``expected``
    (the same READY and SIDs: the same data), or none is kept."""
    command = [sys.executable, "-m", "smarterproctoring_async.testing", *options.argv]
    command += ["--port", str(port), "--workers", "1", "--worker"]
    workers: list[subprocess.Popen[str]] = []
    try:
        for _ in range(options.workers - 1):
            workers.append(
                subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            )
        for worker in workers:
            assert worker.stdout is not None
            said = worker.stdout.readline() + worker.stdout.readline()
            if said != expected:
                raise SystemExit(f"a worker did not start with the same data: {said[:200]!r}")
    except BaseException:
        _stop_workers(workers)
        raise
    return workers


def _stop_workers(workers: list[subprocess.Popen[str]]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(5)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        for pipe in (worker.stdin, worker.stdout):
            if pipe is not None:
                pipe.close()


def _stop_at_eof(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    sys.stdin.read()  # returns once the first process is gone
    loop.call_soon_threadsafe(stop.set)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point."""
    options = parse_args(argv)
    options.argv = list(sys.argv[1:] if argv is None else argv)
    asyncio.run(serve(options))


if __name__ == "__main__":
    main()
