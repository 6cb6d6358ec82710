"""Throughput: client CPU per request, the SDK vs raw aiohttp + orjson, at latency 0.

What it measures
    The fake API runs in its own process with no latency, so its CPU is not charged to
    the client; the client's CPU is ``time.process_time()`` of this process around each
    run (a fresh event loop, the client or aiohttp session created and closed inside).
    Two workloads, each as the SDK does it and as a raw aiohttp + orjson script does it:

    (a) details-only bulk: N sessions (default 2,000), one request each.
        SDK: ``sp.Client(token, base_url=..., rate_limit=None, max_concurrency=C)`` and
        ``await client.gather_session_results(refs, events=False, annotations=False)``.
        raw: one aiohttp session (``TCPConnector(limit=C)``), ``asyncio.gather`` of the
        same N GETs, each under an ``asyncio.Semaphore(C)``, ``orjson.loads``, the dicts
        kept in input order. C defaults to 32.
    (b) paged list: the events of one session with E events (default 20,000) at page
        size 50 (400 pages).
        SDK: ``await client.session(ref).events().collect()`` (page size 50).
        raw: an offset loop with orjson and fetching ahead (``_common.read_ahead``: page
        one gives ``total``, then 4 pages requested ahead of the one read, in order).
        floor (a diagnosis row, not a target): raw, then one ``SimpleNamespace(**record)``
        per record: the least any client that hands out one Python object per record
        (rather than the decoder's dicts) adds, with no checks, dates or renaming.

    CPU per request = client CPU / the fewest requests the workload needs (N, or
    ceil(E / 50)); the same divisor for both, so a request the SDK adds counts against
    it (the requests each one really sent are printed). One warm-up run of everything,
    then ``--repeat`` rounds, contenders interleaved; medians and the ratio SDK / raw.
    The CPU is also split into user and system time (``getrusage``): on loopback the
    kernel's socket work is a large, noisy, shared part of every request; the user
    time is the interpreter's.

    Diagnosis: one more run of each, under cProfile with a CPU-time clock: the profiled
    CPU per request by package (the SDK's own modules, aiohttp, asyncio, anyio, attrs
    ...), each package's Python code and the C functions it called (builtins, syscalls,
    orjson) apart, the SDK next to raw; then the SDK's own functions that take the most
    time themselves (tottime). The profiler inflates everything (several times): compare
    shares and differences, not absolute figures.

Targets
    (a) SDK client CPU per request <= 1.25 x raw; (b) <= 1.3 x the floor (which already
    costs more than raw: its target is what a client handing out objects can reach).

Run
    python benchmarks/throughput.py               # ~2 min on a busy 2-core machine
    python benchmarks/throughput.py --quick       # N = 500, E = 10,000, 3 rounds: ~40 s
    python benchmarks/throughput.py --sessions 5000 --concurrency 64 --top 25
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import re
import sysconfig
import time
from collections import defaultdict
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
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
    read_ahead,
    session_refs,
    verdict,
)

import smarterproctoring_async as sp

SESSION_PATH = "/v1/installs/{}/exams/{}/sessions/{}"
PAGE_SIZE = 50
#: SDK / raw for a workload without a floor row; SDK / floor for one with it.
TARGET_RAW = 1.25
TARGET_FLOOR = 1.3
SIDES = ("sdk", "raw")
LABELS = {
    "sdk": "SDK",
    "raw": "raw aiohttp + orjson",
    "floor": "raw + a plain object per record",
}
SDK_DIR = os.path.dirname(os.path.abspath(sp.__file__)) + os.sep
BENCHMARKS_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
STDLIB_DIR = os.path.abspath(sysconfig.get_paths()["stdlib"]) + os.sep
SITE_PACKAGE = re.compile(r"[/\\]site-packages[/\\]([^/\\]+)")

Run = Callable[[], Coroutine[Any, Any, int]]


def ref_path(ref: sp.SessionRef) -> str:
    """The details path of a session."""
    return SESSION_PATH.format(ref.install_sid, ref.exam_sid, ref.session_sid)


# --- (a) details-only bulk --------------------------------------------------------------


async def sdk_bulk(fake: Fake, refs: Sequence[sp.SessionRef], concurrency: int) -> int:
    """``gather_session_results`` without lists; returns the sessions fetched."""
    client = sp.Client(
        fake.token, base_url=fake.base_url, rate_limit=None, max_concurrency=concurrency
    )
    async with client:
        results = await client.gather_session_results(refs, events=False, annotations=False)
    fetched = sum(1 for r in results if r.error is None and r.session is not None)
    if fetched != len(refs):
        first = next(r.error for r in results if r.error is not None)
        raise RuntimeError(f"SDK bulk: {len(refs) - fetched} sessions failed: {first!r}")
    return fetched


async def raw_bulk(fake: Fake, refs: Sequence[sp.SessionRef], concurrency: int) -> int:
    """aiohttp + gather + Semaphore + orjson over the same GETs; returns the sessions."""
    slots = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    headers = {"token": fake.token}
    async with aiohttp.ClientSession(fake.base_url, headers=headers, connector=connector) as http:

        async def get(ref: sp.SessionRef) -> Any:
            async with slots, http.get(ref_path(ref)) as response:
                response.raise_for_status()
                return orjson.loads(await response.read())

        sessions = await asyncio.gather(*(get(ref) for ref in refs))
    return len(sessions)


# --- (b) one paged list -----------------------------------------------------------------


async def sdk_list(fake: Fake, ref: sp.SessionRef) -> int:
    """``session.events().collect()``; returns the events read."""
    client = sp.Client(fake.token, base_url=fake.base_url, rate_limit=None, page_size=PAGE_SIZE)
    async with client:
        events = await client.session(ref).events().collect()
    return len(events)


async def raw_list(fake: Fake, ref: sp.SessionRef) -> int:
    """Offset loop, orjson, total from page one and 4 pages ahead; returns the events."""
    async with aiohttp.ClientSession(fake.base_url, headers={"token": fake.token}) as http:
        records, _ = await read_ahead(http, ref_path(ref) + "/events", PAGE_SIZE, orjson.loads)
    return len(records)


async def floor_list(fake: Fake, ref: sp.SessionRef) -> int:
    """``raw_list`` plus the least any typed client adds: one plain object per record
    (``SimpleNamespace(**record)``: a copy of its fields and an instance, no checks)."""
    async with aiohttp.ClientSession(fake.base_url, headers={"token": fake.token}) as http:
        records, _ = await read_ahead(http, ref_path(ref) + "/events", PAGE_SIZE, orjson.loads)
    objects = [SimpleNamespace(**record) for record in records]
    return len(objects)


# --- measuring --------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    """One workload: its SDK and raw runs, the fewest requests and the items expected."""

    name: str
    sdk: Run
    raw: Run
    requests: int
    items: int
    floor: Run | None = None

    def contenders(self) -> list[str]:
        """The sides this workload runs: sdk, raw, and floor when it has one."""
        return [*SIDES, "floor"] if self.floor is not None else list(SIDES)


def interleaved(workloads: Sequence[Workload], repeat: int, fake: Fake) -> dict[str, list[Timing]]:
    """A warm-up run of everything, then ``repeat`` rounds, every contender once a round."""
    contenders = [
        (f"{w.name}/{side}", getattr(w, side)) for w in workloads for side in w.contenders()
    ]
    for _, run in contenders:
        measure(run)
    timings: dict[str, list[Timing]] = {name: [] for name, _ in contenders}
    for _ in range(repeat):
        for name, run in contenders:
            timings[name].append(measure(run, fake))
    return timings


def count_sdk_requests(run: Run) -> int:
    """The requests one SDK run sends (its per-attempt DEBUG lines; not a timed run)."""
    with StatusCounter() as log:
        asyncio.run(run())
    return log.attempts


def profiled(run: Run) -> pstats.Stats:
    """One run under cProfile, timed in CPU seconds (a wait in epoll costs nothing)."""
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    try:
        asyncio.run(run())
    finally:
        profile.disable()
    return pstats.Stats(profile)


def package_of(filename: str) -> str:
    """The package a profiled Python function belongs to, for grouping."""
    if filename.startswith(SDK_DIR):
        return "smarterproctoring_async"
    found = SITE_PACKAGE.search(filename)
    if found:
        return found.group(1).removesuffix(".py")
    if filename.startswith(STDLIB_DIR):
        module = filename[len(STDLIB_DIR) :].split(os.sep)[0].removesuffix(".py")
        return f"stdlib {module}"
    if filename.startswith(BENCHMARKS_DIR):
        return "benchmark code (the raw client)"
    if filename.startswith("<attrs generated"):
        return "attrs-generated methods"
    if filename.startswith("<cattrs generated"):
        return "cattrs-generated code"
    return "other"


Split = dict[str, tuple[float, float]]


def by_package(stats: pstats.Stats) -> Split:
    """Profiled seconds per package: (its own Python code, the C functions it called).

    A C function's time (a builtin, a syscall, orjson) goes to the packages of its
    callers, in proportion to the time each caller's calls took.
    """
    python: dict[str, float] = defaultdict(float)
    native: dict[str, float] = defaultdict(float)
    entries = stats.stats  # type: ignore[attr-defined]
    for (filename, _, _), (_, _, tottime, _, callers) in entries.items():
        if filename != "~":
            python[package_of(filename)] += tottime
            continue
        shares = {key: edge[2] for key, edge in callers.items()}
        weight = sum(shares.values())
        if not weight:
            native["unknown caller"] += tottime
            continue
        for (caller_file, _, _), share in shares.items():
            caller = package_of(caller_file) if caller_file != "~" else "C functions"
            native[caller] += tottime * share / weight
    return {p: (python.get(p, 0.0), native.get(p, 0.0)) for p in {*python, *native}}


def sdk_functions(stats: pstats.Stats, top: int) -> list[tuple[str, int, float, float]]:
    """The SDK's own functions with the most tottime: (name, calls, tottime, cumtime)."""
    rows = [
        (f"{filename[len(SDK_DIR) :]}:{line} {function}", calls, tottime, cumtime)
        for (filename, line, function), (_, calls, tottime, cumtime, _) in stats.stats.items()  # type: ignore[attr-defined]
        if filename.startswith(SDK_DIR)
    ]
    rows.sort(key=lambda row: row[2], reverse=True)
    return rows[:top]


# --- report -----------------------------------------------------------------------------


def main() -> None:
    options = arguments()
    sessions, events, concurrency = options.sessions, options.events, options.concurrency
    spec = DataSpec(seed=0, exams=4, sessions_per_exam=-(-sessions // 4))
    refs = session_refs(spec.generate())[:sessions]
    extra = ("--latency", "0", "--big-session-events", str(events))
    with fake_api(spec, *extra) as fake:
        big = fake.big_session
        assert big is not None
        workloads = [
            Workload(
                f"(a) details-only bulk, {sessions} sessions, C = {concurrency}",
                lambda: sdk_bulk(fake, refs, concurrency),
                lambda: raw_bulk(fake, refs, concurrency),
                sessions,
                sessions,
            ),
            Workload(
                f"(b) one list, {events} events, page size {PAGE_SIZE}",
                lambda: sdk_list(fake, big),
                lambda: raw_list(fake, big),
                pages_needed(events, PAGE_SIZE),
                events,
                floor=lambda: floor_list(fake, big),
            ),
        ]
        timings = interleaved(workloads, options.repeat, fake)
        sent = {w.name: count_sdk_requests(w.sdk) for w in workloads}
        profiles = {(w.name, side): profiled(getattr(w, side)) for w in workloads for side in SIDES}

    print(
        f"fake API in its own process, latency 0; client CPU = time.process_time() of this "
        f"process; median of {options.repeat} runs after a warm-up, interleaved"
    )
    results: list[tuple[str, float, float]] = []
    for workload in workloads:
        print()
        print(workload.name)
        rows = []
        per_request: dict[str, float] = {}
        for side in workload.contenders():
            runs = timings[f"{workload.name}/{side}"]
            if any(t.value != workload.items for t in runs):
                print(f"WARNING: {side} read {runs[0].value} items, not {workload.items}")
            cpu = median([t.cpu for t in runs])
            per_request[side] = cpu / workload.requests * 1e6
            rows.append(
                (
                    LABELS[side],
                    per_request[side],
                    median([t.user for t in runs]) / workload.requests * 1e6,
                    median([t.system for t in runs]) / workload.requests * 1e6,
                    median([t.wall for t in runs]),
                    median([t.server_cpu for t in runs]) / workload.requests * 1e6,
                    sent[workload.name] if side == "sdk" else workload.requests,
                    " ".join(f"{t.cpu:.3f}" for t in runs),
                )
            )
        ratio = per_request["sdk"] / per_request["raw"]
        user = {
            side: median([t.user for t in timings[f"{workload.name}/{side}"]]) for side in SIDES
        }
        headers = ["contender", "CPU us/req", "user us/req", "system us/req", "wall s"]
        print_table([*headers, "server CPU us/req", "requests sent", "runs, CPU s"], rows)
        print(
            f"SDK / raw: client CPU per request {ratio:.2f}x "
            f"(+{per_request['sdk'] - per_request['raw']:.0f} us per request); user CPU alone "
            f"{user['sdk'] / user['raw']:.2f}x"
        )
        if "floor" in per_request:
            floor, raw = per_request["floor"], per_request["raw"]
            print(
                f"raw + one plain object per record / raw: {floor / raw:.2f}x; SDK / that: "
                f"{per_request['sdk'] / floor:.2f}x (the objects alone cost "
                f"+{floor - raw:.0f} us per request)"
            )
        if "floor" in per_request:
            results.append(
                (
                    f"{workload.name}: SDK <= {TARGET_FLOOR}x the floor",
                    per_request["sdk"] / per_request["floor"],
                    TARGET_FLOOR,
                )
            )
        else:
            results.append((f"{workload.name}: SDK <= {TARGET_RAW}x raw", ratio, TARGET_RAW))

    print()
    print("diagnosis (one more run of each under cProfile; profiled times are inflated):")
    for workload in workloads:
        report_profile(workload, profiles, options.top)

    print()
    print("targets:")
    for name, ratio, target in results:
        verdict(f"{name}, CPU per request ({ratio:.2f}x)", ratio <= target)


def report_profile(
    workload: Workload, profiles: dict[tuple[str, str], pstats.Stats], top: int
) -> None:
    """Print the per-package split of both sides and the SDK's costliest functions."""
    per = 1e6 / workload.requests
    sdk_split = by_package(profiles[(workload.name, "sdk")])
    raw_split = by_package(profiles[(workload.name, "raw")])
    nothing = (0.0, 0.0)
    sdk_total = sum(map(sum, sdk_split.values()))
    raw_total = sum(map(sum, raw_split.values()))
    packages = sorted(
        set(sdk_split) | set(raw_split), key=lambda p: -sum(sdk_split.get(p, nothing))
    )
    rows: list[tuple[object, ...]] = []
    for package in packages:
        sdk_py, sdk_c = sdk_split.get(package, nothing)
        raw_py, raw_c = raw_split.get(package, nothing)
        if max(sdk_py + sdk_c, raw_py + raw_c) * per < 1.0:
            continue
        rows.append(
            (
                package,
                sdk_py * per,
                sdk_c * per,
                f"{(sdk_py + sdk_c) / sdk_total:.0%}",
                raw_py * per,
                raw_c * per,
                (sdk_py + sdk_c - raw_py - raw_c) * per,
            )
        )
    column = [
        sum(part[i] for part in split.values()) * per
        for split in (sdk_split, raw_split)
        for i in (0, 1)
    ]
    rows.append(
        ("total", column[0], column[1], "100%", column[2], column[3], (sdk_total - raw_total) * per)
    )
    print()
    print(
        f"{workload.name}: profiled CPU us per request by package; 'C' is the C "
        "functions (builtins, syscalls, orjson) the package called"
    )
    headers = ["package", "SDK Python", "SDK C", "SDK share", "raw Python", "raw C"]
    print_table([*headers, "SDK - raw"], rows)
    print()
    print(
        f"{workload.name}: the SDK's own functions by tottime (top {top}; cProfile counts "
        "each resumption of a coroutine as a call)"
    )
    functions = sdk_functions(profiles[(workload.name, "sdk")], top)
    print_table(
        ["function", "calls", "calls/req", "tottime us/req", "cumtime us/req"],
        [
            (name, calls, calls / workload.requests, tottime * per, cumtime * per)
            for name, calls, tottime, cumtime in functions
        ],
    )


def arguments() -> argparse.Namespace:
    """The command line."""
    cli = parser(__doc__)
    cli.add_argument("--sessions", type=int, default=None, help="N for (a) (default 2,000)")
    cli.add_argument("--events", type=int, default=None, help="E for (b) (default 20,000)")
    cli.add_argument("--concurrency", type=int, default=32, help="C for (a)")
    cli.add_argument("--repeat", type=int, default=None, help="measured rounds (default 5)")
    cli.add_argument("--top", type=int, default=15, help="SDK functions shown per workload")
    cli.add_argument("--quick", action="store_true", help="N = 500, E = 10,000, 3 rounds")
    options = cli.parse_args()
    if options.sessions is None:
        options.sessions = 500 if options.quick else 2_000
    if options.events is None:
        options.events = 10_000 if options.quick else 20_000
    if options.repeat is None:
        options.repeat = 3 if options.quick else 5
    return options


if __name__ == "__main__":
    main()
