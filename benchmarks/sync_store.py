"""Sync into a store: throughput into SQLite and PostgreSQL, the store's share of the
wall time under a request budget, and the requests a sync sends.

What it measures
    One install (default 40 exams x 50 = 2,000 sessions; 0..120 events and 0..8
    annotations a session, fixed seed: the distribution of sync_install.py) served by
    the fake API in its own process. ``client.sync(install, store)`` into a fresh store.

      1. throughput at latency 0, no budget: sessions/s and rows/s (sessions + events +
         annotations stored, over the sync's wall time) into a SQLite file and into a
         PostgreSQL database; the time spent inside the store's calls (open, lock,
         versions, start_run, save, finish_run: timed around each call by a subclass of
         ``sp.Store``, as the sync waits for it, so a worker thread waiting for the
         GIL or the event loop taking the answer late counts as the store's) and its
         share of the wall time; the mean milliseconds of a save.
      2. the store's share of the wall time at a budget of 10 requests/s (fake:
         ``--latency 0.05 --rate-limit 10 --rate-burst 10``; client ``rate_limit=10,
         burst=9``), on a smaller install (default 8 x 25). Target: under 10 %. Saves
         run in a worker thread while requests wait for the budget, so the wall time
         over ``gather_install_results``' (same records, no store) is printed too, and
         the store's seconds per call (saves apart).
      3. requests, at latency 0, for the same records: ``client.sync`` into a fresh
         SQLite store, ``client.gather_install_results`` (the install plan, no store),
         and the per-session plan (the report's terminal rows into
         ``gather_session_results``, page 50: what ``export sessions`` used to send);
         then a second sync with nothing new. Targets: sync <= 0.55 x the per-session
         plan; the second sync <= 3 requests.

    Every store is checked against ``generate_data``: the terminal sessions, their
    events and annotations (counts).

PostgreSQL
    ``--postgres-url postgresql://user@host:port/db`` (each run gets a database of its own,
    created there and dropped after: the user needs CREATEDB), else a throwaway server
    when ``initdb`` and ``postgres`` are found (on PATH or /usr/lib/postgresql/*/bin),
    with the server's default durability (fsync on); else the PostgreSQL lines say
    "skipped". ``--no-postgres`` leaves it out.

Run
    python benchmarks/sync_store.py              # ~2 to 4 minutes
    python benchmarks/sync_store.py --quick      # 8 x 25 sessions, budget 6 x 10: < 1 min
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

from _common import DataSpec, Fake, fake_api, parser, print_table, verdict
from _postgres import fresh_database, throwaway_postgres

import smarterproctoring_async as sp

#: The budget of part 2: the fake's and the client's requests/s, and bursts.
RATE = 10.0
SERVER_BURST = 10
CLIENT_BURST = 9
BUDGET_LATENCY = 0.05
#: Targets.
MAX_STORE_SHARE = 0.10
MAX_REQUEST_RATIO = 0.55
MAX_NOTHING_NEW = 3


class TimedStore(sp.Store):
    """A store that adds up the seconds spent inside its calls (``inside``), as the
    caller waits for them: from the call to its answer, so the worker thread's start
    and the event loop's taking the answer back count as the store's. ``parts``: the
    same seconds per method (``open``, ``lock``, ``versions``, ``start_run``,
    ``save``, ``finish_run``)."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.inside = 0.0
        self.parts: dict[str, float] = {}

    def _add(self, part: str, started: float) -> None:
        took = time.perf_counter() - started
        self.inside += took
        self.parts[part] = self.parts.get(part, 0.0) + took

    @property
    def opening(self) -> float:
        """Of ``inside``: seconds opening the store (connect, create or check the schema)."""
        return self.parts.get("open", 0.0)

    async def __aenter__(self) -> TimedStore:
        started = time.perf_counter()
        try:
            await super().__aenter__()
        finally:
            self._add("open", started)
        return self

    @contextlib.asynccontextmanager
    async def _timed_lock(self, *args: Any, **kwargs: Any) -> AsyncIterator[None]:
        held = super().lock(*args, **kwargs)
        started = time.perf_counter()
        await held.__aenter__()
        self._add("lock", started)
        try:
            yield
        finally:
            started = time.perf_counter()
            await held.__aexit__(None, None, None)
            self._add("lock", started)

    def lock(self, *args: Any, **kwargs: Any) -> Any:
        return self._timed_lock(*args, **kwargs)

    async def versions(self, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await super().versions(*args, **kwargs)
        finally:
            self._add("versions", started)

    async def save(self, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await super().save(*args, **kwargs)
        finally:
            self._add("save", started)

    async def start_run(self, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await super().start_run(*args, **kwargs)
        finally:
            self._add("start_run", started)

    async def finish_run(self, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await super().finish_run(*args, **kwargs)
        finally:
            self._add("finish_run", started)


@dataclass
class Synced:
    """One sync: its summary, wall seconds (store opened to closed), seconds in the store,
    and the store's counts afterwards."""

    summary: sp.SyncSummary
    wall: float
    inside: float
    opening: float
    counts: dict[str, int]
    #: Seconds per store method (see TimedStore.parts).
    parts: dict[str, float]

    @property
    def per_save_ms(self) -> float:
        """Mean milliseconds of a save, as the sync waited for it."""
        return 1000 * self.parts.get("save", 0.0) / max(1, self.summary.stored)

    @property
    def rows(self) -> int:
        return self.summary.stored + self.summary.events + self.summary.annotations


async def sync_once(fake: Fake, install: str, url: str, **client: Any) -> Synced:
    """``client.sync`` into the store at ``url``, timed from the store's opening."""
    client.setdefault("rate_limit", None)
    async with sp.Client(fake.token, base_url=fake.base_url, **client) as api:
        started = time.perf_counter()
        async with TimedStore(url) as store:
            summary = await api.sync(install, store)
        wall = time.perf_counter() - started
        async with sp.Store(url) as reader:
            counts = dict(await reader.counts(install))
    return Synced(summary, wall, store.inside, store.opening, counts, dict(store.parts))


# -- the stores -----------------------------------------------------------------------


@contextlib.contextmanager
def store_url(backend: str, postgres: str | None) -> Iterator[str]:
    """A fresh store of that backend: a SQLite file in a temporary folder, or a new
    PostgreSQL database."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="sp-bench-store-") as directory:
            yield f"sqlite:///{os.path.join(directory, 'store.db')}"
        return
    assert postgres is not None
    with fresh_database(postgres) as url:
        yield url


# -- the parts ------------------------------------------------------------------------


def wanted(spec: DataSpec) -> tuple[str, dict[str, int]]:
    """The install SID and the counts its terminal sessions must give."""
    data = spec.generate()
    terminal = [s for s in data.sessions if s.status.strip().lower() in ("closed", "cancelled")]
    counts = {
        "sessions": len(terminal),
        "events": sum(len(s.events) for s in terminal),
        "annotations": sum(len(s.annotations) for s in terminal),
    }
    return str(data.installs[0]["sid"]), counts


def same_counts(label: str, got: dict[str, int], want: dict[str, int]) -> bool:
    """Verdict: the store holds the data set's terminal sessions, events, annotations."""
    shown = {k: got.get(k) for k in want}
    return verdict(f"{label}: store holds {shown} (data set: {want})", shown == want)


def throughput(spec: DataSpec, backends: list[str], postgres: str | None) -> list[list[object]]:
    """Part 1: a sync into each backend at latency 0, no budget."""
    install, want = wanted(spec)
    rows: list[list[object]] = []
    with fake_api(spec) as fake:
        for backend in backends:
            with store_url(backend, postgres) as url:
                run = asyncio.run(sync_once(fake, install, url))
            same_counts(f"latency 0, {backend}", run.counts, want)
            rows.append(
                [backend, run.summary.stored, run.rows, run.summary.requests, run.wall,
                 run.summary.stored / run.wall, run.rows / run.wall, run.per_save_ms,
                 run.inside / run.wall]
            )  # fmt: skip
    return rows


def budget_server() -> list[str]:
    """The fake's options for part 2."""
    server = ["--latency", str(BUDGET_LATENCY), "--rate-limit", str(RATE)]
    return [*server, "--rate-burst", str(SERVER_BURST)]


def install_plan_wall(spec: DataSpec) -> float:
    """Wall seconds of ``gather_install_results`` (no store) at the budget of part 2."""
    install, _ = wanted(spec)

    async def gather(fake: Fake) -> float:
        client = sp.Client(fake.token, base_url=fake.base_url, rate_limit=RATE, burst=CLIENT_BURST)
        async with client:
            started = time.perf_counter()
            await client.gather_install_results(install)
            return time.perf_counter() - started

    with fake_api(spec, *budget_server()) as fake:
        return asyncio.run(gather(fake))


def budget_share(spec: DataSpec, backends: list[str], postgres: str | None) -> list[Synced]:
    """Part 2: a sync into each backend at 10 requests/s."""
    install, want = wanted(spec)
    server = budget_server()
    runs = []
    for backend in backends:
        with fake_api(spec, *server) as fake, store_url(backend, postgres) as url:
            run = asyncio.run(sync_once(fake, install, url, rate_limit=RATE, burst=CLIENT_BURST))
        same_counts(f"10 requests/s, {backend}", run.counts, want)
        runs.append(run)
    return runs


async def per_session_requests(fake: Fake, install: str) -> int:
    """The per-session plan: the report's terminal rows into gather_session_results."""
    async with sp.Client(fake.token, base_url=fake.base_url, page_size=50, rate_limit=None) as api:
        rows = [row async for row in api.install(install).reports.appointments()]
        await api.gather_session_results([row for row in rows if row.is_terminal])
        return api.stats.requests


async def install_plan_requests(fake: Fake, install: str) -> int:
    """``gather_install_results`` with its defaults."""
    async with sp.Client(fake.token, base_url=fake.base_url, rate_limit=None) as api:
        await api.gather_install_results(install)
        return api.stats.requests


def request_counts(spec: DataSpec) -> dict[str, int]:
    """Part 3: requests of each plan, and of a second sync with nothing new."""
    install, want = wanted(spec)
    found: dict[str, int] = {}
    with fake_api(spec) as fake, store_url("sqlite", None) as url:
        first = asyncio.run(sync_once(fake, install, url))
        again = asyncio.run(sync_once(fake, install, url))
        same_counts("requests run, sqlite", again.counts, want)
        found["sync"] = first.summary.requests
        found["second sync, nothing new"] = again.summary.requests
        found["gather_install_results"] = asyncio.run(install_plan_requests(fake, install))
        found["per-session plan, page 50"] = asyncio.run(per_session_requests(fake, install))
    return found


def main() -> None:
    options = arguments()
    spec = DataSpec(
        seed=options.seed,
        exams=8 if options.quick else options.exams,
        sessions_per_exam=25 if options.quick else options.sessions_per_exam,
        events=(0, 120),
        annotations=(0, 8),
    )
    budget = DataSpec(
        seed=options.seed,
        exams=6 if options.quick else 8,
        sessions_per_exam=10 if options.quick else 25,
        events=(0, 120),
        annotations=(0, 8),
    )
    with contextlib.ExitStack() as stack:
        postgres = None
        if not options.no_postgres:
            postgres = options.postgres_url or stack.enter_context(throwaway_postgres())
        backends = ["sqlite"] + (["postgresql"] if postgres else [])
        _, counts = wanted(spec)
        print(
            f"install: {spec.exams} exams x {spec.sessions_per_exam} sessions, "
            f"{counts['sessions']} terminal ({counts['events']} events, "
            f"{counts['annotations']} annotations); PostgreSQL: "
            + ("skipped (no server, no --postgres-url)" if not postgres else "yes"),
            flush=True,
        )
        print("\n1. throughput, latency 0, no budget", flush=True)
        table = throughput(spec, backends, postgres)
        print_table(
            ["store", "sessions", "rows", "requests", "wall s", "sessions/s", "rows/s",
             "ms a save", "store share"],
            table,
        )  # fmt: skip

        print(
            f"\n2. the store's share of the wall time at {RATE:g} requests/s "
            f"({budget.exams} x {budget.sessions_per_exam} sessions, "
            f"{BUDGET_LATENCY * 1000:.0f} ms latency)",
            flush=True,
        )
        runs = budget_share(budget, backends, postgres)
        print_table(
            ["store", "sessions", "requests", "wall s", "in store s", "of which open",
             "of which saves", "ms a save", "share"],
            [
                [b, r.summary.stored, r.summary.requests, r.wall, r.inside, r.opening,
                 r.parts.get("save", 0.0), r.per_save_ms, r.inside / r.wall]
                for b, r in zip(backends, runs, strict=True)
            ],
        )  # fmt: skip
        for backend, run in zip(backends, runs, strict=True):
            rest = ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in run.parts.items() if k != "save")
            print(f"  {backend}, in store outside saves: {rest}")
        plain = install_plan_wall(budget)
        over = [f"{b} {r.wall / plain - 1:+.1%}" for b, r in zip(backends, runs, strict=True)]
        print(
            f"gather_install_results (same records, no store) at {RATE:g} requests/s: "
            f"{plain:.2f} s; sync's wall over it: " + ", ".join(over)
        )
        for backend, run in zip(backends, runs, strict=True):
            verdict(
                f"{backend}: store share at {RATE:g} requests/s < {MAX_STORE_SHARE:.0%} "
                f"({run.inside:.2f} s of {run.wall:.2f} s = {run.inside / run.wall:.1%})",
                run.inside / run.wall < MAX_STORE_SHARE,
            )

    print("\n3. requests for the same records (latency 0)", flush=True)
    found = request_counts(spec)
    print_table(["plan", "requests"], [[k, v] for k, v in found.items()])
    per_session = found["per-session plan, page 50"]
    ratio = found["sync"] / max(1, per_session)
    verdict(
        f"sync requests <= {MAX_REQUEST_RATIO} x the per-session plan's "
        f"({found['sync']} / {per_session} = {ratio:.3f})",
        ratio <= MAX_REQUEST_RATIO,
    )
    verdict(
        f"sync requests <= gather_install_results' + 1 ({found['sync']} vs "
        f"{found['gather_install_results']})",
        found["sync"] <= found["gather_install_results"] + 1,
    )
    nothing_new = found["second sync, nothing new"]
    verdict(
        f"a second sync with nothing new: <= {MAX_NOTHING_NEW} requests ({nothing_new})",
        nothing_new <= MAX_NOTHING_NEW,
    )


def arguments() -> argparse.Namespace:
    """The command line."""
    cli = parser(__doc__)
    cli.add_argument("--exams", type=int, default=40, help="exams of the install (default 40)")
    cli.add_argument(
        "--sessions-per-exam", type=int, default=50, help="sessions per exam (default 50)"
    )
    cli.add_argument("--quick", action="store_true", help="8 x 25 sessions; budget part 6 x 10")
    cli.add_argument("--seed", type=int, default=7, help="generate_data seed (default 7)")
    cli.add_argument("--postgres-url", default=None, help="a server to create databases on")
    cli.add_argument("--no-postgres", action="store_true", help="SQLite only")
    return cli.parse_args()


if __name__ == "__main__":
    main()
