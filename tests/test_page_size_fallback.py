"""page_size="auto" against servers refusing limit > 50 the way the API's framework may.

hapi + joi answer a refused ``limit`` with a 400 whose words need not name it
("Invalid request query input" on hapi 17's defaults). Whatever the body, a 400 to a
request that asked for more than 50 is asked again at 50 before it counts; the route
then asks for 50 directly.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import anyio
import pytest

import smarterproctoring_async as sp

from .hostile._helpers import TOKEN, connected, session_of
from .hostile._server import (
    ES,
    Conn,
    Handler,
    Request,
    event,
    events_path,
    json_response,
    page,
    response,
    session_path,
    sid,
)

ES2 = sid("ES", 2)

BODIES: dict[str, Any] = {
    "between": {
        "statusCode": 400,
        "error": "Bad Request",
        "message": "The limit parameter must be between 1 and 50",
    },
    "maximum": {"statusCode": 400, "error": "Bad Request", "message": "Maximum limit is 50"},
    "no-keys": {
        "statusCode": 400,
        "error": "Bad Request",
        "message": "Invalid request query input",
    },
    "boom-keys": {
        "statusCode": 400,
        "error": "Bad Request",
        "message": "Invalid request query input",
        "validation": {"source": "query", "keys": ["limit"]},
    },
    "numeric-code": {
        "code": "4000",
        "message": '"limit" must be less than or equal to 50',
        "status": 400,
    },
}

#: What no log line may repeat: the server's own words.
SERVER_WORDS = ("between 1 and 50", "Maximum limit", "Invalid request", "less than or equal")


def refusing(body: Any, *, counts: dict[str, int], at_fifty_too: bool = False) -> Handler:
    """Honest event and annotation pages; a 400 with ``body`` above limit 50 (always,
    with ``at_fifty_too``)."""
    refusal = response(400, json.dumps(body).encode())

    async def handle(request: Request, conn: Conn) -> None:
        if request.limit > 50 or at_fifty_too:
            await conn.send(refusal)
            return
        es = request.path.split("/sessions/")[1].split("/")[0]
        count = counts.get(request.path.rsplit("/", 1)[1], 0)
        rows = [event(es, n) for n in range(count)]
        start, size = request.offset, request.limit
        await conn.send(json_response(page(rows[start : start + size], total=count, offset=start)))

    return handle


def limits(requests: list[Request], path: str) -> list[int]:
    return [r.limit for r in requests if r.path == path]


@pytest.mark.parametrize("body", list(BODIES.values()), ids=list(BODIES))
async def test_any_refusal_above_fifty_is_asked_at_fifty_and_the_route_keeps_it(
    body: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, "smarterproctoring_async")
    handler = refusing(body, counts={"events": 120})
    async with connected(handler, max_requests=100, page_size="auto") as (server, client):
        with anyio.fail_after(10):
            first = [e.sid async for e in session_of(client).events()]
            assert first == [event(ES, n)["sid"] for n in range(120)]
            asked = limits(server.requests, events_path())
            assert asked[:2] == [500, 50] and set(asked[1:]) == {50}, asked
            # Another session: the same route template, so 50 at once.
            second = await session_of(client, ES2).events().collect()
    assert [e.sid for e in second] == [event(ES2, n)["sid"] for n in range(120)]
    assert set(limits(server.requests, events_path(ES2))) == {50}
    # One line at INFO or above, for the whole client: the method, template and limit.
    (line,) = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert line.startswith(
        "GET /v1/installs/{installSid}/exams/{examSid}/sessions/{sessionSid}/events: limit=500"
    )
    assert not any(words in line for words in SERVER_WORDS), line
    assert TOKEN not in line and ES not in line and ES2 not in line


async def test_another_route_still_asks_for_500_first() -> None:
    handler = refusing(BODIES["no-keys"], counts={"events": 3, "annotations": 3})
    async with connected(handler, max_requests=100, page_size="auto") as (server, client):
        with anyio.fail_after(10):
            await session_of(client).events().collect()
            view = client.with_options(timeout=4.0)
            notes = await session_of(view).annotations().collect()
            await session_of(client).annotations().collect()
    assert len(notes) == 3
    assert limits(server.requests, events_path()) == [500, 50]
    # Learnt through the view, kept by the client: one PageSize per client.
    assert limits(server.requests, session_path() + "/annotations") == [500, 50, 50]


async def test_a_400_that_persists_at_fifty_is_raised_and_nothing_sticks() -> None:
    handler = refusing(BODIES["no-keys"], counts={"events": 3}, at_fifty_too=True)
    async with connected(handler, max_requests=100, page_size="auto") as (server, client):
        for _ in range(2):
            with anyio.fail_after(10), pytest.raises(sp.InvalidInputError):
                await session_of(client).events().collect()
    # Each list asked 500, then 50 once: a 400 at 50 is the real answer, not the size.
    assert limits(server.requests, events_path()) == [500, 50, 500, 50]


async def test_a_fixed_page_size_is_never_asked_again() -> None:
    handler = refusing(BODIES["no-keys"], counts={"events": 3})
    async with connected(handler, max_requests=100, page_size=200) as (server, client):
        with anyio.fail_after(10), pytest.raises(sp.InvalidInputError):
            await session_of(client).events().collect()
    assert limits(server.requests, events_path()) == [200]


async def test_a_refusal_worded_as_a_server_failure_falls_back_after_its_retries() -> None:
    """A 400 the SDK reads as the server's failure (code 7000) is retried at 500, and
    then, as any 400 to a request above 50, asked once at 50 before it counts."""
    body = {"code": "7000", "message": "limit is too large for this query", "status": 400}
    handler = refusing(body, counts={"events": 120})
    async with connected(handler, max_requests=100, page_size="auto") as (server, client):
        with anyio.fail_after(10):
            got = [e.sid async for e in session_of(client).events()]
    assert got == [event(ES, n)["sid"] for n in range(120)]
    asked = limits(server.requests, events_path())
    attempts = sp.RetryPolicy().max_attempts
    assert asked[: attempts + 1] == [500] * attempts + [50] and set(asked[attempts:]) == {50}
