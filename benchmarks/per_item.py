"""Per-item cost: read one session's 20,000 events, SDK models vs a bare offset loop.

What it measures
    One session with 20,000 events on the fake API (no latency, no page cap), read at
    50 records a page (400 requests) by
      - bare: an aiohttp offset loop that ``json.loads`` each page and keeps the dicts
        (stops at ``offset >= total``, so it sends the same 400 requests as the SDK);
      - bare+orjson: the same loop decoding with ``orjson.loads`` (for reference: it
        separates the JSON decoder's share from the models' share);
      - SDK: ``[e async for e in session.events()]``, which decodes every record into an
        ``EventReport`` model (and uses orjson when it can import it).
    For each: wall time and client CPU time (``time.process_time``) per item, the median
    of ``--runs`` runs after one warm-up run, and the SDK/bare ratios. Then the SDK runs
    again in two child processes, one with orjson importable and one with an import
    blocker for it (``sys.modules['orjson'] = None`` before the SDK is imported), to show
    what the optional orjson extra buys.

Target
    SDK per-item cost <= 1.2 x the bare loop's (wall and CPU).

Run
    python benchmarks/per_item.py                 # ~25 s
    python benchmarks/per_item.py --events 5000 --runs 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from _common import DataSpec, fake_api, median, parser, print_table, run_child, verdict

import smarterproctoring_async as sp

SESSION_PATH = "/v1/installs/{}/exams/{}/sessions/{}"
BLOCK_ORJSON = "sys.modules['orjson'] = None  # the SDK must fall back to json"


@dataclass(frozen=True)
class Run:
    """One read of the whole session: records read, wall and CPU seconds."""

    items: int
    wall: float
    cpu: float


async def bare(
    base_url: str, token: str, ref: sp.SessionRef, page_size: int, loads: Callable[[bytes], Any]
) -> Run:
    """An offset loop that decodes each page with ``loads`` and keeps the dicts."""
    path = SESSION_PATH.format(ref.install_sid, ref.exam_sid, ref.session_sid) + "/events"
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
        from smarterproctoring_async._convert import decoder_for
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
    transport = sys.modules.get("smarterproctoring_async._transport")
    loads = getattr(transport, "_loads", None)
    return f"{getattr(loads, '__module__', '?')}.loads" if loads else "unknown"


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
    read = Contender("SDK", lambda: sdk(options.base_url, options.token, ref, options.page_size))
    runs = measure_all([read], options.runs)["SDK"]
    report = {"decoder": sdk_decoder(), "runs": [[r.items, r.wall, r.cpu] for r in runs]}
    print(json.dumps(report))


def main() -> None:
    options = arguments()
    if options.child:
        child(options)
        return
    import orjson  # here, not at the top: the child that blocks orjson imports this file

    size, runs = options.page_size, options.runs
    # A tiny base data set: the one big session is what is read.
    spec = DataSpec(seed=0, exams=1, sessions_per_exam=1)
    extra = ("--latency", "0", "--big-session-events", str(options.events))
    with fake_api(spec, *extra) as fake:
        assert fake.big_session is not None
        url, token, ref = fake.base_url, fake.token, fake.big_session
        contenders = [
            Contender("bare (json)", lambda: bare(url, token, ref, size, json.loads)),
            Contender("bare+orjson", lambda: bare(url, token, ref, size, orjson.loads)),
            Contender("SDK", lambda: sdk(url, token, ref, size)),
        ]
        results = measure_all(contenders, runs)
        child_args = [*("--base-url", url, "--token", token, "--page-size", str(size))]
        child_args += ["--runs", str(runs), "--child", *ref_words(ref)]
        with_orjson = run_child(__file__, child_args)
        without = run_child(__file__, child_args, python_prelude=BLOCK_ORJSON)

    for name, measured in results.items():
        if any(r.items != options.events for r in measured):
            print(f"WARNING: {name} read {measured[0].items} records, not {options.events}")
    print(
        f"one session, {options.events} events, page size {size} "
        f"({-(-options.events // size)} requests), latency 0, no page cap; "
        f"median of {runs} runs after a warm-up; SDK decoder in this process: {sdk_decoder()}"
    )
    print()
    per_item = {name: per_item_us(measured) for name, measured in results.items()}
    children = {
        f"SDK, child, {with_orjson['decoder']}": child_runs(with_orjson),
        f"SDK, child, {without['decoder']}": child_runs(without),
    }
    per_item.update({name: per_item_us(measured) for name, measured in children.items()})
    base_wall, base_cpu = per_item["bare (json)"]
    rows = [
        (name, wall, cpu, wall / base_wall, cpu / base_cpu, round(1e6 / wall))
        for name, (wall, cpu) in per_item.items()
    ]
    headers = ["reader", "wall us/item", "CPU us/item", "wall / bare", "CPU / bare"]
    print_table([*headers, "items/s"], rows)

    sdk_wall, sdk_cpu = per_item["SDK"]
    fast, slow = (per_item[name] for name in children)
    print()
    print(f"SDK / bare: wall {sdk_wall / base_wall:.2f}x, CPU {sdk_cpu / base_cpu:.2f}x")
    print(
        f"orjson in the SDK: CPU per item {slow[1]:.1f} us without, {fast[1]:.1f} us with "
        f"({slow[1] / fast[1]:.2f}x)"
    )
    decoding = decode_only_us(options.events, runs)
    if decoding is not None:
        same = "bare+orjson" if sdk_decoder().startswith("orjson") else "bare (json)"
        extra_cpu = sdk_cpu - per_item[same][1]
        rest = extra_cpu - decoding
        print(
            f"diagnosis: the SDK spends {extra_cpu:.1f} us CPU per item more than {same} "
            f"(same JSON decoder); decoding into EventReport models alone (no I/O) costs "
            f"{decoding:.1f} us per item ({decoding / extra_cpu:.0%} of that); the rest, "
            f"{rest:.1f} us per item or {rest * size:.0f} us per page, is requests, "
            f"paging and SID de-duplication"
        )
    print()
    print("targets:")
    verdict(
        f"SDK wall per item <= 1.2x bare ({sdk_wall / base_wall:.2f}x)", sdk_wall <= 1.2 * base_wall
    )
    verdict(f"SDK CPU per item <= 1.2x bare ({sdk_cpu / base_cpu:.2f}x)", sdk_cpu <= 1.2 * base_cpu)


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
    cli.add_argument("--events", type=int, default=20_000, help="events in the session")
    cli.add_argument("--page-size", type=int, default=50)
    cli.add_argument("--runs", type=int, default=5, help="measured runs (median shown)")
    # Child mode (used by the script itself): read a session of an already running fake.
    cli.add_argument("--child", nargs=3, metavar="SID", help=argparse.SUPPRESS)
    cli.add_argument("--base-url", help=argparse.SUPPRESS)
    cli.add_argument("--token", help=argparse.SUPPRESS)
    return cli.parse_args()


if __name__ == "__main__":
    main()
