"""The command line: ``smarterproctoring-async demo`` runs the SDK against the embedded fake API.

The demo needs no credentials and no network: it starts the fake API on 127.0.0.1,
points a client at it and shows the guide's post-session sync for a few sessions.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence

from . import Client, SessionRef
from .testing import FakeAPI, generate_data

__all__ = ["main"]


async def demo(sessions: int, latency: float) -> None:
    """Sync the closed sessions of a generated install and print what came back."""
    data = generate_data(seed=7, exams=2, sessions_per_exam=max(1, sessions // 2))
    async with FakeAPI(data, latency=latency, page_cap=25) as fake:
        print(f"fake SmarterProctoring API on {fake.base_url} ({len(data.sessions)} sessions)")
        async with Client(fake.token, base_url=fake.base_url, rate_limit=50.0) as client:
            started = time.perf_counter()
            for s in data.sessions[:sessions]:
                session = client.session(SessionRef(s.install_sid, s.exam_sid, s.sid))
                details = await session.get()
                if not details.is_terminal:
                    print(f"  {details.sid}  {details.status:<16} skipped: not finished yet")
                    continue
                events = await session.events().collect()
                notes = await session.annotations().collect()
                flagged = sum(1 for n in notes if n.severity == "red")
                print(
                    f"  {details.sid}  {details.status:<16} {len(events):>4} events "
                    f"{len(notes):>3} annotations ({flagged} red)"
                )
            elapsed = time.perf_counter() - started
            print(f"{len(fake.requests)} requests in {elapsed:.2f} s")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``smarterproctoring-async`` command."""
    parser = argparse.ArgumentParser(prog="smarterproctoring-async", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("demo", help="run the SDK against the embedded fake API")
    run.add_argument("--sessions", type=int, default=8, help="sessions to sync (default 8)")
    run.add_argument("--latency", type=float, default=0.02, help="fake server latency, s")
    args = parser.parse_args(argv)
    if args.command == "demo":
        asyncio.run(demo(args.sessions, args.latency))
    return 0


if __name__ == "__main__":
    sys.exit(main())
