"""Per-item cost: read one session's 20,000 events, SDK vs the best hand-written reader.

What it measures
    One session with 20,000 events on the fake API (in its own process; no latency, no
    page cap), read at each page size of ``--page-sizes`` (default 50 and 500: 400 and
    40 requests) by
      - bare+orjson+ahead, the main baseline and the strongest reader a user could write
        by hand: aiohttp, ``orjson.loads``, ``total`` from page one, then the remaining
        pages requested 4 at a time ahead of the one being read, in order, and no
        trailing empty request (``_common.read_ahead``); it keeps the dicts;
      - bare (json): the plain offset loop, one page at a time, ``json.loads`` (stops at
        ``offset >= total``); the issue's wall-time target is stated against it;
      - bare+orjson: that loop decoding with orjson (extra row: it separates the
        decoder's share from the fetching ahead's);
      - SDK: ``[e async for e in session.events()]``, every record decoded into an
        ``EventReport`` model (orjson when importable, 4 pages fetched ahead).
    For each: wall time and client CPU time (``time.process_time``) per item, the median
    of ``--runs`` runs after one warm-up, the contenders interleaved round by round; the
    ratios to the main baseline and to the bare (json) loop.

    Then the SDK again in child processes, each with its own warm-up and runs: the
    working tree's; "today's SDK", the package as of ``--reference`` (default: the
    commit before the issue's "lean request path" work; exported with ``git archive``,
    nothing in the checkout changes), for the CPU ratio new/today like for like; and at
    the first page size the working tree's with an import blocker for orjson
    (``sys.modules['orjson'] = None`` before the SDK is imported), to show what the
    optional orjson extra buys. Last, a diagnosis: the CPU the SDK spends per item
    beyond the main baseline (same decoder, same fetching ahead), and how much of it is
    decoding records into models alone (no I/O).

Targets (page size 500, as the issue states them)
    SDK wall time per item <= 1.2 x the bare aiohttp + json loop's.
    Client CPU per item: reported, SDK / today's SDK and SDK / bare+orjson+ahead.

Run
    python benchmarks/per_item.py                  # ~2 min on a busy 2-core machine
    python benchmarks/per_item.py --quick          # 5,000 events, 3 runs: ~30 s
    python benchmarks/per_item.py --page-sizes 500 --reference HEAD
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
from _common import (
    REFERENCE_REVISION,
    DataSpec,
    exported_package,
    fake_api,
    import_from,
    median,
    package_revision,
    parser,
    print_table,
    read_ahead,
    run_child,
    verdict,
)

import smarterproctoring_async as sp

SESSION_PATH = "/v1/installs/{}/exams/{}/sessions/{}"
BLOCK_ORJSON = "sys.modules['orjson'] = None  # the SDK must fall back to json"
#: The page size the issue's targets are stated at.
TARGET_PAGE_SIZE = 500
MAIN = "bare+orjson+ahead"
BARE_JSON = "bare (json)"


@dataclass(frozen=True)
class Run:
    """One read of the whole session: records read, wall and CPU seconds."""

    items: int
    wall: float
    cpu: float


def events_path(ref: sp.SessionRef) -> str:
    """The events path of a session."""
    return SESSION_PATH.format(ref.install_sid, ref.exam_sid, ref.session_sid) + "/events"


async def bare(
    base_url: str, token: str, ref: sp.SessionRef, page_size: int, loads: Callable[[bytes], Any]
) -> Run:
    """An offset loop, one page at a time, that decodes with ``loads`` and keeps the dicts."""
    path = events_path(ref)
    records: list[dict[str, Any]] = []
    async with aiohttp.ClientSession(base_url, headers={"token": token}) as http:
        wall, cpu = time.perf_counter(), time.process_time()
        while True:
            params = {"offset": len(records), "limit": page_size}
            async with http.get(path, params=params) as response:
                response.raise_for_status()
                page = loads(await response.read())
            records += page["results"]
            if not page["results"] or len(records) >= page["total"]:
                break
        return Run(len(records), time.perf_counter() - wall, time.process_time() - cpu)


async def bare_ahead(
    base_url: str, token: str, ref: sp.SessionRef, page_size: int, loads: Callable[[bytes], Any]
) -> Run:
    """The main baseline: ``total`` from page one, then 4 pages fetched ahead, in order."""
    async with aiohttp.ClientSession(base_url, headers={"token": token}) as http:
        wall, cpu = time.perf_counter(), time.process_time()
        records, _ = await read_ahead(http, events_path(ref), page_size, loads)
        return Run(len(records), time.perf_counter() - wall, time.process_time() - cpu)


async def sdk(base_url: str, token: str, ref: sp.SessionRef, page_size: int) -> Run:
    """The SDK's paginator, every record decoded into an ``EventReport``."""
    client = sp.Client(token, base_url=base_url, rate_limit=None, page_size=page_size)
    async with client:
        session = client.session(ref)
        wall, cpu = time.perf_counter(), time.process_time()
        events = [event async for event in session.events()]
        return Run(len(events), time.perf_counter() - wall, time.process_time() - cpu)


def decode_only_us(events: int, runs: int) -> float | None:
    """CPU microseconds per record of the SDK's EventReport decoding alone (no I/O, no
    paging), on the same records the fake serves; ``None`` if the private decoder moved."""
    try:
        from smarterproctoring_async.models import decoder as decoder_for
    except ImportError:
        try:  # releases before the models package
            from smarterproctoring_async._convert import decoder_for  # type: ignore[no-redef]
        except ImportError:
            return None
    data = DataSpec(seed=0, exams=1, sessions_per_exam=1).generate()
    records = list(data.add_session(events=events).events)
    decode = decoder_for(sp.EventReport)
    times: list[float] = []
    for _ in range(runs + 1):  # the first is a warm-up
        cpu = time.process_time()
        for record in records:
            decode(record)
        times.append(time.process_time() - cpu)
    return median(times[1:]) / events * 1e6


def sdk_decoder() -> str:
    """The JSON decoder the SDK picked at import (a private detail, read for the report)."""
    decoding = sys.modules.get("smarterproctoring_async._json")
    if decoding is None:
        return "unknown"
    return "orjson.loads" if getattr(decoding, "orjson", None) else "json.loads"


@dataclass(frozen=True)
class Contender:
    """A named way of reading the session."""

    name: str
    read: Callable[[], Any]


def measure_all(contenders: list[Contender], runs: int) -> dict[str, list[Run]]:
    """One warm-up run of each, then ``runs`` rounds, contenders interleaved per round."""
    for contender in contenders:
        asyncio.run(contender.read())
    results: dict[str, list[Run]] = {c.name: [] for c in contenders}
    for _ in range(runs):
        for contender in contenders:
            results[contender.name].append(asyncio.run(contender.read()))
    return results


def child(options: argparse.Namespace) -> None:
    """Child mode: time the SDK against an already running fake; print one JSON line."""
    ref = sp.SessionRef(*options.child)
    size = options.page_sizes[0]
    read = Contender("SDK", lambda: sdk(options.base_url, options.token, ref, size))
    runs = measure_all([read], options.runs)["SDK"]
    report = {
        "decoder": sdk_decoder(),
        "package": sp.__file__,
        "runs": [[r.items, r.wall, r.cpu] for r in runs],
    }
    print(json.dumps(report))


@dataclass(frozen=True)
class SizeResult:
    """Per-item medians (wall, CPU in microseconds) of every reader at one page size."""

    page_size: int
    per_item: dict[str, tuple[float, float]]
    items: dict[str, int]


def main() -> None:
    options = arguments()
    if options.child:
        child(options)
        return
    import orjson  # here, not at the top: the child that blocks orjson imports this file

    events, runs = options.events, options.runs
    reference = None if options.reference.lower() == "none" else options.reference
    reference_name = f"SDK @{package_revision(reference)} (today's)" if reference else ""
    # A tiny base data set: the one big session is what is read.
    spec = DataSpec(seed=0, exams=1, sessions_per_exam=1)
    extra = ("--latency", "0", "--big-session-events", str(events))
    results: list[SizeResult] = []
    with (
        fake_api(spec, *extra) as fake,
        exported(reference) as reference_dir,
    ):
        assert fake.big_session is not None
        url, token, ref = fake.base_url, fake.token, fake.big_session
        for index, size in enumerate(options.page_sizes):

            def contenders(size: int = size) -> list[Contender]:
                return [
                    Contender(MAIN, lambda: bare_ahead(url, token, ref, size, orjson.loads)),
                    Contender(BARE_JSON, lambda: bare(url, token, ref, size, json.loads)),
                    Contender("bare+orjson", lambda: bare(url, token, ref, size, orjson.loads)),
                    Contender("SDK", lambda: sdk(url, token, ref, size)),
                ]

            measured = measure_all(contenders(), runs)
            child_args = [*("--base-url", url, "--token", token, "--page-sizes", str(size))]
            child_args += ["--runs", str(runs), "--child", *ref_words(ref)]
            reports = {"SDK, child": run_child(__file__, child_args)}
            if reference_dir is not None:
                prelude = import_from(reference_dir)
                reports[f"{reference_name}, child"] = run_child(
                    __file__, child_args, python_prelude=prelude
                )
            if index == 0 and not options.quick:
                reports["SDK, child, no orjson"] = run_child(
                    __file__, child_args, python_prelude=BLOCK_ORJSON
                )
            for name, report in reports.items():
                measured[name] = child_runs(report)
                if "no orjson" in name and not report["decoder"].startswith("json"):
                    print(f"WARNING: {name} decoded with {report['decoder']}")
            if reference_dir is not None:
                loaded = reports[f"{reference_name}, child"]["package"]
                if not loaded.startswith(reference_dir):
                    print(f"WARNING: the reference child imported {loaded}")
            results.append(
                SizeResult(
                    size,
                    {name: per_item_us(runs_) for name, runs_ in measured.items()},
                    {name: runs_[0].items for name, runs_ in measured.items()},
                )
            )

    print(
        f"one session, {events} events, latency 0, no page cap; median of {runs} runs "
        f"after a warm-up; SDK decoder in this process: {sdk_decoder()}; main baseline: "
        f"{MAIN} (total from page one, 4 pages ahead, in order)"
    )
    for result in results:
        report_size(result, events)

    decoding = decode_only_us(events, runs)
    print()
    print("diagnosis:")
    for result in results:
        per_item = result.per_item
        extra_cpu = per_item["SDK"][1] - per_item[MAIN][1]
        line = (
            f"  page size {result.page_size}: the SDK spends {extra_cpu:.1f} us CPU per item "
            f"more than {MAIN} (same decoder, same fetching ahead)"
        )
        if decoding is not None and extra_cpu > 0:
            rest = extra_cpu - decoding
            line += (
                f"; decoding into EventReport models alone (no I/O) costs {decoding:.1f} us "
                f"per item ({decoding / extra_cpu:.0%} of that); the rest, {rest:.1f} us per "
                f"item or {rest * result.page_size:.0f} us per page, is the SDK's other work "
                "(requests, paging, SID de-duplication, collecting the models' garbage; "
                "benchmarks/throughput.py profiles it)"
            )
        print(line)

    print()
    target = next((r for r in results if r.page_size == TARGET_PAGE_SIZE), None)
    if target is None:
        print(f"targets: page size {TARGET_PAGE_SIZE} not measured (--page-sizes)")
        return
    per_item = target.per_item
    sdk_wall, sdk_cpu = per_item["SDK"]
    print(f"targets (page size {TARGET_PAGE_SIZE}):")
    base_wall = per_item[BARE_JSON][0]
    verdict(
        f"SDK wall per item <= 1.2x the bare aiohttp + json loop ({sdk_wall / base_wall:.2f}x)",
        sdk_wall <= 1.2 * base_wall,
    )
    print(f"reported (page size {TARGET_PAGE_SIZE}):")
    main_wall, main_cpu = per_item[MAIN]
    print(f"  SDK wall per item / {MAIN}: {sdk_wall / main_wall:.2f}x")
    print(f"  SDK CPU per item / {MAIN}: {sdk_cpu / main_cpu:.2f}x")
    today = per_item.get(f"{reference_name}, child")
    if today is not None:
        now = per_item["SDK, child"]
        print(
            f"  SDK CPU per item / {reference_name}: {now[1] / today[1]:.2f}x "
            f"({now[1]:.1f} vs {today[1]:.1f} us, both in a fresh child process; "
            f"wall {now[0] / today[0]:.2f}x)"
        )


def report_size(result: SizeResult, events: int) -> None:
    """Print one page size's table."""
    per_item, size = result.per_item, result.page_size
    print()
    print(f"page size {size} ({-(-events // size)} pages):")
    main_wall, main_cpu = per_item[MAIN]
    json_wall = per_item[BARE_JSON][0]
    rows = [
        (name, wall, cpu, wall / main_wall, cpu / main_cpu, wall / json_wall, round(1e6 / wall))
        for name, (wall, cpu) in per_item.items()
    ]
    headers = ["reader", "wall us/item", "CPU us/item", "wall / main", "CPU / main"]
    print_table([*headers, "wall / bare json", "items/s"], rows)
    for name, items in result.items.items():
        if items != events:
            print(f"WARNING: {name} read {items} records, not {events}")


@contextlib.contextmanager
def exported(revision: str | None) -> Iterator[str | None]:
    """The reference package's directory (``None`` when no reference is wanted)."""
    if revision is None:
        yield None
        return
    with exported_package(revision) as directory:
        yield directory


def ref_words(ref: sp.SessionRef) -> list[str]:
    """The three SIDs of a ref, for a command line."""
    return [ref.install_sid, ref.exam_sid, ref.session_sid]


def child_runs(report: dict[str, Any]) -> list[Run]:
    """The runs a child process reported."""
    return [Run(int(items), wall, cpu) for items, wall, cpu in report["runs"]]


def per_item_us(runs: list[Run]) -> tuple[float, float]:
    """Median wall and CPU microseconds per record."""
    return (
        median([r.wall / r.items * 1e6 for r in runs]),
        median([r.cpu / r.items * 1e6 for r in runs]),
    )


def arguments() -> argparse.Namespace:
    """The command line."""
    cli = parser(__doc__)
    cli.add_argument("--events", type=int, default=None, help="events (default 20,000)")
    cli.add_argument(
        "--page-sizes", type=int, nargs="+", default=[50, TARGET_PAGE_SIZE], metavar="N"
    )
    cli.add_argument("--runs", type=int, default=None, help="measured runs (default 5)")
    cli.add_argument(
        "--reference", default=REFERENCE_REVISION,
        help="git revision of today's SDK, timed in a child process ('none': skip)",
    )  # fmt: skip
    cli.add_argument(
        "--quick", action="store_true",
        help="5,000 events, 3 runs, no orjson-blocked child",
    )  # fmt: skip
    # Child mode (used by the script itself): read a session of an already running fake.
    cli.add_argument("--child", nargs=3, metavar="SID", help=argparse.SUPPRESS)
    cli.add_argument("--base-url", help=argparse.SUPPRESS)
    cli.add_argument("--token", help=argparse.SUPPRESS)
    options = cli.parse_args()
    if options.events is None:
        options.events = 5_000 if options.quick else 20_000
    if options.runs is None:
        options.runs = 3 if options.quick else 5
    return options


if __name__ == "__main__":
    main()
