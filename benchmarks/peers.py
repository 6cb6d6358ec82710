"""The SDK against its peers: client CPU per record and per request, medians of rounds.

What it measures
    The fake API runs in its own process (latency 0, no page cap), so its CPU is not
    charged to the client; client CPU is ``time.process_time()`` around each run, on a
    fresh event loop. Every contender of a table runs once a round, interleaved, after
    one warm-up round; the figures are medians over the rounds, with their range.

    (a) per record, end to end: one session's events list (``--events``, default
        20,000) at page size 50 and 500, every page read 4 ahead (``read_ahead``), by
          - raw: aiohttp + ``orjson.loads``, the dicts kept (the unit, 1.00x);
          - floor: raw + one ``SimpleNamespace(**record)`` per record;
          - SDK: ``[e async for e in client.session(ref).events()]`` (EventReport models);
          - pydantic: raw + ``EventRow.model_validate(record)`` per record, a pydantic v2
            BaseModel with the documented event fields typed (dates as datetime),
            ``extra="allow"``;
          - msgspec: each page decoded from bytes into Structs with the same fields.
        Column "/ pydantic" is the issue's "Per record" target: SDK <= 0.8x.
    (b) CPU per request:
          - details-only bulk of ``--sessions`` (1,000) sessions at C = ``--concurrency``
            (32): raw (aiohttp, a Semaphore, orjson), SDK
            (``gather_session_results(events=False, annotations=False)``), pydantic (raw
            + ``model_validate`` of the documented session fields), httpx (AsyncClient);
          - one list of 400 pages of 50 (the big session's 20,000 events): raw (read
            ahead), floor, SDK, pydantic, httpx (read ahead too).
        CPU per request = client CPU / the fewest requests the workload needs.

    pydantic, msgspec and httpx are optional (``pip install -e '.[bench]'``): a contender
    whose library is missing is skipped, and the output says so.

Run
    python benchmarks/peers.py             # ~3 min on a busy 2-core machine
    python benchmarks/peers.py --quick     # 5,000 events, 300 sessions, 3 rounds: < 1 min
    PYTHONPATH=/tmp/old python benchmarks/peers.py   # another copy of the SDK, same peers
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import statistics
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any, Optional, get_args

import aiohttp
import attrs
import orjson
from _common import DataSpec, Fake, fake_api, measure, pages_needed, parser, print_table
from _common import session_refs as all_refs

import smarterproctoring_async as sp
from smarterproctoring_async.models import wire_names

SESSION_PATH = "/v1/installs/{}/exams/{}/sessions/{}"
AHEAD = 4
LIST_PAGE = 50
Run = Callable[[], Awaitable[float]]  # a run: returns the client CPU seconds it measured


def optional(name: str) -> Any:
    """The module, or ``None`` when the bench extra is not installed."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


pydantic, msgspec, httpx = optional("pydantic"), optional("msgspec"), optional("httpx")


def peer_fields(model: type[sp.Model]) -> list[tuple[str, Any]]:
    """(wire name, annotation) of a model's documented fields, for the peers' models:
    the same fields typed the same way (a JSON value as Any)."""
    found = []
    kinds = {f.name: f.type for f in attrs.fields(model)}
    for attribute, wire in wire_names(model).items():
        kind = kinds[attribute]
        members = [m for m in get_args(kind) if m is not type(None)]
        simple = len(members) == 1 and members[0] in (str, int, float, bool, datetime)
        found.append((wire, Optional[members[0]] if simple else Any))  # noqa: UP045
    return found


def pydantic_model(model: type[sp.Model]) -> Any:
    fields = {wire: (kind, None) for wire, kind in peer_fields(model)}
    config = pydantic.ConfigDict(extra="allow")
    return pydantic.create_model(f"P{model.__name__}", __config__=config, **fields)


def msgspec_page(model: type[sp.Model]) -> Any:
    row = msgspec.defstruct(f"M{model.__name__}", [(w, k, None) for w, k in peer_fields(model)])
    return msgspec.json.Decoder(
        msgspec.defstruct("MPage", [("results", list[row]), ("total", int)])
    )


def path_of(ref: sp.SessionRef) -> str:
    return SESSION_PATH.format(ref.install_sid, ref.exam_sid, ref.session_sid)


async def read_ahead(
    get: Callable[[int], Awaitable[bytes]], parse: Callable[[bytes], tuple[list[Any], int]]
) -> list[Any]:
    """Every record of a list: page one gives ``total``, then ``AHEAD`` pages in flight,
    read in order (what a careful user writes by hand; the SDK fetches ahead too)."""
    records, total = parse(await get(0))
    stride = len(records)
    offsets = iter(range(stride, total, stride or total))
    pending: deque[asyncio.Task[bytes]] = deque()
    for offset in offsets:
        pending.append(asyncio.ensure_future(get(offset)))
        if len(pending) >= AHEAD:
            break
    while pending:
        body = await pending.popleft()
        offset = next(offsets, -1)
        if offset >= 0:
            pending.append(asyncio.ensure_future(get(offset)))
        records += parse(body)[0]
    return records


def orjson_page(body: bytes) -> tuple[list[Any], int]:
    page = orjson.loads(body)
    return page["results"], page["total"]


class Peers:
    """The contenders, against one running fake."""

    def __init__(self, fake: Fake, events: int, refs: Sequence[sp.SessionRef], c: int) -> None:
        assert fake.big_session is not None
        self.fake, self.events, self.refs, self.c = fake, events, refs, c
        self.list_path = path_of(fake.big_session) + "/events"
        self.headers = {"token": fake.token}
        self.p_event = pydantic_model(sp.EventReport) if pydantic else None
        self.p_session = pydantic_model(sp.ExamSession) if pydantic else None
        self.m_page = msgspec_page(sp.EventReport) if msgspec else None

    def aiohttp_list(self, size: int, parse: Callable[[bytes], Any], per: Any = None) -> Run:
        async def run() -> float:
            async with aiohttp.ClientSession(self.fake.base_url, headers=self.headers) as http:

                async def get(offset: int) -> bytes:
                    params = {"offset": offset, "limit": size}
                    async with http.get(self.list_path, params=params) as response:
                        response.raise_for_status()
                        return await response.read()

                cpu = time.process_time()
                records = await read_ahead(get, parse)
                kept = records if per is None else [per(r) for r in records]
                cpu = time.process_time() - cpu
            assert len(kept) == self.events, len(kept)
            return cpu

        return run

    def sdk_list(self, size: int) -> Run:
        async def run() -> float:
            client = sp.Client(
                self.fake.token, base_url=self.fake.base_url, rate_limit=None, page_size=size
            )
            async with client:
                assert self.fake.big_session is not None
                session = client.session(self.fake.big_session)
                cpu = time.process_time()
                kept = [event async for event in session.events()]
                cpu = time.process_time() - cpu
            assert len(kept) == self.events, len(kept)
            return cpu

        return run

    def httpx_list(self, size: int, per: Any = None) -> Run:
        async def run() -> float:
            async with httpx.AsyncClient(base_url=self.fake.base_url, headers=self.headers) as h:

                async def get(offset: int) -> bytes:
                    params = {"offset": offset, "limit": size}
                    response = await h.get(self.list_path, params=params)
                    response.raise_for_status()
                    return bytes(response.content)

                cpu = time.process_time()
                records = await read_ahead(get, orjson_page)
                cpu = time.process_time() - cpu
            assert len(records) == self.events, len(records)
            return cpu

        return run

    def per_record(self, size: int) -> dict[str, Run | None]:
        """Table (a)'s contenders at one page size (``None``: library missing)."""
        pv = self.p_event.model_validate if self.p_event else None
        return {
            "raw aiohttp+orjson": self.aiohttp_list(size, orjson_page),
            "floor (raw + SimpleNamespace)": self.aiohttp_list(
                size, orjson_page, lambda r: SimpleNamespace(**r)
            ),
            "SDK": self.sdk_list(size),
            "pydantic v2 hand client": self.aiohttp_list(size, orjson_page, pv) if pv else None,
            "msgspec Structs": self.aiohttp_list(size, self.msgspec_parse) if msgspec else None,
        }

    def msgspec_parse(self, body: bytes) -> tuple[list[Any], int]:
        page = self.m_page.decode(body)
        return page.results, page.total

    # --- (b) bulk, whole runs timed (client set-up included) ---

    async def raw_bulk(self, validate: Any = None) -> int:
        slots = asyncio.Semaphore(self.c)
        connector = aiohttp.TCPConnector(limit=self.c)
        async with aiohttp.ClientSession(
            self.fake.base_url, headers=self.headers, connector=connector
        ) as http:

            async def get(ref: sp.SessionRef) -> Any:
                async with slots, http.get(path_of(ref)) as response:
                    response.raise_for_status()
                    record = orjson.loads(await response.read())
                    return record if validate is None else validate(record)

            return len(await asyncio.gather(*(get(ref) for ref in self.refs)))

    async def sdk_bulk(self) -> int:
        client = sp.Client(
            self.fake.token, base_url=self.fake.base_url, rate_limit=None, max_concurrency=self.c
        )
        async with client:
            results = await client.gather_session_results(
                self.refs, events=False, annotations=False
            )
        return sum(1 for r in results if r.session is not None)

    async def httpx_bulk(self) -> int:
        slots = asyncio.Semaphore(self.c)
        limits = httpx.Limits(max_connections=self.c, max_keepalive_connections=self.c)
        async with httpx.AsyncClient(
            base_url=self.fake.base_url, headers=self.headers, limits=limits
        ) as h:

            async def get(ref: sp.SessionRef) -> Any:
                async with slots:
                    response = await h.get(path_of(ref))
                    response.raise_for_status()
                    return orjson.loads(response.content)

            return len(await asyncio.gather(*(get(ref) for ref in self.refs)))

    def per_request(self) -> dict[str, tuple[Callable[[], Awaitable[Any]] | None, int]]:
        """Table (b): name -> (whole run, or None when skipped; the requests it needs)."""
        bulk, pages = len(self.refs), pages_needed(self.events, LIST_PAGE)
        pv = self.p_session.model_validate if self.p_session else None
        ev = self.p_event.model_validate if self.p_event else None

        b = "bulk"
        return {
            f"{b}: raw aiohttp+orjson": (self.raw_bulk, bulk),
            f"{b}: SDK": (self.sdk_bulk, bulk),
            f"{b}: pydantic v2 hand client": ((lambda: self.raw_bulk(pv)) if pv else None, bulk),
            f"{b}: httpx AsyncClient": (self.httpx_bulk if httpx else None, bulk),
            "list: raw (read ahead)": (self.aiohttp_list(LIST_PAGE, orjson_page), pages),
            "list: floor": (
                self.aiohttp_list(LIST_PAGE, orjson_page, lambda r: SimpleNamespace(**r)),
                pages,
            ),
            "list: SDK": (self.sdk_list(LIST_PAGE), pages),
            "list: pydantic v2 hand client": (
                self.aiohttp_list(LIST_PAGE, orjson_page, ev) if ev else None,
                pages,
            ),
            "list: httpx AsyncClient": (self.httpx_list(LIST_PAGE) if httpx else None, pages),
        }


def rounds(runs: dict[str, Callable[[], float]], count: int) -> dict[str, list[float]]:
    """One warm-up, then ``count`` rounds with every contender once per round, each
    round starting one contender further on (no contender always runs first)."""
    for run in runs.values():
        run()
    names = list(runs)
    found: dict[str, list[float]] = {name: [] for name in runs}
    for turn in range(count):
        for name in names[turn % len(names) :] + names[: turn % len(names)]:
            gc.collect()  # the last contender's garbage is not charged to the next
            found[name].append(runs[name]())
    return found


def paired(mine: list[float], base: list[float]) -> tuple[float, str]:
    """The median of the per-round ratios ``mine / base`` and their range: a round's
    contenders ran back to back, so a machine slowing down between rounds cancels out."""
    ratios = sorted(a / b for a, b in zip(mine, base, strict=True))
    return statistics.median(ratios), f"rounds {ratios[0]:.2f}-{ratios[-1]:.2f}"


def spread(values: list[float], scale: float) -> tuple[float, str]:
    return statistics.median(values) * scale, f"{min(values) * scale:.2f}-{max(values) * scale:.2f}"


def main() -> None:
    cli = parser(__doc__)
    cli.add_argument("--events", type=int, help="events of the listed session (20,000)")
    cli.add_argument("--sessions", type=int, help="sessions of the bulk (1,000)")
    cli.add_argument("--concurrency", type=int, default=32)
    cli.add_argument("--rounds", type=int, help="measured rounds (7)")
    cli.add_argument("--quick", action="store_true", help="5,000 events, 300 sessions, 3 rounds")
    cli.add_argument("--only", choices=("a", "b"), help="one table only")
    options = cli.parse_args()
    events = options.events or (5_000 if options.quick else 20_000)
    sessions = options.sessions or (300 if options.quick else 1_000)
    count = options.rounds or (3 if options.quick else 7)
    skipped = [name for name, module in (("pydantic", pydantic), ("msgspec", msgspec),
               ("httpx", httpx)) if module is None]  # fmt: skip
    spec = DataSpec(seed=0, exams=4, sessions_per_exam=-(-sessions // 4))
    refs = all_refs(spec.generate())[:sessions]
    print(f"SDK: {sp.__file__}")
    if skipped:
        print(f"SKIPPED contenders of: {', '.join(skipped)} (not installed: pip install "
              "-e '.[bench]')")  # fmt: skip
    with fake_api(spec, "--latency", "0", "--big-session-events", str(events)) as fake:
        peers = Peers(fake, events, refs, options.concurrency)
        if options.only in (None, "a"):
            table_a(peers, events, count)
        if options.only in (None, "b"):
            table_b(peers, count)


def table_a(peers: Peers, events: int, count: int) -> None:
    runs: dict[str, Callable[[], float]] = {}
    for size in (50, 500):
        for name, run in peers.per_record(size).items():
            if run is not None:
                runs[f"{size}|{name}"] = lambda run=run: asyncio.run(run())
    found = rounds(runs, count)
    print(f"\n(a) per record, end to end: {events} events, client CPU us/record, "
          f"median of {count} rounds [range]")  # fmt: skip
    rows = []
    for size in (50, 500):
        mine = {k.split("|", 1)[1]: v for k, v in found.items() if k.startswith(f"{size}|")}
        raw = statistics.median(mine["raw aiohttp+orjson"])
        pyd = statistics.median(mine.get("pydantic v2 hand client", [float("nan")]))
        for name, values in mine.items():
            mid, span = spread(values, 1e6 / events)
            here = statistics.median(values)
            rows.append((size, name, mid, span, f"{here / raw:.2f}x", f"{here / pyd:.2f}x"))
    print_table(["page", "client", "us/record", "range", "/ raw", "/ pydantic"], rows)
    print("  targets, on the median of per-round ratios:")
    for size in (50, 500):
        pyd_runs = found.get(f"{size}|pydantic v2 hand client")
        if pyd_runs:
            ratio, span = paired(found[f"{size}|SDK"], pyd_runs)
            met = "MET" if ratio <= 0.8 else "MISSED"
            print(f"  [{met}] page {size}: SDK CPU per record <= 0.8x pydantic "
                  f"({ratio:.2f}x, {span})")  # fmt: skip


def table_b(peers: Peers, count: int) -> None:
    plan = peers.per_request()
    runs = {n: (lambda r=r: measure(r).cpu) for n, (r, _) in plan.items() if r is not None}
    found = rounds(runs, count)
    print(f"\n(b) client CPU per request (us), median of {count} rounds [range]; "
          f"bulk C = {peers.c}, list: {peers.events} events at page {LIST_PAGE}")  # fmt: skip
    rows = []
    for name, values in found.items():
        group = name.split(":")[0]
        raw_name = next(n for n in found if n.startswith(group) and "raw" in n)
        need = plan[name][1]
        mid, span = spread(values, 1e6 / need)
        ratio = statistics.median(values) / statistics.median(found[raw_name])
        rows.append((name, need, mid, span, f"{ratio:.2f}x"))
    print_table(["workload: client", "requests", "CPU us/request", "range", "/ raw"], rows)
    checks = [("bulk: SDK", "bulk: raw aiohttp+orjson", 1.25), ("list: SDK", "list: floor", 1.3)]
    if "bulk: pydantic v2 hand client" in found:
        checks.insert(1, ("bulk: SDK", "bulk: pydantic v2 hand client", 1.0))
    print("  targets, on the median of per-round ratios:")
    for sdk, base, most in checks:
        ratio, span = paired(found[sdk], found[base])
        met = "MET" if ratio <= most else "MISSED"
        print(f"  [{met}] {sdk} CPU per request <= {most}x {base.split(': ')[1]} "
              f"({ratio:.2f}x, {span})")  # fmt: skip
    missing = [n for n, (r, _) in plan.items() if r is None]
    if missing:
        print(f"  skipped (library not installed): {', '.join(missing)}")


if __name__ == "__main__":
    main()
