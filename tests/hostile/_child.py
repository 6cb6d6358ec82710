"""Run one SDK call in a fresh process and print what happened as one JSON line.

Used by the tests that measure memory (peak RSS growth of this process only) or that
could block an event loop for good. ``argv[1]`` is a JSON spec::

    {"base_url": ..., "token": ..., "sids": [AI, EX, ES],
     "call": "get" | "events" | "appointment_volume",
     "client": {extra Client keywords}, "retry": {RetryPolicy keywords},
     "block_fast": false}

The output names the exception raised (if any), whether it is a
``SmarterProctoringError``, its message (cut), the peak RSS growth in MiB across the
call, the call's duration and the longest gap seen between 10 ms ticks of the loop.
"""

from __future__ import annotations

import json
import sys
import time


def _peak_rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> None:
    spec = json.loads(sys.argv[1])
    if spec.get("block_fast"):  # the fast extra's decoder: the standard library's instead
        sys.modules["msgspec"] = None  # type: ignore[assignment]

    import asyncio

    import smarterproctoring_async as sp
    import smarterproctoring_async._json

    fast_used = "msgspec" in smarterproctoring_async._json.__dict__

    async def run() -> dict[str, object]:
        ai, ex, es = spec["sids"]
        gaps = [0.0]
        stop = asyncio.Event()

        async def ticker() -> None:
            last = time.monotonic()
            for _ in range(100_000):  # bounded: 1000 s of ticks at most
                if stop.is_set():
                    return
                await asyncio.sleep(0.01)
                now = time.monotonic()
                gaps[0] = max(gaps[0], now - last)
                last = now

        tick = asyncio.create_task(ticker())
        retry = sp.RetryPolicy(**spec.get("retry", {}))
        options = {"rate_limit": None, "timeout": 20.0, **spec.get("client", {})}
        error: BaseException | None = None
        before = _peak_rss_mib()
        started = time.monotonic()
        async with sp.Client(
            spec["token"], base_url=spec["base_url"], retry=retry, **options
        ) as client:
            try:
                if spec["call"] == "get":
                    await client.install(ai).exam(ex).session(es).get()
                elif spec["call"] == "events":
                    await client.install(ai).exam(ex).session(es).events().collect()
                elif spec["call"] == "appointment_volume":
                    await client.install(ai).reports.appointment_volume()
                else:
                    raise SystemExit(f"unknown call {spec['call']!r}")
            except Exception as exc:
                error = exc
        elapsed = time.monotonic() - started
        growth = _peak_rss_mib() - before
        stop.set()
        await tick
        return {
            "error": None if error is None else type(error).__name__,
            "sp_error": isinstance(error, sp.SmarterProctoringError),
            "message": "" if error is None else str(error)[:500],
            "limit": getattr(error, "limit", None),
            "rss_growth_mib": growth,
            "elapsed": elapsed,
            "max_gap": gaps[0],
            "fast_used": fast_used,
        }

    result = asyncio.run(run())
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
