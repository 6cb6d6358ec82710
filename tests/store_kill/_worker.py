"""One sync in a process of its own, for the kill tests: ``client.sync(install, store)``.

Run as ``python _worker.py --base-url URL --install AI... --store URL [...]`` with the
API token in ``SMARTERPROCTORING_TOKEN`` (never on the command line). With ``--wait-go``
it imports everything it needs, prints ``READY`` and waits for a line on standard input
before it opens anything: the tests start the next worker while the previous one runs,
so that a kill's delay measures the sync, not the interpreter's start.

It prints one line of JSON: the summary (``"ok": true``) or the error's type and
message (``"ok": false``), and exits 0, 3 (``StoreBusyError``), 2 (another
``StoreError``) or 1 (another error of the package). Anything else is a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import signal
import sys
import time
from typing import Any

import smarterproctoring_async as sp
from smarterproctoring_async import errors

# Loaded before READY (sp.Store and its drivers are imported lazily otherwise).
_ = (sp.Store, sp.Client.sync)
try:
    import psycopg  # noqa: F401
    import sqlalchemy  # noqa: F401
except ImportError:  # the tests that need them skip without them
    pass


async def sync(options: argparse.Namespace) -> dict[str, Any]:
    """The sync; its summary as JSON values."""
    limiter: Any = None
    client_options: dict[str, Any] = {"rate_limit": options.rate_limit}
    if options.redis_url:
        limiter = sp.RedisRateLimiter(
            options.redis_url, key=options.key, rate=options.rate_limit, burst=options.burst
        )
        client_options = {"rate_limiter": limiter}
    elif options.burst:
        client_options["burst"] = options.burst
    retry = sp.RetryPolicy(base_delay=0.01, max_delay=0.2)
    shard: tuple[int, int] | None = None
    if options.shard:
        index, count = options.shard.split("/")
        shard = (int(index), int(count))
    client = sp.Client(base_url=options.base_url, retry=retry, **client_options)
    try:
        async with client, sp.Store(options.store) as store:
            summary = await client.sync(
                options.install, store, shard=shard, lock_wait=options.lock_wait
            )
    finally:
        if limiter is not None:
            await limiter.aclose()
    return {
        "ok": True,
        "run_id": summary.run_id,
        "stored": summary.stored,
        "unchanged": summary.unchanged,
        "skipped": summary.skipped,
        "failed": summary.failed,
        "events": summary.events,
        "annotations": summary.annotations,
        "requests": summary.requests,
        "errors": list(summary.errors),
    }


def main() -> None:
    """Entry point."""
    cli = argparse.ArgumentParser(description=__doc__)
    cli.add_argument("--base-url", required=True)
    cli.add_argument("--install", required=True)
    cli.add_argument("--store", required=True)
    cli.add_argument("--shard", default=None, help="I/N")
    cli.add_argument("--lock-wait", type=float, default=30.0)
    cli.add_argument("--rate-limit", type=float, default=None, help="the client's requests/s")
    cli.add_argument("--burst", type=int, default=None)
    cli.add_argument("--redis-url", default=None)
    cli.add_argument("--key", default="kill-tests")
    cli.add_argument("--wait-go", action="store_true")
    cli.add_argument(
        "--fsize-limit", type=int, default=None, metavar="BYTES",
        help="no file may grow past BYTES (a full disk where tmpfs cannot be mounted)",
    )  # fmt: skip
    options = cli.parse_args()
    if options.fsize_limit is not None:
        # Writes past the limit then fail with EFBIG instead of killing the process.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (options.fsize_limit, options.fsize_limit))
    if options.wait_go:
        print("READY", flush=True)
        if not sys.stdin.readline():
            return  # the test ended without starting this one
    started = time.monotonic()
    code = 0
    try:
        result = asyncio.run(sync(options))
    except errors.SmarterProctoringError as error:
        result = {"ok": False, "error": type(error).__name__, "message": str(error)}
        code = 3 if isinstance(error, errors.StoreBusyError) else 2
        code = code if isinstance(error, errors.StoreError) else 1
    result["seconds"] = time.monotonic() - started
    print(json.dumps(result), flush=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
