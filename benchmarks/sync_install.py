"""Sync an install: every terminal session of N, against a server budget of 10 requests/s.

What it measures
    One install of N sessions (default 40 exams x 50 = 2,000) with a realistic
    distribution (0..120 events and 0..8 annotations a session, fixed seed; mostly
    Closed, some Cancelled, the rest not over yet) served by the fake API in its own
    process with 50 ms latency and a budget of 10 requests/s, burst 10 (``--latency 0.05
    --rate-limit 10 --rate-burst 10``; above it, 429 with ``Retry-After``). Every terminal
    (Closed or Cancelled) session is synced: details, events and annotations. Three plans,
    each against a fresh fake process (the server's bucket starts full, its counters at 0):

      1. guide loop: the reporting guide's sequential loop with plain ``http.client``, no
         SDK: the appointments report read ``offset += 25`` until an empty page, then per
         terminal session its details, then its event and annotation pages, ``offset +=
         25`` until an empty page. Paced at 10 requests/s, as a careful user would, and
         honouring ``Retry-After`` on a 429 (sleep, then send again).
      2. per-session plan, page 50 (today's SDK): ``sp.Client(..., page_size=50,
         rate_limit=10, burst=B)``; the terminal rows of
         ``client.install(AI).reports.appointments()`` into
         ``client.gather_session_results(rows)``.
      3. install plan: ``sp.Client(..., rate_limit=10, burst=B)`` with the default page
         size ("auto": 500 a request); ``client.gather_install_results(AI)``, which
         skips the non-terminal sessions at no request. Printed as not available when the
         SDK has no such method.

    For each: requests sent (the client's count: ``client.stats.requests``, every
    attempt; the guide loop counts its own), 429s received, sessions synced and failed,
    events and annotations received, wall seconds and wall / (requests / 10), the time
    those requests need at the server's rate. Every plan's records are checked session
    by session (counts and SIDs) against ``generate_data``, hence against each other.

Targets
    Install plan: requests <= 0.4 x the per-session plan's; zero 429s; wall <= 1.1 x
    requests / 10. Every plan syncs the same sessions with the same events and annotations.

Run
    python benchmarks/sync_install.py                 # ~33 min: guide 19, 10.5 and 3.2 min
    python benchmarks/sync_install.py --skip-guide    # ~14 min
    python benchmarks/sync_install.py --quick         # 8 exams x 25 sessions: ~3.3 min
    python benchmarks/sync_install.py --exams 10 --sessions-per-exam 40 --burst 9
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import http.client
import json
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import urlsplit

from _common import DataSpec, Fake, fake_api, parser, print_table, verdict

import smarterproctoring_async as sp

#: The server's budget: requests/s and burst of its token bucket.
SERVER_RATE = 10.0
SERVER_BURST = 10
#: The server's latency per request, seconds.
LATENCY = 0.05
#: The reporting guide's page length (``offset += 25``).
GUIDE_LIMIT = 25
#: Statuses after which a session changes no more (as ``sp``'s ``is_terminal``).
TERMINAL = frozenset({"closed", "cancelled"})
#: Targets of the install plan.
MAX_REQUEST_RATIO = 0.4
MAX_WALL_RATIO = 1.1
#: Mismatching sessions shown per plan.
SHOWN = 8

#: What one session's sync got: events, annotations, and a digest of each list's SIDs.
Records = tuple[int, int, str, str]
InstallGather = Callable[[str], Awaitable[list[sp.SessionResult]]]


@dataclass
class Outcome:
    """What one plan did and got."""

    label: str
    available: bool = True
    requests: int = 0
    throttled: int = 0
    failed: int = 0
    skipped: int = 0
    wall: float = 0.0
    first_error: str = ""
    #: Session SID -> its records, for every session synced without error.
    synced: dict[str, Records] = field(default_factory=dict)

    @property
    def events(self) -> int:
        return sum(r[0] for r in self.synced.values())

    @property
    def annotations(self) -> int:
        return sum(r[1] for r in self.synced.values())

    @property
    def wall_ratio(self) -> float:
        """Wall seconds over the seconds the requests need at the server's rate."""
        return self.wall / (self.requests / SERVER_RATE) if self.requests else 0.0


def records(events: Iterable[str], annotations: Iterable[str]) -> Records:
    """The counts and SID digests of one session's events and annotations."""
    got_events, got_annotations = list(events), list(annotations)
    return len(got_events), len(got_annotations), digest(got_events), digest(got_annotations)


def digest(sids: list[str]) -> str:
    """Order-free digest of a list of SIDs (duplicates count)."""
    return hashlib.sha1("\n".join(sorted(sids)).encode()).hexdigest()[:12]


def expected_records(spec: DataSpec) -> tuple[str, dict[str, Records], int]:
    """The install SID, what syncing each terminal session must give, and N."""
    data = spec.generate()
    wanted = {
        s.sid: records((str(e["sid"]) for e in s.events), (str(a["sid"]) for a in s.annotations))
        for s in data.sessions
        if s.status.lower() in TERMINAL
    }
    return str(data.installs[0]["sid"]), wanted, len(data.sessions)


# -- 1. the guide loop ----------------------------------------------------------------


class GuideClient:
    """The guide's bare fetch loop: one keep-alive connection, paced, honouring 429s."""

    def __init__(self, fake: Fake, rate: float) -> None:
        url = urlsplit(fake.base_url)
        self.connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=30)
        self.token = fake.token
        self.interval = 1.0 / rate
        self.next_at = 0.0
        self.requests = 0
        self.throttled = 0

    def get(self, path: str) -> Any:
        """GET ``path`` (answered 200) and its decoded JSON; sleeps out every 429."""
        while True:
            now = time.monotonic()
            if now < self.next_at:
                time.sleep(self.next_at - now)
            self.next_at = max(now, self.next_at) + self.interval
            self.requests += 1
            self.connection.request("GET", path, headers={"token": self.token})
            with self.connection.getresponse() as response:
                body = response.read()
                if response.status == 429:
                    self.throttled += 1
                    time.sleep(retry_after(response.getheader("Retry-After")))
                    continue
                if response.status != 200:
                    raise RuntimeError(f"GET {path} -> {response.status}: {body[:200]!r}")
                return json.loads(body)

    def pages(self, path: str) -> list[Any]:
        """Every record of a list, ``offset += 25`` until an empty (or missing) page."""
        found: list[Any] = []
        offset = 0
        while True:
            page = self.get(f"{path}?offset={offset}&limit={GUIDE_LIMIT}")
            if not isinstance(page, dict) or not page.get("results"):
                return found
            found += page["results"]
            offset += GUIDE_LIMIT

    def close(self) -> None:
        self.connection.close()


def retry_after(value: str | None) -> float:
    """Seconds a ``Retry-After`` header asks for (1 when absent or not a number)."""
    try:
        return max(0.0, float(value)) if value is not None else 1.0
    except ValueError:
        return 1.0


def guide_loop(fake: Fake, install_sid: str) -> Outcome:
    """Plan 1: the guide's sequential loop over the report's terminal sessions."""
    outcome = Outcome("guide loop")
    client = GuideClient(fake, SERVER_RATE)
    started = time.perf_counter()
    try:
        rows = client.pages(f"/v1/installs/{install_sid}/reports/appointments")
        for row in rows:
            if str(row.get("status", "")).lower() not in TERMINAL:
                outcome.skipped += 1
                continue
            path = f"/v1/installs/{row['installSid']}/exams/{row['examSid']}/sessions/{row['sid']}"
            try:
                client.get(path)
                events = client.pages(f"{path}/events")
                annotations = client.pages(f"{path}/annotations")
            except (RuntimeError, ValueError) as error:
                outcome.failed += 1
                outcome.first_error = outcome.first_error or repr(error)
                continue
            outcome.synced[str(row["sid"])] = records(
                (str(e["sid"]) for e in events), (str(a["sid"]) for a in annotations)
            )
    finally:
        client.close()
    outcome.wall = time.perf_counter() - started
    outcome.requests, outcome.throttled = client.requests, client.throttled
    return outcome


# -- 2. and 3.: the SDK ---------------------------------------------------------------


def sdk_outcome(
    label: str, client: sp.Client, results: list[sp.SessionResult], wall: float
) -> Outcome:
    """What an SDK plan did (from ``client.stats``) and got (from its results)."""
    outcome = Outcome(label, requests=client.stats.requests, wall=wall)
    outcome.throttled = client.stats.rate_limited
    for result in results:
        if result.skipped:
            outcome.skipped += 1
        elif result.error is not None or result.ref is None:
            outcome.failed += 1
            outcome.first_error = outcome.first_error or repr(result.error)
        else:
            outcome.synced[result.ref.session_sid] = records(
                (str(e.sid) for e in result.events or ()),
                (str(a.sid) for a in result.annotations or ()),
            )
    return outcome


async def per_session_plan(fake: Fake, install_sid: str, burst: int) -> Outcome:
    """Plan 2: the report's terminal rows into ``gather_session_results``, 50 a page."""
    client = sp.Client(
        fake.token, base_url=fake.base_url, page_size=50, rate_limit=SERVER_RATE, burst=burst
    )
    async with client:
        started = time.perf_counter()
        report = client.install(install_sid).reports.appointments()
        listed = [row async for row in report]
        rows = [row for row in listed if row.is_terminal]
        results = await client.gather_session_results(rows)
        wall = time.perf_counter() - started
    outcome = sdk_outcome("per-session plan, page 50", client, results, wall)
    outcome.skipped = len(listed) - len(rows)  # the report's other rows: not fetched
    return outcome


async def install_plan(fake: Fake, install_sid: str, burst: int) -> Outcome:
    """Plan 3: ``gather_install_results`` with the default page size."""
    client = sp.Client(fake.token, base_url=fake.base_url, rate_limit=SERVER_RATE, burst=burst)
    gather = cast(InstallGather, client.gather_install_results)
    async with client:
        started = time.perf_counter()
        results = await gather(install_sid)
        wall = time.perf_counter() - started
    return sdk_outcome("install plan", client, results, wall)


def has_install_plan() -> bool:
    """Whether this SDK has ``Client.gather_install_results``."""
    return hasattr(sp.Client, "gather_install_results")


# -- the run --------------------------------------------------------------------------


def run_plan(spec: DataSpec, plan: Callable[[Fake], Outcome]) -> Outcome:
    """One plan against a fresh fake process."""
    server = ("--latency", str(LATENCY), "--rate-limit", str(SERVER_RATE))
    with fake_api(spec, *server, "--rate-burst", str(SERVER_BURST)) as fake:
        return plan(fake)


def main() -> None:
    options = arguments()
    exams, per_exam = options.exams, options.sessions_per_exam
    if options.quick:
        exams, per_exam = 8, 25
    spec = DataSpec(
        seed=options.seed,
        exams=exams,
        sessions_per_exam=per_exam,
        events=(0, 120),
        annotations=(0, 8),
    )
    install_sid, wanted, total = expected_records(spec)
    want_events = sum(r[0] for r in wanted.values())
    want_annotations = sum(r[1] for r in wanted.values())
    print(
        f"install {install_sid}: {exams} exams x {per_exam} = {total} sessions, "
        f"{len(wanted)} terminal ({want_events} events, {want_annotations} annotations); "
        f"server: {LATENCY * 1000:.0f} ms latency, {SERVER_RATE:g} requests/s, "
        f"burst {SERVER_BURST}; client burst {options.burst}"
    )
    burst = options.burst
    outcomes: list[Outcome] = []
    if not options.skip_guide:
        outcomes.append(report(run_plan(spec, lambda fake: guide_loop(fake, install_sid))))
    per_session = report(
        run_plan(spec, lambda fake: asyncio.run(per_session_plan(fake, install_sid, burst)))
    )
    outcomes.append(per_session)
    if has_install_plan():
        install = report(
            run_plan(spec, lambda fake: asyncio.run(install_plan(fake, install_sid, burst)))
        )
    else:
        install = Outcome("install plan", available=False)
        print("install plan: not available in this SDK", flush=True)
    outcomes.append(install)

    print()
    headers = ["plan", "requests", "429s", "synced", "failed", "skipped", "events"]
    headers += ["annotations", "wall s", "wall / (req/10)"]
    rows: list[list[object]] = []
    for o in outcomes:
        if not o.available:
            rows.append([o.label, *["n/a"] * (len(headers) - 1)])
            continue
        counts = (o.requests, o.throttled, len(o.synced), o.failed, o.skipped, o.events)
        rows.append([o.label, *counts, o.annotations, o.wall, o.wall_ratio])
    rows.append(["data set (terminal)", "", "", len(wanted), "", "", want_events])
    rows[-1] += [want_annotations, "", ""]
    print_table(headers, rows)
    for o in outcomes:
        if o.first_error:
            print(f"{o.label}: first failure {o.first_error}")

    print()
    print("targets:")
    if install.available:
        ratio = install.requests / max(1, per_session.requests)
        verdict(
            f"install plan requests / per-session plan requests <= {MAX_REQUEST_RATIO} "
            f"({install.requests} / {per_session.requests} = {ratio:.3f})",
            ratio <= MAX_REQUEST_RATIO,
        )
        verdict(f"install plan: zero 429s ({install.throttled})", install.throttled == 0)
        verdict(
            f"install plan wall / (requests / {SERVER_RATE:g}) <= {MAX_WALL_RATIO} "
            f"({install.wall:.1f} s / {install.requests / SERVER_RATE:.1f} s = "
            f"{install.wall_ratio:.3f})",
            install.wall_ratio <= MAX_WALL_RATIO,
        )
    else:
        print("  install plan: not available in this SDK (no Client.gather_install_results)")
    ran = [o for o in outcomes if o.available]
    for o in ran:
        same_records(o, wanted)
    same = all(o.synced == ran[0].synced for o in ran)
    verdict(
        "every plan synced the same sessions with the same records: "
        + ", ".join(f"{o.label} {len(o.synced)}/{o.events}/{o.annotations}" for o in ran)
        + " (sessions/events/annotations)",
        same,
    )


def report(outcome: Outcome) -> Outcome:
    """Say at once that a plan is done (the run is long)."""
    print(
        f"{outcome.label}: {outcome.requests} requests, {outcome.throttled} 429s, "
        f"{len(outcome.synced)} sessions synced in {outcome.wall:.1f} s",
        flush=True,
    )
    return outcome


def same_records(outcome: Outcome, wanted: dict[str, Records]) -> bool:
    """Verdict: the plan synced exactly the terminal sessions, with exactly their records."""
    missing = sorted(wanted.keys() - outcome.synced.keys())
    extra = sorted(outcome.synced.keys() - wanted.keys())
    wrong = sorted(
        s for s in wanted.keys() & outcome.synced.keys() if wanted[s] != outcome.synced[s]
    )
    met = verdict(
        f"{outcome.label}: the data set's {len(wanted)} terminal sessions, same events and "
        f"annotations (SIDs) ({len(missing)} missing, {len(extra)} extra, {len(wrong)} differ)",
        not (missing or extra or wrong),
    )
    for sid in missing[:SHOWN]:
        print(
            f"      missing {sid}: expected {wanted[sid][0]} events, {wanted[sid][1]} annotations"
        )
    for sid in extra[:SHOWN]:
        print(f"      extra {sid}: {outcome.synced[sid][0]} events, {outcome.synced[sid][1]} ann.")
    for sid in wrong[:SHOWN]:
        got, want = outcome.synced[sid], wanted[sid]
        print(
            f"      differ {sid}: got {got[0]} events / {got[1]} annotations "
            f"(digests {got[2]} / {got[3]}), expected {want[0]} / {want[1]} "
            f"({want[2]} / {want[3]})"
        )
    return met


def arguments() -> argparse.Namespace:
    """The command line."""
    cli = parser(__doc__)
    cli.add_argument("--exams", type=int, default=40, help="exams of the install (default 40)")
    cli.add_argument(
        "--sessions-per-exam", type=int, default=50, help="sessions per exam (default 50)"
    )
    cli.add_argument("--quick", action="store_true", help="8 exams x 25 sessions")
    cli.add_argument("--skip-guide", action="store_true", help="leave out the guide loop")
    cli.add_argument(
        "--burst", type=int, default=9, help="the SDK clients' burst (default 9; server: 10)"
    )
    cli.add_argument("--seed", type=int, default=7, help="generate_data seed (default 7)")
    return cli.parse_args()


if __name__ == "__main__":
    main()
