"""Fan-out: fetch details, events and annotations of 200 sessions over a slow, capped API.

What it measures
    The wall time of three ways to pull every session's details, event reports and
    annotations from the fake API (50 ms latency per request, a server page cap of 20
    records below the client's page size of 50, 10..60 events and 0..10 annotations per
    session), each compared with the lower bound

        bound = max(requests * latency / concurrency, 2 * latency)

    where ``requests`` is the fewest requests that can read everything (per session:
    1 details + ceil(events / cap) + ceil(annotations / cap), at least 1 per list),
    computed from ``generate_data`` with the fake's arguments.

    (a) guide: the reporting guide's loop, one session at a time with aiohttp; per list
        offset=0, limit=25, ``offset += limit`` until an empty page. With a server cap
        below 25 it skips records; how many it lost is printed.
    (b) hand-written: what a competent user writes with aiohttp: asyncio.gather over
        all sessions, an asyncio.Semaphore(C) around every request, orjson; each list's
        page one (offset 0, limit 50) gives ``total`` and the server's page length, then
        the remaining pages are requested concurrently (one gather per list), and no
        trailing empty request: it sends exactly the fewest requests.
    (b2) the previous benchmark's hand-written script, kept as an extra row: the same
        gather and semaphore, but each list paged sequentially by what was received
        until an empty page (about 1.46 x the requests), with ``json``.
    (c) SDK: ``sp.Client(token, base_url=..., rate_limit=None, max_concurrency=C)`` and
        ``await client.gather_session_results(refs)``; completeness is checked against
        ``generate_data``.

    (b), (b2) and (c) run ``--repeat`` times, interleaved (median shown), at each
    concurrency C of ``--concurrency`` (default 16; several values make a sweep); the
    guide loop runs once. A bare client's probe of the latency the fake really delivers
    at C in flight gives a second bound, for the diagnosis.

    The fake runs as ``--server-workers`` processes on one port (``--workers``,
    SO_REUSEPORT; default 3), so that at C = 64 or 128 its own CPU does not stretch
    the latency; "server CPU" sums them.

Targets (at each C)
    SDK wall time <= 1.15 x the bound, and <= 1.05 x the bound at the latency the fake
    delivers (the probe's); SDK at least as fast as the hand-written script (b) (speed
    ratio >= 1.0); SDK >= 20 x as fast as the guide loop.

Run
    python benchmarks/fanout.py                   # ~90 s, the guide loop is ~60 s
    python benchmarks/fanout.py --concurrency 64  # the issue's C = 64 (bound 0.66 s)
    python benchmarks/fanout.py --concurrency 16 64 128 --guide-sessions 40
    python benchmarks/fanout.py --concurrency 16 64 --quick   # sweep; guide timed on
                                            # 40 sessions and scaled, 2 repeats: ~1 min
    python benchmarks/fanout.py --guide-sessions 40   # time the guide on
                                            # 40 sessions and scale it to all of them
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import aiohttp
import orjson
from _common import (
    DataSpec,
    Fake,
    StatusCounter,
    Timing,
    fake_api,
    measure,
    median,
    pages_needed,
    parser,
    print_table,
    process_cpu_seconds,
    session_refs,
    verdict,
)

import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeData, FakeSession

SESSION_PATH = "/v1/installs/{}/exams/{}/sessions/{}"
GUIDE_LIMIT = 25
#: The page size (b), (b2) and the SDK ask for.
PAGE_SIZE = 50


@dataclass
class Fetched:
    """What one contender got: requests sent and records received, per kind."""

    requests: int = 0
    details: int = 0
    events: int = 0
    annotations: int = 0


class Workers(Fake):
    """The fake as several processes: its CPU is theirs together."""

    def cpu_seconds(self) -> float:
        try:
            with open(f"/proc/{self.pid}/task/{self.pid}/children") as listed:
                children = [int(pid) for pid in listed.read().split()]
        except OSError:
            children = []
        return sum(process_cpu_seconds(pid) for pid in (self.pid, *children))


def session_path(session: FakeSession) -> str:
    """The details path of a session."""
    return SESSION_PATH.format(session.install_sid, session.exam_sid, session.sid)


def minimal_requests(data: FakeData, cap: int) -> int:
    """The fewest requests that read every session's details and both lists."""
    return sum(
        1 + pages_needed(len(s.events), cap) + pages_needed(len(s.annotations), cap)
        for s in data.sessions
    )


# --- (a) the guide's sequential loop ----------------------------------------------------


async def guide_loop(fake: Fake, sessions: Sequence[FakeSession]) -> Fetched:
    """One session at a time; each list read with offset += limit until an empty page."""
    got = Fetched()
    headers = {"token": fake.token}
    async with aiohttp.ClientSession(fake.base_url, headers=headers) as http:
        for session in sessions:
            path = session_path(session)
            async with http.get(path) as response:
                response.raise_for_status()
                await response.json()
            got.requests += 1
            got.details += 1
            for kind in ("events", "annotations"):
                offset = 0
                while True:
                    params = {"offset": offset, "limit": GUIDE_LIMIT}
                    async with http.get(f"{path}/{kind}", params=params) as response:
                        response.raise_for_status()
                        results = (await response.json())["results"]
                    got.requests += 1
                    if not results:
                        break
                    setattr(got, kind, getattr(got, kind) + len(results))
                    offset += GUIDE_LIMIT
    return got


# --- (b) a competent hand-written script -----------------------------------------------


async def hand_written(fake: Fake, sessions: Sequence[FakeSession], concurrency: int) -> Fetched:
    """gather + Semaphore around every request; each list's remaining pages requested
    concurrently once its page one gives the total (no trailing empty request)."""
    got = Fetched()
    slots = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    headers = {"token": fake.token}

    async with aiohttp.ClientSession(fake.base_url, headers=headers, connector=connector) as http:

        async def get(path: str, params: dict[str, int] | None = None) -> Any:
            async with slots, http.get(path, params=params) as response:
                response.raise_for_status()
                body = await response.read()
            got.requests += 1
            return orjson.loads(body)

        async def listing(path: str) -> list[object]:
            first = await get(path, {"offset": 0, "limit": PAGE_SIZE})
            records: list[object] = list(first["results"])
            stride, total = len(records), first["total"]
            if stride:
                rest = range(stride, total, stride)
                pages = await asyncio.gather(
                    *(get(path, {"offset": offset, "limit": PAGE_SIZE}) for offset in rest)
                )
                for page in pages:
                    records += page["results"]
            return records

        async def one(session: FakeSession) -> None:
            path = session_path(session)
            _, events, annotations = await asyncio.gather(
                get(path), listing(f"{path}/events"), listing(f"{path}/annotations")
            )
            got.details += 1
            got.events += len(events)
            got.annotations += len(annotations)

        await asyncio.gather(*(one(s) for s in sessions))
    return got


async def until_empty(fake: Fake, sessions: Sequence[FakeSession], concurrency: int) -> Fetched:
    """(b2) gather + Semaphore around every request; lists paged sequentially by what was
    received until an empty page (the previous benchmark's baseline)."""
    got = Fetched()
    slots = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    headers = {"token": fake.token}

    async with aiohttp.ClientSession(fake.base_url, headers=headers, connector=connector) as http:

        async def get(path: str, params: dict[str, int] | None = None) -> object:
            async with slots, http.get(path, params=params) as response:
                response.raise_for_status()
                body = await response.read()
            got.requests += 1
            return json.loads(body)

        async def listing(path: str) -> list[object]:
            records: list[object] = []
            while True:
                page = await get(path, {"offset": len(records), "limit": PAGE_SIZE})
                assert isinstance(page, dict)
                if not page["results"]:
                    return records
                records += page["results"]

        async def one(session: FakeSession) -> None:
            path = session_path(session)
            _, events, annotations = await asyncio.gather(
                get(path), listing(f"{path}/events"), listing(f"{path}/annotations")
            )
            got.details += 1
            got.events += len(events)
            got.annotations += len(annotations)

        await asyncio.gather(*(one(s) for s in sessions))
    return got


# --- (c) the SDK -----------------------------------------------------------------------


@dataclass
class SdkRun:
    """The SDK's counts, what was incomplete, and how long each attempt held its slot."""

    fetched: Fetched
    problems: list[str]
    elapsed: list[float]


async def sdk(fake: Fake, data: FakeData, concurrency: int, *, diagnose: bool = False) -> SdkRun:
    """``gather_session_results`` over every session, checked against the data set.

    Requests are counted by the client's own statistics. ``diagnose`` also records how
    long each attempt held its slot, from the SDK's DEBUG lines: a run not timed, since
    a log record per request is CPU the hand-written scripts do not spend."""
    log = StatusCounter()
    with log if diagnose else contextlib.nullcontext(log):
        client = sp.Client(
            fake.token,
            base_url=fake.base_url,
            rate_limit=None,
            max_concurrency=concurrency,
            page_size=PAGE_SIZE,
        )
        async with client:
            results = await client.gather_session_results(session_refs(data))
    got = Fetched(requests=client.stats.total().requests)
    problems: list[str] = []
    for session, result in zip(data.sessions, results, strict=True):
        if result.error is not None or result.session is None:
            problems.append(f"{session.sid}: {result.error!r}")
            continue
        events, notes = result.events or (), result.annotations or ()
        if len(events) != len(session.events) or len(notes) != len(session.annotations):
            problems.append(f"{session.sid}: {len(events)} events, {len(notes)} annotations")
        got.details += 1
        got.events += len(events)
        got.annotations += len(notes)
    if diagnose and log.attempts != got.requests:
        problems.append(f"{log.attempts} attempts logged, {got.requests} in the statistics")
    return SdkRun(got, problems, log.elapsed)


# --- calibration: what one request costs on this machine ------------------------------


async def probe(fake: Fake, session: FakeSession, requests: int, concurrency: int) -> float:
    """Mean seconds per request of a bare client reading one capped events page at a time,
    ``concurrency`` in flight (no decoding): the latency the fake really delivers."""
    slots = asyncio.Semaphore(concurrency)
    times: list[float] = []
    connector = aiohttp.TCPConnector(limit=concurrency)
    headers = {"token": fake.token}
    path = f"{session_path(session)}/events"
    async with aiohttp.ClientSession(fake.base_url, headers=headers, connector=connector) as http:

        async def one() -> None:
            async with slots:
                started = time.perf_counter()
                params = {"offset": 0, "limit": PAGE_SIZE}
                async with http.get(path, params=params) as response:
                    await response.read()
                times.append(time.perf_counter() - started)

        await asyncio.gather(*(one() for _ in range(requests)))
    return statistics.mean(times)


@dataclass
class Sweep:
    """Every run at one concurrency."""

    concurrency: int
    bound: float
    hand: list[Timing]
    empty: list[Timing]
    sdk: list[Timing]
    page_time: float
    diagnosis: Timing | None = None  # one untimed SDK run with per-attempt times


def main() -> None:
    options = arguments()
    spec = DataSpec(
        seed=options.seed,
        exams=4,
        sessions_per_exam=math.ceil(options.sessions / 4),
        events=(10, 60),
        annotations=(0, 10),
    )
    data = spec.generate()
    sessions = data.sessions
    cap, latency = options.page_cap, options.latency
    requests = minimal_requests(data, cap)
    events = sum(len(s.events) for s in sessions)
    annotations = sum(len(s.annotations) for s in sessions)
    print(
        f"{len(sessions)} sessions, {events} events, {annotations} annotations; latency "
        f"{latency * 1000:.0f} ms, page cap {cap}, page size {PAGE_SIZE}, concurrency "
        f"{', '.join(map(str, options.concurrency))}; minimal requests {requests}"
    )

    guide_sessions = sessions[: options.guide_sessions or len(sessions)]
    sweeps: list[Sweep] = []
    extra = ("--latency", str(latency), "--page-cap", str(cap))
    with fake_api(spec, *extra, "--workers", str(options.server_workers)) as started:
        fake = Workers(started.base_url, started.token, started.pid, started.big_session)
        for concurrency in options.concurrency:
            sweep = Sweep(
                concurrency, max(requests * latency / concurrency, 2 * latency), [], [], [], 0.0
            )
            for _ in range(options.repeat):
                sweep.hand.append(measure(partial(hand_written, fake, sessions, concurrency), fake))
                sweep.empty.append(measure(partial(until_empty, fake, sessions, concurrency), fake))
                sweep.sdk.append(measure(partial(sdk, fake, data, concurrency), fake))
            sweep.diagnosis = measure(partial(sdk, fake, data, concurrency, diagnose=True))
            first = next(s for s in sessions if len(s.events) >= cap)
            sweep.page_time = asyncio.run(probe(fake, first, 20 * concurrency, concurrency))
            sweeps.append(sweep)
        guide = measure(lambda: guide_loop(fake, guide_sessions), fake)

    # The guide may have run on a subset: scale its time and requests to every session.
    scale = len(sessions) / len(guide_sessions)
    guide_got: Fetched = guide.value
    guide_expected = sum(len(s.events) + len(s.annotations) for s in guide_sessions)
    lost = guide_expected - guide_got.events - guide_got.annotations
    print(
        f"guide loop lost {lost} of {guide_expected} records ({lost / guide_expected:.1%}) "
        f"on {len(guide_sessions)} sessions: offset += {GUIDE_LIMIT} skips what the page "
        f"cap of {cap} did not send"
    )
    verdicts: list[tuple[str, bool]] = []
    for sweep in sweeps:
        verdicts += report(sweep, options, requests, (events, annotations), guide, scale)

    print()
    print("targets:")
    for target, met in verdicts:
        verdict(target, met)


def report(
    sweep: Sweep,
    options: argparse.Namespace,
    requests: int,
    expected: tuple[int, int],
    guide: Timing,
    scale: float,
) -> list[tuple[str, bool]]:
    """Print one concurrency's table and diagnosis; return its (target, met) lines."""
    concurrency, bound, latency = sweep.concurrency, sweep.bound, options.latency
    guide_got: Fetched = guide.value
    guide_wall = guide.wall * scale
    hand_wall = median([t.wall for t in sweep.hand])
    empty_wall = median([t.wall for t in sweep.empty])
    sdk_wall = median([t.wall for t in sweep.sdk])
    hand_got: Fetched = sweep.hand[-1].value
    empty_got: Fetched = sweep.empty[-1].value
    sdk_run: SdkRun = sweep.sdk[-1].value
    sdk_got = sdk_run.fetched
    assert sweep.diagnosis is not None
    traced: SdkRun = sweep.diagnosis.value
    sdk_run.problems += traced.problems  # the untimed run is checked as well

    def row(name: str, runs: list[Timing], got: Fetched) -> tuple[object, ...]:
        wall = median([t.wall for t in runs])
        cpu, server = median([t.cpu for t in runs]), median([t.server_cpu for t in runs])
        return (name, wall, got.requests, wall / bound, cpu, server, runs_text(runs))

    guide_name = "(a) guide loop" + (f" x{scale:g}" if scale != 1 else "")
    rows = [
        ("lower bound", bound, requests, 1.0, "-", "-", "-"),
        (guide_name, guide_wall, round(guide_got.requests * scale), guide_wall / bound,
         guide.cpu * scale, guide.server_cpu * scale, "1 run"),
        row("(b) hand-written, total", sweep.hand, hand_got),
        row("(b2) hand-written, until empty", sweep.empty, empty_got),
        row("(c) SDK", sweep.sdk, sdk_got),
    ]  # fmt: skip
    print()
    print(
        f"concurrency {concurrency}: lower bound max({requests} x {latency * 1000:.0f} ms / "
        f"{concurrency}, 2 x latency) = {bound:.3f} s"
    )
    headers = ["contender", "wall s", "requests", "x bound", "client CPU s", "server CPU s"]
    print_table([*headers, "runs, wall s"], rows)

    events, annotations = expected
    for name, got in (("(b)", hand_got), ("(b2)", empty_got)):
        if (got.events, got.annotations) != (events, annotations):
            print(f"WARNING: {name} incomplete: {got.events} events, {got.annotations} notes")
    print(
        f"SDK complete: {not sdk_run.problems} ({sdk_got.details} details, "
        f"{sdk_got.events} events, {sdk_got.annotations} annotations)"
    )
    for problem in sdk_run.problems[:5]:
        print(f"  incomplete: {problem}")
    print(
        f"SDK speed vs (b) hand-written, total: {hand_wall / sdk_wall:.2f}x; vs (b2) until "
        f"empty: {empty_wall / sdk_wall:.2f}x; vs the guide loop: {guide_wall / sdk_wall:.1f}x"
    )
    print("diagnosis (one more SDK run, with DEBUG lines to time each attempt):")
    held = sum(traced.elapsed)
    last_wall = sweep.diagnosis.wall
    print(
        f"  slot occupancy {held / (concurrency * last_wall):.1%} "
        f"(sum of attempt times / ({concurrency} slots x wall)); "
        f"mean attempt {statistics.mean(traced.elapsed) * 1000:.1f} ms "
        f"for a {latency * 1000:.0f} ms latency"
    )
    page_time = sweep.page_time
    effective = max(requests * page_time / concurrency, 2 * page_time)
    print(
        f"  a bare client reading capped event pages {concurrency} at a time sees "
        f"{page_time * 1000:.1f} ms per request; the bound at that latency is "
        f"{effective:.3f} s, SDK {sdk_wall / effective:.3f}x it, (b) {hand_wall / effective:.3f}x"
    )
    sdk_cpu = median([t.cpu for t in sweep.sdk])
    server_cpu = median([t.server_cpu for t in sweep.sdk])
    hand_cpu = median([t.cpu for t in sweep.hand])
    print(
        f"  CPU against the bound: SDK client {sdk_cpu:.2f} s ({sdk_cpu / bound:.2f}x the bound; "
        f"{sdk_cpu / sdk_got.requests * 1e3:.2f} ms per request), (b) client {hand_cpu:.2f} s "
        f"({hand_cpu / hand_got.requests * 1e3:.2f} ms per request), the fake {server_cpu:.2f} "
        f"s during the SDK run; one process cannot finish before its own CPU is spent, and "
        f"{os.cpu_count()} cores are shared by client, fake and anything else running"
    )
    at = f"C = {concurrency}"
    return [
        (f"{at}: SDK <= 1.15x the bound ({sdk_wall / bound:.3f}x)", sdk_wall <= 1.15 * bound),
        (
            f"{at}: SDK <= 1.05x the bound at the delivered latency ({sdk_wall / effective:.3f}x)",
            sdk_wall <= 1.05 * effective,
        ),
        (
            f"{at}: SDK >= 1.0x as fast as (b) hand-written with total "
            f"({hand_wall / sdk_wall:.2f}x)",
            sdk_wall <= hand_wall,
        ),
        (
            f"{at}: SDK >= 20x as fast as the guide ({guide_wall / sdk_wall:.1f}x)",
            guide_wall >= 20 * sdk_wall,
        ),
        (f"{at}: SDK results complete", not sdk_run.problems),
    ]


def runs_text(runs: Sequence[Timing]) -> str:
    """The wall times of each run."""
    return " ".join(f"{t.wall:.2f}" for t in runs)


def arguments() -> argparse.Namespace:
    """The command line."""
    cli = parser(__doc__)
    cli.add_argument("--sessions", type=int, default=200, help="sessions (rounded up to 4s)")
    cli.add_argument("--latency", type=float, default=0.05, help="server seconds per request")
    cli.add_argument("--page-cap", type=int, default=20, help="most records a page holds")
    cli.add_argument(
        "--concurrency", type=int, nargs="+", default=[16], metavar="C",
        help="concurrency of (b), (b2) and (c); several values: a sweep (default 16)",
    )  # fmt: skip
    cli.add_argument("--repeat", type=int, default=None, help="runs of (b), (b2), (c) (3)")
    cli.add_argument(
        "--guide-sessions", type=int, default=None,
        help="run the guide loop on the first N sessions only and scale (default: all)",
    )  # fmt: skip
    cli.add_argument(
        "--quick", action="store_true", help="guide loop on 40 sessions, scaled; 2 repeats"
    )
    cli.add_argument("--seed", type=int, default=1)
    cli.add_argument(
        "--server-workers", type=int, default=3, help="fake API processes on one port (3)"
    )
    options = cli.parse_args()
    if options.repeat is None:
        options.repeat = 2 if options.quick else 3
    if options.guide_sessions is None:
        options.guide_sessions = 40 if options.quick else 0
    return options


if __name__ == "__main__":
    main()
