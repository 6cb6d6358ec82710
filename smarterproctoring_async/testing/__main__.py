"""Run the fake API in the foreground: ``python -m smarterproctoring_async.testing``.

Once listening, prints ``READY <base_url> <token>`` (followed by the install, exam and
session SIDs of the big session when ``--big-session-events`` is given) on one line, then
one line of JSON with SIDs to try: the base URL, the token, the environment variables a
client reads, and per install its exams and one session of each status (with its event
and annotation counts). It runs until SIGTERM or SIGINT. Nothing else goes to standard
output, so a program can read the first line, or the first two. The options set the
FakeAPI's knobs of the same names (``--help`` lists them).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import signal
import sys
from collections.abc import Sequence

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
    return parser.parse_args(argv)


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
    fake = build_fake(options, data)
    async with fake:
        sys.stdout.write(f"READY {fake.base_url} {fake.token}{extra}\n")
        sys.stdout.write(json.dumps(summary(fake.base_url, fake.token, data, big)) + "\n")
        sys.stdout.flush()
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point."""
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
