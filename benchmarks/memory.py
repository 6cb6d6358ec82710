"""Memory: stream 1,000,000 events through the SDK's paginator without keeping them.

What it measures
    1. One session with 1,000,000 events on the fake API (no latency, no page cap), read
       with ``async for event in session.events()`` at ``page_size=500`` (2,000
       requests), counting the events and dropping each one. Reported: the peak RSS
       added during the stream (``ru_maxrss`` after minus before, where "before" is
       taken after the imports, the client's setup and one warm-up page), the RSS
       now before and after, the time and the throughput.
    2. About 200,000 events over 1,000 sessions (150..250 events each, default page
       size 50) through ``client.stream_session_results(refs)``, each result dropped
       after its events are counted; the same figures.
    Each part runs in its own child process, so one part's peak does not hide the
    other's; the fake API runs in a third process.

Target
    Part 1 adds at most 50 MB of peak RSS. (Part 2 is reported against the same 50 MB
    for reference: each result holds one whole session, and up to ``concurrency``
    results in progress plus ``concurrency`` buffered ones exist at once.)

Run
    python benchmarks/memory.py                  # ~40 s
    python benchmarks/memory.py --events 200000  # quicker
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import tempfile
import time
from collections.abc import Coroutine
from typing import Any

from _common import (
    DataSpec,
    current_rss_mb,
    fake_api,
    high_water_rss_mb,
    parser,
    peak_rss_mb,
    print_table,
    reset_peak_rss,
    run_child,
    verdict,
)

import smarterproctoring_async as sp

TARGET_MB = 50.0
#: The data set of part 2 (part 1's big session is added to it by the fake).
SESSIONS_SPEC = DataSpec(seed=3, exams=10, sessions_per_exam=100, events=(150, 250))


async def stream_big(
    base_url: str, token: str, ref: sp.SessionRef, page_size: int
) -> dict[str, Any]:
    """Part 1, in the child: count every event of one session, keeping none."""
    client = sp.Client(token, base_url=base_url, rate_limit=None, page_size=page_size)
    async with client:
        session = client.session(ref)
        async with contextlib.aclosing(session.events().pages()) as pages:
            await anext(pages)  # warm-up: connection, decoder, first page
        return await _measured(_count_events(session))


async def _count_events(session: sp.Session) -> int:
    count = 0
    async for _ in session.events():
        count += 1
    return count


async def stream_sessions(
    base_url: str, token: str, page_size: int, refs: list[sp.SessionRef]
) -> dict[str, Any]:
    """Part 2, in the child: count the events of every session's result, keeping none."""
    client = sp.Client(token, base_url=base_url, rate_limit=None, page_size=page_size)
    async with client:
        await client.gather_session_results(refs[:1])  # warm-up

        async def count() -> int:
            total = 0
            async with client.stream_session_results(refs) as results:
                async for result in results:
                    if result.error is not None:
                        raise result.error
                    total += len(result.events or ())
            return total

        return await _measured(count())


async def _measured(work: Coroutine[Any, Any, int]) -> dict[str, Any]:
    """Await ``work`` (a coroutine returning a count) between two memory readings."""
    gc.collect()
    peak, now = peak_rss_mb(), current_rss_mb()
    hwm_reset = reset_peak_rss()
    wall, cpu = time.perf_counter(), time.process_time()
    count = await work
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "count": count,
        "wall": wall,
        "cpu": cpu,
        "peak_before": peak,
        "peak_after": peak_rss_mb(),
        "rss_before": now,
        "rss_after": current_rss_mb(),
        "hwm_after": high_water_rss_mb() if hwm_reset else None,
    }


def child(options: argparse.Namespace) -> None:
    """Child mode: run one part against a running fake and print its JSON report."""
    url, token = options.base_url, options.token
    if options.child == "big":
        ref = sp.SessionRef(*options.session)
        report = asyncio.run(stream_big(url, token, ref, options.page_size))
    else:
        # The refs come in a file: generating the data set here would grow the heap
        # before the baseline is taken, and the stream would reuse that freed memory.
        with open(options.refs_file) as file:
            refs = [sp.SessionRef(*sids) for sids in json.load(file)]
        page_size = options.sessions_page_size
        report = asyncio.run(stream_sessions(url, token, page_size, refs))
    print(json.dumps(report))


def main() -> None:
    options = arguments()
    if options.child:
        child(options)
        return
    extra = ("--latency", "0", "--big-session-events", str(options.events))
    with fake_api(SESSIONS_SPEC, *extra) as fake:
        assert fake.big_session is not None
        common = ["--base-url", fake.base_url, "--token", fake.token]
        common += ["--page-size", str(options.page_size)]
        common += ["--sessions-page-size", str(options.sessions_page_size)]
        session = [fake.big_session.install_sid, fake.big_session.exam_sid]
        session.append(fake.big_session.session_sid)
        big = run_child(__file__, [*common, "--child", "big", "--session", *session])
        many = None
        if not options.skip_sessions:
            data = SESSIONS_SPEC.generate()
            sids = [[s.install_sid, s.exam_sid, s.sid] for s in data.sessions]
            with tempfile.TemporaryDirectory() as folder:
                refs_file = os.path.join(folder, "refs.json")
                with open(refs_file, "w") as file:
                    json.dump(sids, file)
                many = run_child(
                    __file__, [*common, "--child", "sessions", "--refs-file", refs_file]
                )
            many["sessions"] = len(sids)
            many["expected"] = sum(len(s.events) for s in data.sessions)

    rows = [row(f"1 session, page size {options.page_size}", big)]
    if many is not None:
        label = f"{many['sessions']} sessions, page size {options.sessions_page_size}"
        rows.append(row(label, many))
    headers = ["stream", "events", "wall s", "events/s", "ru_maxrss before MB"]
    headers += ["ru_maxrss after MB", "added MB", "RSS before MB", "RSS after MB"]
    print_table([*headers, "own peak added MB"], rows)
    print()
    print(
        "added MB = ru_maxrss after - before; own peak added MB = VmHWM (reset to the RSS "
        "when the stream starts) - RSS before: ru_maxrss in a child process starts at the "
        "parent's RSS at spawn, so it alone can hide growth below that level"
    )
    print()
    print("targets:")
    verdict(f"paginator: {big['count']:,} events counted", big["count"] == options.events)
    added = worst_added(big)
    verdict(f"paginator: peak RSS added <= {TARGET_MB:g} MB ({added:.1f} MB)", added <= TARGET_MB)
    if many is not None:
        verdict(
            f"stream_session_results: {many['count']:,} events counted",
            many["count"] == many["expected"],
        )
        added = worst_added(many)
        verdict(
            f"stream_session_results (reference): peak RSS added <= {TARGET_MB:g} MB "
            f"({added:.1f} MB)",
            added <= TARGET_MB,
        )


def worst_added(report: dict[str, Any]) -> float:
    """The larger of the two measures of the peak RSS added during a stream."""
    added = report["peak_after"] - report["peak_before"]
    if report["hwm_after"] is not None:
        added = max(added, report["hwm_after"] - report["rss_before"])
    return float(added)


def row(label: str, report: dict[str, Any]) -> tuple[object, ...]:
    """A table row of one part's report."""
    return (
        label,
        report["count"],
        report["wall"],
        round(report["count"] / report["wall"]),
        report["peak_before"],
        report["peak_after"],
        report["peak_after"] - report["peak_before"],
        report["rss_before"],
        report["rss_after"],
        "n/a" if report["hwm_after"] is None else report["hwm_after"] - report["rss_before"],
    )


def arguments() -> argparse.Namespace:
    """The command line."""
    cli = parser(__doc__)
    cli.add_argument("--events", type=int, default=1_000_000, help="events of the big session")
    cli.add_argument("--page-size", type=int, default=500, help="page size of part 1")
    cli.add_argument("--sessions-page-size", type=int, default=50, help="page size of part 2")
    cli.add_argument("--skip-sessions", action="store_true", help="run part 1 only")
    # Child mode (used by the script itself).
    cli.add_argument("--child", choices=("big", "sessions"), help=argparse.SUPPRESS)
    cli.add_argument("--session", nargs=3, help=argparse.SUPPRESS)
    cli.add_argument("--refs-file", help=argparse.SUPPRESS)
    cli.add_argument("--base-url", help=argparse.SUPPRESS)
    cli.add_argument("--token", help=argparse.SUPPRESS)
    return cli.parse_args()


if __name__ == "__main__":
    main()
