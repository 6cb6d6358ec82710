"""One worker process of the shared-budget tests: its own Client and RedisRateLimiter.

Run by the tests as ``python worker.py ...`` with the API token in
``SMARTERPROCTORING_TOKEN`` (never on the command line). It fetches the details of the
sessions it is given, ``--requests`` times in all, ``--concurrency`` at a time, through
a limiter on the shared ``--key``, logging at INFO to stderr; then prints one line of
JSON: how many succeeded and the errors of the others.

With ``--runs K`` it does that K times, run i starting ``i x --period`` seconds after a
common start: it prints ``READY`` once its client is built, and reads the start (a
``time.time()`` value) from stdin, so that every worker begins each run together.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import sys
import time

import smarterproctoring_async as sp
from smarterproctoring_async.redis_limiter import RedisRateLimiter


async def run(options: argparse.Namespace) -> dict[str, object]:
    """Every request; the tally."""
    sessions = itertools.cycle(options.sessions.split(","))
    ok, failures = 0, []
    limiter = RedisRateLimiter(
        options.redis_url, key=options.key, rate=options.rate, burst=options.burst or None
    )
    client = sp.Client(
        base_url=options.base_url, rate_limiter=limiter, max_concurrency=options.concurrency
    )
    async with limiter, client:
        exam = client.install(options.install).exam(options.exam)

        async def fetch_some() -> None:
            nonlocal ok
            while todo:
                sid = todo.pop()
                try:
                    await exam.session(sid).get()
                    ok += 1
                except sp.SmarterProctoringError as error:
                    failures.append(repr(error))

        start = time.time()
        if options.runs > 1:
            print("READY", flush=True)
            start = float(await asyncio.to_thread(sys.stdin.readline))
        for number in range(options.runs):
            await asyncio.sleep(max(0.0, start + number * options.period - time.time()))
            todo = [next(sessions) for _ in range(options.requests)]
            await asyncio.gather(*(fetch_some() for _ in range(options.concurrency)))
    return {"ok": ok, "errors": failures}


def main() -> None:
    """Entry point."""
    cli = argparse.ArgumentParser(description=__doc__)
    cli.add_argument("--base-url", required=True)
    cli.add_argument("--redis-url", required=True)
    cli.add_argument("--key", required=True)
    cli.add_argument("--rate", type=float, required=True)
    cli.add_argument("--burst", type=int, default=0, help="0: the limiter's default")
    cli.add_argument("--install", required=True)
    cli.add_argument("--exam", required=True)
    cli.add_argument("--sessions", required=True, help="comma-separated session SIDs")
    cli.add_argument("--requests", type=int, required=True)
    cli.add_argument("--concurrency", type=int, default=4)
    cli.add_argument("--runs", type=int, default=1)
    cli.add_argument("--period", type=float, default=0.0, help="seconds from run to run")
    options = cli.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(name)s %(levelname)s %(message)s")
    print(json.dumps(asyncio.run(run(options))), flush=True)


if __name__ == "__main__":
    main()
