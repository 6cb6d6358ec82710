"""The bounded request log: the last N records in full, exact counters over all requests."""

from __future__ import annotations

import asyncio
import os
import sys
import tracemalloc
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import aiohttp
import pytest
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from smarterproctoring_async.testing import FakeAPI, Fault, RequestLog, RequestRecord

ROOT = Path(__file__).resolve().parents[2]


def record(start: float, route: str | None = "/v1/check", status: int = 200) -> RequestRecord:
    return RequestRecord(
        start=start,
        end=start + 0.001,
        method="GET",
        path="/v1/check",
        route=route,
        query=(),
        status=status,
        headers={},
        in_flight=1,
        fault="status" if status == 503 else None,
    )


def test_log_keeps_the_most_recent_and_counts_everything() -> None:
    log = RequestLog(maxlen=10_000)
    assert log == [] and log.maxlen == 10_000
    statuses = (200, 200, 404, 503)
    for n in range(50_000):
        log.begin()
        log.end(record(float(n), route=None if n % 7 == 0 else "/v1/check", status=statuses[n % 4]))
    assert len(log) == 10_000
    assert [r.start for r in log] == [float(n) for n in range(40_000, 50_000)]
    assert (log.total, log.dropped) == (50_000, 40_000)
    assert log.by_route == Counter({None: 7143, "/v1/check": 42857})
    assert log.by_status == Counter({200: 25_000, 404: 12_500, 503: 12_500})
    assert log.by_fault == Counter({"status": 12_500})
    assert (log.in_flight, log.max_in_flight) == (0, 1)
    assert log[0].start == 40_000.0 and log[-1].start == 49_999.0
    assert [r.start for r in log[-2:]] == [49_998.0, 49_999.0]
    assert "10000 kept of 50000" in repr(log)


def test_log_orders_by_start_even_when_requests_end_out_of_order() -> None:
    log = RequestLog(maxlen=3)
    for _ in range(6):
        log.begin()
    for start in (1.0, 3.0, 2.0):  # the request that started at 2.0 ended last
        log.end(record(start))
    assert [r.start for r in log] == [1.0, 2.0, 3.0]
    log.end(record(5.0))
    log.end(record(4.0))
    assert [r.start for r in log] == [3.0, 4.0, 5.0]  # full: the oldest starts make room
    log.end(record(0.5))  # older than everything kept: counted, not kept
    assert (log.in_flight, log.max_in_flight) == (0, 6)
    assert ([r.start for r in log], log.total) == ([3.0, 4.0, 5.0], 6)


def test_log_sizes_and_clear() -> None:
    everything = RequestLog(maxlen=None)
    none = RequestLog(maxlen=0)
    for n in range(20_000):
        for log in (everything, none):
            log.begin()
            log.end(record(float(n)))
    assert (len(everything), everything.total, everything.dropped) == (20_000, 20_000, 0)
    assert (len(none), none.total, none.by_status[200]) == (0, 20_000, 20_000)
    everything.begin()
    everything.begin()
    everything.clear()
    assert everything == [] and everything.total == 0 and not everything.by_route
    assert everything.max_in_flight == 2  # restarts from the requests still in flight
    with pytest.raises(ValueError, match="maxlen"):
        RequestLog(maxlen=-1)


class _Request:
    """Just what the fake reads of an aiohttp request, to drive it without sockets."""

    method = "GET"
    transport = None

    def __init__(self, target: str, headers: Mapping[str, str]) -> None:
        self.rel_url = URL(target)
        self.path = self.rel_url.path
        self.query = self.rel_url.query
        self.headers = CIMultiDictProxy(CIMultiDict(headers))


async def test_50000_requests_keep_the_log_flat_and_the_counters_exact() -> None:
    fake = FakeAPI(request_log_size=500)
    fake._base_url = "http://127.0.0.1:9"  # driven without a socket: no start()
    fake.add_fault(Fault("status", route="/v1/ttl", status=503, times=1_000))
    good, bad = {"token": fake.token}, {"token": "wrong"}
    plan: list[tuple[str, dict[str, str]]] = [
        ("/v1/check", bad),  # 401, still routed nowhere
        ("/v1/nowhere", good),  # 404, no route
        ("/v1/check?bogus=1", good),  # 400
        ("/v1/ttl", good),  # 503 for the first 1,000, then 200
        ("/v1/check", good),  # 200
    ]
    traced: list[int] = []
    for n in range(50_000):
        # The log is full long before request 40,000. Tracing starts there; by 41,000 every
        # record kept was allocated under tracing, and the next 5,000 requests must not
        # grow memory. (Tracing every request would take many seconds.)
        if n == 40_000:
            tracemalloc.start()
        elif n in (41_000, 46_000):
            traced.append(tracemalloc.get_traced_memory()[0])
            if n == 46_000:
                tracemalloc.stop()
        target, headers = plan[n % len(plan)]
        await fake._handle(cast(web.BaseRequest, _Request(target, headers)))
    log = fake.requests
    assert (len(log), log.total, log.dropped) == (500, 50_000, 49_500)
    assert log.by_status == Counter(
        {401: 10_000, 404: 10_000, 400: 10_000, 503: 1_000, 200: 19_000}
    )
    assert log.by_route == Counter({None: 20_000, "/v1/check": 20_000, "/v1/ttl": 10_000})
    assert log.by_fault == Counter({"status": 1_000})
    assert log.max_in_flight == 1 and log.in_flight == 0
    assert [r.start for r in log] == sorted(r.start for r in log)
    assert log[-1].path == "/v1/check" and log[-1].status == 200
    # 5,000 more records held in full would be ~2.5 MB; the bounded log stays put.
    assert traced[1] - traced[0] < 100_000, traced


async def test_log_over_http_keeps_recent_requests() -> None:
    async with (
        FakeAPI(request_log_size=50) as fake,
        aiohttp.ClientSession(headers={"token": fake.token}) as http,
    ):
        fake.add_fault(Fault("status", route="/v1/ttl", status=500, times=3))
        for n in range(120):
            async with http.get(f"{fake.base_url}/v1/{'ttl' if n % 2 else 'check'}") as response:
                await response.read()
        assert len(fake.requests) == 50
        assert fake.requests.total == 120
        assert fake.requests.by_status == Counter({200: 117, 500: 3})
        assert fake.requests.by_route["/v1/ttl"] == 60
        assert fake.requests.by_fault == Counter({"status": 3})
        assert [r.route for r in fake.requests[-2:]] == ["/v1/check", "/v1/ttl"]
        assert fake.max_in_flight == 1
        fake.clear_requests()
        assert fake.requests == [] and fake.requests.total == 0


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(
    not os.environ.get("SMARTERPROCTORING_SOAK") or not sys.platform.startswith("linux"),
    reason="50,000 HTTP requests (~30 s): set SMARTERPROCTORING_SOAK=1 (Linux: reads /proc)",
)
async def test_rss_stays_flat_over_50000_http_requests() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "smarterproctoring_async.testing", "--request-log", "10000",
        stdout=asyncio.subprocess.PIPE, cwd=ROOT,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        _, base_url, token = (await process.stdout.readline()).decode().split()
        gate = asyncio.Semaphore(32)
        rss: dict[int, float] = {}

        async def one(http: aiohttp.ClientSession) -> Any:
            async with gate, http.get(f"{base_url}/v1/check") as response:
                return await response.read()

        async with aiohttp.ClientSession(headers={"token": token}) as http:
            for done in range(5_000, 50_001, 5_000):
                await asyncio.gather(*(one(http) for _ in range(5_000)))
                rss[done] = _rss_mb(process.pid)
        # Full at 10,000 records; from 15,000 on, no growth beyond allocator noise.
        assert rss[50_000] - rss[15_000] < 8, rss
    finally:
        process.terminate()
        await process.wait()
