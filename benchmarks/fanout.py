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
    (b) hand-written: aiohttp + asyncio.gather over all sessions, an
        asyncio.Semaphore(16) around every request, each list paged sequentially by
        what was received until an empty page.
    (c) SDK: ``sp.Client(token, base_url=..., rate_limit=None, max_concurrency=16)`` and
        ``await client.gather_session_results(refs)``; completeness is checked against
        ``generate_data``.

Targets
    SDK wall time <= 1.15 x the bound; SDK at least as fast as the hand-written script
    (speed ratio >= 1.0); SDK >= 20 x as fast as the guide loop.

Run
    python benchmarks/fanout.py            # ~90 s, the guide loop is ~60 s
    python benchmarks/fanout.py --guide-sessions 40   # time the guide on
                                            # 40 sessions and scale it to all of them
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp
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
    session_refs,
    verdict,
)

import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeData, FakeSession

SESSION_PATH = "/v1/installs/{}/exams/{}/sessions/{}"
GUIDE_LIMIT = 25


@dataclass
class Fetched:
    """What one contender got: requests sent and records received, per kind."""

    requests: int = 0
    details: int = 0
    events: int = 0
    annotations: int = 0


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
    """gather + Semaphore around every request; lists paged by what was received."""
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
                page = await get(path, {"offset": len(records), "limit": 50})
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


async def sdk(fake: Fake, data: FakeData, concurrency: int) -> SdkRun:
    """``gather_session_results`` over every session, checked against the data set."""
    with StatusCounter() as log:
        client = sp.Client(
            fake.token, base_url=fake.base_url, rate_limit=None, max_concurrency=concurrency
        )
        async with client:
            results = await client.gather_session_results(session_refs(data))
    got = Fetched(requests=log.attempts)
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
                async with http.get(path, params={"offset": 0, "limit": 50}) as response:
                    await response.read()
                times.append(time.perf_counter() - started)

        await asyncio.gather(*(one() for _ in range(requests)))
    return statistics.mean(times)


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
    cap, latency, concurrency = options.page_cap, options.latency, options.concurrency
    requests = minimal_requests(data, cap)
    bound = max(requests * latency / concurrency, 2 * latency)
    events = sum(len(s.events) for s in sessions)
    annotations = sum(len(s.annotations) for s in sessions)
    print(
        f"{len(sessions)} sessions, {events} events, {annotations} annotations; latency "
        f"{latency * 1000:.0f} ms, page cap {cap}, page size 50, concurrency {concurrency}"
    )
    print(f"minimal requests {requests}, lower bound {bound:.3f} s")

    guide_sessions = sessions[: options.guide_sessions or len(sessions)]
    with fake_api(spec, "--latency", str(latency), "--page-cap", str(cap)) as fake:
        hand_runs: list[Timing] = []
        sdk_runs: list[Timing] = []
        for _ in range(options.repeat):
            hand_runs.append(measure(lambda: hand_written(fake, sessions, concurrency), fake))
            sdk_runs.append(measure(lambda: sdk(fake, data, concurrency), fake))
        first = next(s for s in sessions if len(s.events) >= cap)
        page_time = asyncio.run(probe(fake, first, 20 * concurrency, concurrency))
        guide = measure(lambda: guide_loop(fake, guide_sessions), fake)

    # The guide may have run on a subset: scale its time and requests to every session.
    scale = len(sessions) / len(guide_sessions)
    guide_got: Fetched = guide.value
    guide_wall = guide.wall * scale
    hand_wall = median([t.wall for t in hand_runs])
    sdk_wall = median([t.wall for t in sdk_runs])
    hand_got: Fetched = hand_runs[-1].value
    sdk_run: SdkRun = sdk_runs[-1].value
    sdk_got = sdk_run.fetched

    rows = [
        ("lower bound", bound, requests, 1.0, "-", "-", "-"),
        ("(a) guide loop" + (f" x{scale:g}" if scale != 1 else ""), guide_wall,
         round(guide_got.requests * scale), guide_wall / bound, guide.cpu * scale,
         guide.server_cpu * scale, "1 run"),
        ("(b) hand-written", hand_wall, hand_got.requests, hand_wall / bound,
         median([t.cpu for t in hand_runs]), median([t.server_cpu for t in hand_runs]),
         runs_text(hand_runs)),
        ("(c) SDK", sdk_wall, sdk_got.requests, sdk_wall / bound,
         median([t.cpu for t in sdk_runs]), median([t.server_cpu for t in sdk_runs]),
         runs_text(sdk_runs)),
    ]  # fmt: skip
    print()
    headers = ["contender", "wall s", "requests", "x bound", "client CPU s", "server CPU s"]
    print_table([*headers, "runs, wall s"], rows)

    print()
    guide_expected = sum(len(s.events) + len(s.annotations) for s in guide_sessions)
    lost = guide_expected - guide_got.events - guide_got.annotations
    print(
        f"guide loop lost {lost} of {guide_expected} records ({lost / guide_expected:.1%}) "
        f"on {len(guide_sessions)} sessions: offset += {GUIDE_LIMIT} skips what the page "
        f"cap of {cap} did not send"
    )
    hand_complete = (hand_got.events, hand_got.annotations) == (events, annotations)
    print(f"hand-written complete: {hand_complete}")
    print(
        f"SDK complete: {not sdk_run.problems} ({sdk_got.details} details, "
        f"{sdk_got.events} events, {sdk_got.annotations} annotations)"
    )
    for problem in sdk_run.problems[:5]:
        print(f"  incomplete: {problem}")
    print(f"SDK speed vs hand-written: {hand_wall / sdk_wall:.2f}x")
    print(f"SDK speed vs guide loop:   {guide_wall / sdk_wall:.1f}x")

    print()
    print("diagnosis (last SDK run):")
    held = sum(sdk_run.elapsed)
    last_wall = sdk_runs[-1].wall
    print(
        f"  slot occupancy {held / (concurrency * last_wall):.1%} "
        f"(sum of attempt times / ({concurrency} slots x wall)); "
        f"mean attempt {statistics.mean(sdk_run.elapsed) * 1000:.1f} ms "
        f"for a {latency * 1000:.0f} ms latency"
    )
    effective = max(requests * page_time / concurrency, 2 * page_time)
    print(
        f"  a bare client reading capped event pages {concurrency} at a time sees "
        f"{page_time * 1000:.1f} ms per request; the bound at that latency is "
        f"{effective:.3f} s, SDK {sdk_wall / effective:.3f}x it"
    )

    print()
    print("targets:")
    verdict(f"SDK <= 1.15x the bound ({sdk_wall / bound:.3f}x)", sdk_wall <= 1.15 * bound)
    verdict(
        f"SDK >= 1.0x as fast as hand-written ({hand_wall / sdk_wall:.2f}x)",
        sdk_wall <= hand_wall,
    )
    verdict(
        f"SDK >= 20x as fast as the guide ({guide_wall / sdk_wall:.1f}x)",
        guide_wall >= 20 * sdk_wall,
    )
    verdict("SDK results complete", not sdk_run.problems)


def runs_text(runs: Sequence[Timing]) -> str:
    """The wall times of each run."""
    return " ".join(f"{t.wall:.2f}" for t in runs)


def arguments() -> argparse.Namespace:
    """The command line."""
    cli = parser(__doc__)
    cli.add_argument("--sessions", type=int, default=200, help="sessions (rounded up to 4s)")
    cli.add_argument("--latency", type=float, default=0.05, help="server seconds per request")
    cli.add_argument("--page-cap", type=int, default=20, help="most records a page holds")
    cli.add_argument("--concurrency", type=int, default=16)
    cli.add_argument("--repeat", type=int, default=3, help="runs of (b) and (c); median shown")
    cli.add_argument(
        "--guide-sessions", type=int, default=0,
        help="run the guide loop on the first N sessions only and scale (0: all)",
    )  # fmt: skip
    cli.add_argument("--seed", type=int, default=1)
    return cli.parse_args()


if __name__ == "__main__":
    main()
