"""Rate limit: N requests against a server that answers 429 above R requests/s.

What it measures
    The fake API runs with a token bucket of R requests/s and a burst of B (``--rate-limit
    R --rate-burst B``; above it, 429 with ``Retry-After``). The SDK fetches the details
    of N sessions (``gather_session_results(refs, events=False, annotations=False)``: one
    request each) with a client rate limiter of
      1. rate R, burst B  (the server's own figures: no slack at all),
      2. rate R, burst 1  (a lower burst: slack for network jitter),
      3. rate 2R, burst B (too fast: the server must push back).
    For each: the 429s the client got (counted from the ``smarterproctoring_async``
    logger's per-attempt DEBUG lines, ``... -> 429 ...``), the attempts, the sessions
    that still failed, and the wall time against N/R and against the client's own
    schedule (N - burst) / rate.

Targets
    Zero 429s when the client's rate is at or below the server's (runs 1 and 2); at 2R
    the 429s are survived (Retry-After honoured, every session fetched).

Run
    python benchmarks/rate.py                     # ~55 s (N=200, R=20)
    python benchmarks/rate.py --requests 100 --rate 20 --burst 5
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
from dataclasses import dataclass

from _common import DataSpec, Fake, StatusCounter, fake_api, parser, print_table, verdict

import smarterproctoring_async as sp


@dataclass(frozen=True)
class Setting:
    """One client configuration to run."""

    label: str
    rate: float
    burst: int
    at_or_below_server: bool


@dataclass(frozen=True)
class Outcome:
    """What one run saw."""

    wall: float
    attempts: int
    throttled: int
    failed: int
    first_error: str
    #: Seconds from the start of the run to each 429.
    throttled_after: list[float]


async def fetch_all(fake: Fake, refs: list[sp.SessionRef], setting: Setting) -> Outcome:
    """Every session's details, through a client limited to the setting's rate."""
    with StatusCounter() as log:
        client = sp.Client(
            fake.token, base_url=fake.base_url, rate_limit=setting.rate, burst=setting.burst
        )
        async with client:
            started, epoch = time.perf_counter(), time.time()
            results = await client.gather_session_results(refs, events=False, annotations=False)
            wall = time.perf_counter() - started
    errors = [r.error for r in results if r.error is not None]
    first = repr(errors[0]) if errors else ""
    after = [at - epoch for at in log.throttled_at]
    return Outcome(wall, log.attempts, log.statuses[429], len(errors), first, after)


def main() -> None:
    options = arguments()
    n, rate, burst = options.requests, options.rate, options.burst
    spec = DataSpec(seed=4, exams=4, sessions_per_exam=math.ceil(n / 4))
    refs = [sp.SessionRef(s.install_sid, s.exam_sid, s.sid) for s in spec.generate().sessions]
    refs = refs[:n]
    settings = [
        Setting(f"rate R={rate:g}, burst B={burst}", rate, burst, True),
        Setting(f"rate R={rate:g}, burst 1", rate, 1, True),
        Setting(f"rate 2R={2 * rate:g}, burst B={burst}", 2 * rate, burst, False),
    ]
    print(
        f"server: {rate:g} requests/s, burst {burst}, 429 with Retry-After above it; "
        f"{n} requests per run; N/R = {n / rate:.2f} s"
    )
    outcomes: list[Outcome] = []
    server_args = ("--latency", str(options.latency), "--rate-limit", str(rate))
    with fake_api(spec, *server_args, "--rate-burst", str(burst)) as fake:
        for setting in settings:
            # Let the server's bucket fill up again (and any Retry-After run out).
            time.sleep(burst / rate + 1.0)
            outcomes.append(asyncio.run(fetch_all(fake, refs, setting)))

    rows = [
        (
            s.label,
            o.attempts,
            o.throttled,
            o.failed,
            o.wall,
            o.wall / (n / rate),
            max(0, n - s.burst) / s.rate,
        )
        for s, o in zip(settings, outcomes, strict=True)
    ]
    headers = ["client limiter", "attempts", "429s", "failed", "wall s", "wall / (N/R)"]
    print()
    print_table([*headers, "own schedule s"], rows)
    print()
    for setting, outcome in zip(settings, outcomes, strict=True):
        if outcome.throttled:
            shown = ", ".join(f"{t:.2f}" for t in outcome.throttled_after[:12])
            more = " ..." if outcome.throttled > 12 else ""
            print(f"{setting.label}: 429s at {shown}{more} s into the run")
        if outcome.failed:
            print(f"{setting.label}: first failure {outcome.first_error}")
        print(f"{setting.label}: {n / outcome.wall:.1f} requests/s achieved")

    print()
    print("targets:")
    for setting, outcome in zip(settings, outcomes, strict=True):
        if setting.at_or_below_server:
            verdict(
                f"{setting.label}: zero 429s ({outcome.throttled})",
                outcome.throttled == 0 and outcome.failed == 0,
            )
        else:
            verdict(
                f"{setting.label}: {outcome.throttled} 429s survived, {n - outcome.failed} of "
                f"{n} sessions fetched in {outcome.wall:.2f} s",
                outcome.failed == 0,
            )


def arguments() -> argparse.Namespace:
    """The command line."""
    cli = parser(__doc__)
    cli.add_argument("--requests", type=int, default=200, help="N: requests per run")
    cli.add_argument("--rate", type=float, default=20.0, help="R: server requests/s")
    cli.add_argument("--burst", type=int, default=5, help="B: server burst")
    cli.add_argument("--latency", type=float, default=0.0, help="server seconds per request")
    return cli.parse_args()


if __name__ == "__main__":
    main()
