"""A FastAPI service on one shared client (examples/fastapi_service.py), served by
uvicorn on loopback: 200 concurrent callers all get an answer (200, or 504/503 when
the budget cannot serve them) within the documented deadline plus a small slack."""

from __future__ import annotations

import asyncio
import importlib.util
import socket
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType

import anyio
import httpx
import pytest
import uvicorn

from smarterproctoring_async.testing import FakeAPI

EXAMPLE = Path(__file__).parents[2] / "examples" / "fastapi_service.py"
CALLERS = 200
#: Above the deadline: the event loop of a loaded 2-core machine and the HTTP hop.
SLACK = 1.5
#: The rate limiter's burst: requests it lets through at once (the client's default).
BURST = 10


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fastapi_service", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
async def service(fake: FakeAPI) -> AsyncIterator[tuple[str, ModuleType]]:
    example = load_example()
    app = example.create_app(fake.token, fake.base_url)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(
        app, lifespan="on", log_level="warning", ws="none", http="h11", backlog=4096
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listener]))
    with anyio.fail_after(10):
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
            await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}", example
    finally:
        server.should_exit = True
        with anyio.fail_after(10):
            await task
        listener.close()


async def test_200_concurrent_callers_all_answer_within_the_deadline(
    fake: FakeAPI, service: tuple[str, ModuleType]
) -> None:
    url, example = service
    sessions = fake.data.sessions
    outcomes: list[tuple[int, float]] = []
    limits = httpx.Limits(max_connections=CALLERS + 10, max_keepalive_connections=CALLERS)

    async def call(http: httpx.AsyncClient, index: int) -> None:
        s = sessions[index % len(sessions)]
        started = time.monotonic()
        answer = await http.get(
            f"{url}/installs/{s.install_sid}/exams/{s.exam_sid}/sessions/{s.sid}"
        )
        outcomes.append((answer.status_code, time.monotonic() - started))
        if answer.status_code == 200:
            assert answer.json()["sid"] == s.sid
        else:
            assert answer.headers["Retry-After"] == example.RETRY_AFTER

    async with httpx.AsyncClient(limits=limits, timeout=30.0) as http:
        async with anyio.create_task_group() as tg:
            for index in range(CALLERS):
                tg.start_soon(call, http, index)
        stats = (await http.get(f"{url}/stats")).json()
    statuses = Counter(status for status, _ in outcomes)
    slowest = max(seconds for _, seconds in outcomes)
    assert len(outcomes) == CALLERS
    assert set(statuses) <= {200, 503, 504}, statuses
    # The budget: a burst of 10, then 10 a second, for about the deadline.
    assert statuses[200] >= example.RATE_LIMIT * example.DEADLINE / 2, statuses
    assert slowest < example.DEADLINE + SLACK, (slowest, statuses)
    # Callers beyond the budget were refused without a request (the budget's requests
    # and its burst at most; an answer late under load may cost a sent one its caller);
    # none earned a 429.
    most = example.RATE_LIMIT * (example.DEADLINE + SLACK) + BURST
    assert statuses[200] <= stats["requests"] <= most, (stats, statuses)
    assert stats["rate_limited"] == 0
    print(statuses, f"slowest {slowest:.2f} s")


async def test_stats_are_served_as_a_plain_dict(service: tuple[str, ModuleType]) -> None:
    url, _ = service
    async with httpx.AsyncClient() as http:
        answer = await http.get(f"{url}/stats")
        schema = (await http.get(f"{url}/openapi.json")).json()
    assert answer.status_code == 200 and answer.json()["requests"] == 0
    assert "StatsDict" in schema["components"]["schemas"]
