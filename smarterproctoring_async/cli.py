"""The command line: ``smarterproctoring-async demo`` runs the SDK against the embedded fake API.

The demo needs no credentials and no network: it starts the fake API on 127.0.0.1,
points a client at it, syncs every closed session of an install at once and reads a
cached dashboard report.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence

from . import Client
from .testing import FakeAPI, generate_data

__all__ = ["main"]


async def demo(sessions: int, latency: float) -> None:
    """Sync every closed session of a generated install and print what came back."""
    data = generate_data(seed=7, exams=4, sessions_per_exam=max(1, sessions // 4))
    install_sid = str(data.installs[0]["sid"])
    async with FakeAPI(data, latency=latency, page_cap=25) as fake:
        print(f"fake SmarterProctoring API on {fake.base_url}: {len(data.sessions)} sessions")
        async with Client(fake.token, base_url=fake.base_url, rate_limit=400.0) as client:
            install = client.install(install_sid)
            started = time.perf_counter()
            # Pattern 1 of the reporting guide for a whole install: closed sessions from
            # the appointments report, fanned out, each with its events and annotations.
            closed = install.reports.appointments(status="Closed")
            synced = events = notes = 0
            async with client.stream_session_results(closed, concurrency=16) as results:
                async for result in results:
                    if result.error is not None:
                        print(f"  {result.ref}: {result.error}")
                        continue
                    synced += 1
                    events += len(result.events or ())
                    notes += len(result.annotations or ())
                    if synced <= 5:
                        red = sum(1 for a in result.annotations or () if a.severity == "red")
                        print(
                            f"  {result.ref.session_sid if result.ref else '?'}  "
                            f"{len(result.events or ()):>4} events "
                            f"{len(result.annotations or ()):>3} annotations ({red} red)"
                        )
            elapsed = time.perf_counter() - started
            print(
                f"synced {synced} closed sessions: {events} events, {notes} annotations, "
                f"{fake.requests.total} requests in {elapsed:.2f} s"
            )
            # Pattern 3: a dashboard report, cached for the client's cache_ttl.
            before = fake.requests.total
            for _ in range(3):
                await install.reports.modality_distribution()
            print(f"modality distribution read 3 times: {fake.requests.total - before} request")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``smarterproctoring-async`` command."""
    parser = argparse.ArgumentParser(prog="smarterproctoring-async", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("demo", help="run the SDK against the embedded fake API")
    run.add_argument("--sessions", type=int, default=200, help="sessions in the install")
    run.add_argument("--latency", type=float, default=0.02, help="fake server latency, s")
    args = parser.parse_args(argv)
    if args.command == "demo":
        asyncio.run(demo(args.sessions, args.latency))
    return 0


if __name__ == "__main__":
    sys.exit(main())
