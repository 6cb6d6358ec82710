"""``demo``: the main job, ``sync``, against the embedded fake API, with faults, timed.

A generated install of about 2,000 sessions is served on 127.0.0.1 with some latency,
while a background task arms an occasional fault (503, connection reset, HTML 502,
429 with ``Retry-After``). Every closed session is synced into a SQLite store (a
temporary file unless ``--to`` names one) in one call, ``client.sync`` (the
appointments report read once, each exam's events through its exam-level list where
that is cheaper, one transaction per session), with a progress display. The summary
compares it with the guide's own loop (one session at a time, one page at a time,
``offset += limit``) timed on a small sample in the same run, and ends with what the
store holds, read back from it.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import logging
import random
import tempfile
import time
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

from .config import positive_float, positive_int
from .errors import EXIT_FAILED, EXIT_OK
from .helptext import DEMO_EPILOG
from .progress import Progress
from .stores import STORE_HELP, open_store

if TYPE_CHECKING:
    from .. import SessionRef, Store, SyncSummary
    from ..testing import FakeAPI

__all__ = ["add_demo_command", "run_demo"]

DEMO_RATE = 1000.0  # requests/s: the demo's budget (the fake has no limit of its own)
DEFAULT_RATE = 10.0  # what Client() uses unless told otherwise
SAMPLE = 12  # sessions timed with the guide's sequential loop
RATE_LIMITED = 3  # injected 429s at most
GUIDE_LIMIT = 25  # the guide's example page size
_SESSION = "/v1/installs/{installSid}/exams/{examSid}/sessions/{sessionSid}"


class _Attempts(logging.Handler):
    """Counts the client's attempts from its DEBUG lines: retries and 429 answers."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.retries = 0
        self.rate_limited = 0

    def emit(self, record: logging.LogRecord) -> None:
        # The transport's line: method, path, query, outcome, attempt, elapsed, wait.
        args = record.args
        if isinstance(args, tuple) and len(args) == 7:
            self.retries += isinstance(args[4], int) and args[4] > 1
            self.rate_limited += args[3] == 429


async def _inject_faults(fake: FakeAPI, rng: random.Random, every: float) -> None:
    """Arm a fault every ``every`` seconds; one in ten is a 429, at most ``RATE_LIMITED``.

    A 429 pauses the whole client and halves its rate for a while (it cannot know
    how far over the server's budget it is), so a few are shown, not a storm.
    """
    from ..testing import Fault

    faults = (
        Fault("status", status=503),
        Fault("reset"),
        Fault("html", status=502),
    )
    left = RATE_LIMITED
    while True:
        await asyncio.sleep(every)
        if left and rng.random() < 0.1:
            left -= 1
            fake.add_fault(Fault("status", status=429, retry_after=0.2))
        else:
            fake.add_fault(rng.choice(faults))


def _guide_loop(base_url: str, token: str, refs: list[SessionRef]) -> float:
    """The guide's sequential sync of ``refs`` over one keep-alive connection; seconds.

    Plain ``http.client``: the guide's loop is a bare fetch loop, not this SDK.
    """
    host, port = base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    started = time.perf_counter()
    try:
        for ref in refs:
            path = f"/v1/installs/{ref.install_sid}/exams/{ref.exam_sid}/sessions/{ref.session_sid}"
            _get(connection, token, path)
            for tail in ("/events", "/annotations"):
                offset = 0
                while True:
                    page = _get(
                        connection, token, f"{path}{tail}?offset={offset}&limit={GUIDE_LIMIT}"
                    )
                    if not isinstance(page, dict) or not page.get("results"):
                        break
                    offset += GUIDE_LIMIT
    finally:
        connection.close()
    return time.perf_counter() - started


def _get(connection: http.client.HTTPConnection, token: str, path: str) -> Any:
    connection.request("GET", path, headers={"token": token})
    with connection.getresponse() as response:
        return json.loads(response.read())


async def run_demo(args: argparse.Namespace) -> int:
    """Run the demo; 1 if some sessions failed."""
    # Here, not at the top: building the parser (``--help``) must not load the client
    # (aiohttp) or the fake.
    from .. import Client, RetryPolicy, SessionRef
    from ..testing import FakeAPI, generate_data

    with ExitStack() as cleanup:
        url = args.to
        if url is None:  # a temporary store, gone with the demo
            folder = cleanup.enter_context(tempfile.TemporaryDirectory(prefix="sp-demo-"))
            url = f"sqlite:///{folder}/demo.db"
        store = open_store(url, "--to")  # the store extra missing: exit 2 before any work
        exams = max(1, min(8, args.sessions // 250))
        per_exam = -(-args.sessions // exams)
        data = generate_data(seed=7, exams=exams, sessions_per_exam=per_exam, events=(0, 60),
                             annotations=(0, 8))  # fmt: skip
        install_sid = str(data.installs[0]["sid"])
        if args.sessions < 10:  # too few to hold every status: make them all closed
            for session in data.sessions:
                data.set_status(session.sid, "Closed", 1736150400000)
        closed = sum(1 for s in data.sessions if s.status == "Closed")
        async with FakeAPI(data, latency=args.latency) as fake:
            print(
                f"fake SmarterProctoring API on {fake.base_url}: {len(data.sessions)} sessions "
                f"({closed} closed) in {exams} exam(s), {args.latency * 1000:.0f} ms latency"
            )
            retry = RetryPolicy(base_delay=0.05, max_delay=0.5)
            async with (
                Client(fake.token, base_url=fake.base_url, rate_limit=DEMO_RATE,
                       retry=retry) as client,
                store,
            ):  # fmt: skip
                sample = [s for s in data.sessions if s.status == "Closed"][:SAMPLE]
                refs = [SessionRef(s.install_sid, s.exam_sid, s.sid) for s in sample]
                sequential = await asyncio.to_thread(_guide_loop, fake.base_url, fake.token, refs)
                fake.clear_requests()
                counter = _Attempts()
                started = time.perf_counter()
                summary = await _sync(client, install_sid, store, fake, counter)
                elapsed = time.perf_counter() - started
                requests = fake.requests.total
                held = await _held(store)
    bulk_each = elapsed / max(1, summary.stored)
    guide_each = sequential / max(1, len(refs))
    print(f"synced {summary.stored} closed sessions: {summary.events} events, "
          f"{summary.annotations} annotations"
          + (f", {summary.failed} failed" if summary.failed else ""))  # fmt: skip
    print(
        f"{requests} requests ({counter.retries} retries, {counter.rate_limited} answered 429) "
        f"in {elapsed:.2f} s: {requests / elapsed:.0f} requests/s, within the demo's budget "
        f"of {DEMO_RATE:,.0f} requests/s (Client() defaults to {DEFAULT_RATE:g} requests/s, "
        "which a real integration should keep unless SmarterProctoring allows more)"
    )
    print(
        f"the guide's sequential loop (one session at a time, offset += {GUIDE_LIMIT}) took "
        f"{guide_each * 1000:.0f} ms a session on {len(refs)} sessions; this run "
        f"{bulk_each * 1000:.1f} ms: {guide_each / bulk_each:.0f}x faster"
    )
    print(f"the store ({'a temporary file' if args.to is None else store.url}) now holds: {held}")
    return EXIT_FAILED if summary.failed else EXIT_OK


async def _sync(
    client: Any, install_sid: str, store: Store, fake: FakeAPI, counter: _Attempts
) -> SyncSummary:
    """``client.sync`` of the closed sessions, faults injected and attempts counted."""
    logger = logging.getLogger("smarterproctoring_async")
    level, propagate = logger.level, logger.propagate
    logger.addHandler(counter)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False  # counted here, not printed
    injector = asyncio.create_task(_inject_faults(fake, random.Random(7), 0.25))
    progress = Progress("syncing closed sessions", interval=2.0)
    try:
        summary: SyncSummary = await client.sync(
            install_sid,
            store,
            status="Closed",
            on_progress=lambda done, total, bad: progress.update(
                done, total, f"{bad} failed" if bad else ""
            ),
        )
        return summary
    finally:
        injector.cancel()
        await asyncio.gather(injector, return_exceptions=True)
        progress.close()
        logger.removeHandler(counter)
        logger.setLevel(level)
        logger.propagate = propagate


async def _held(store: Store) -> str:
    """What the store holds, read back from it: rows per table, and how sessions came."""
    counts = await store.counts()
    by_exam = 0
    async for row in store.rows("sessions"):
        by_exam += row["plan"] == "exam"
    # "1 runs" reads wrong: a count of one takes the singular (every name ends in "s").
    tables = ", ".join(
        f"{counts[name]} {name[:-1] if counts[name] == 1 else name}"
        for name in ("sessions", "events", "annotations", "runs")
    )
    return (
        f"{tables} ({by_exam} sessions' events came through their exam's one exam-level "
        "list, details from the report rows)"
    )


def add_demo_command(commands: argparse._SubParsersAction[Any], common: dict[str, Any]) -> None:
    """``demo [--sessions N] [--latency S]``."""
    demo = commands.add_parser(
        "demo", help="run the SDK against the embedded fake API (no token, no network)",
        description="Run the SDK against the embedded fake API, with faults, and time it.",
        epilog=DEMO_EPILOG, **common,
    )  # fmt: skip
    demo.add_argument(
        "--sessions", type=positive_int, default=2000, metavar="N",
        help="sessions in the generated install (default: 2000)",
    )  # fmt: skip
    demo.add_argument(
        "--latency", type=positive_float, default=0.005, metavar="SECONDS",
        help="the fake's latency per request (default: 0.005)",
    )  # fmt: skip
    demo.add_argument(
        "--to",
        metavar="URL",
        help=STORE_HELP.replace(
            "(default: sqlite:///smarterproctoring.db)", "(default: a temporary SQLite file)"
        ),
    )
    demo.set_defaults(run=run_demo)
