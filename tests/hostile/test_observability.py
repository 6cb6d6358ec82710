"""Stats and spans against the raw hostile server: what they count is what crossed the wire.

The fake API's faults are the SDK authors' own idea of a failure; here a body cut
short and a 429 with ``Retry-After`` come from a server sharing no code with either.
(A connection reset before any answer is resent once by aiohttp itself, unseen by the
SDK: that resend is the one request the server sees that the stats cannot count.)
"""

from __future__ import annotations

import anyio
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

import smarterproctoring_async as sp

from ._helpers import TOKEN, connected, session_of
from ._server import AI, ES, EX, Conn, Request, json_response, response

TEMPLATE = "/v1/installs/{installSid}/exams/{examSid}/sessions/{sessionSid}"
DETAILS = {"sid": ES, "installSid": AI, "examSid": EX, "status": "Closed"}


def scripted(*steps: str):  # type: ignore[no-untyped-def]
    """A handler answering request n with ``steps[n]`` (then with the details)."""
    seen = 0

    async def handle(request: Request, conn: Conn) -> None:
        nonlocal seen
        step = steps[seen] if seen < len(steps) else "ok"
        seen += 1
        if step == "reset":
            conn.reset()
        elif step == "short":  # announces 500 bytes, sends 20, hangs up
            await conn.send(response(200, b'{"sid": "ES', length=500))
            conn.close()
        elif step == "429":
            await conn.send(json_response({}, 429, headers=[("Retry-After", "0")]))
        else:
            await conn.send(json_response(DETAILS))

    return handle


async def test_stats_count_what_the_server_did_by_cause() -> None:
    handler = scripted("short", "short", "429")
    async with connected(handler) as (server, client):
        with anyio.fail_after(10):
            details = await session_of(client).get()
        stats = client.stats
    assert details.status == "Closed"
    assert len(server.requests) == 4
    counts = stats.endpoints[TEMPLATE]
    assert counts.requests == 4 and stats.requests == 4
    assert counts.retries == {"connection": 2, "429": 1}, counts.retries
    assert counts.rate_limited == 1 and counts.failures == 0
    assert counts.bytes_received >= len(json_response(DETAILS)) - 100
    assert ES not in repr(stats) and TOKEN not in repr(stats.as_dict())


async def test_a_span_per_request_with_its_resends_and_the_final_error() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    retry = sp.RetryPolicy(max_attempts=2, base_delay=0.001, max_delay=0.01)
    try:
        async with connected(
            scripted("short", "ok", "short", "short"), tracer_provider=provider, retry=retry
        ) as (server, client):
            with anyio.fail_after(10):
                await session_of(client).get()
                with pytest.raises(sp.TransportError):
                    await session_of(client).get()
        ok, failed = exporter.get_finished_spans()
    finally:
        provider.shutdown()
    assert len(server.requests) == 4
    for span in (ok, failed):
        assert span.name == f"GET {TEMPLATE}"
        assert span.attributes is not None
        assert span.attributes["url.template"] == TEMPLATE
        assert span.attributes["http.request.resend_count"] == 1
        text = repr(dict(span.attributes))
        assert ES not in text and TOKEN not in text
    assert ok.status.status_code is not StatusCode.ERROR
    assert ok.attributes is not None and ok.attributes["http.response.status_code"] == 200
    assert failed.status.status_code is StatusCode.ERROR
    assert failed.attributes is not None
    assert failed.attributes["error.type"] == "smarterproctoring_async.errors.TransportError"


async def test_a_reset_resent_by_aiohttp_itself_is_the_one_uncounted_request() -> None:
    async with connected(scripted("reset")) as (server, client):
        with anyio.fail_after(10):
            await session_of(client).get()
        stats = client.stats
    assert len(server.requests) == 2
    assert stats.requests == 1 and stats.endpoints[TEMPLATE].retries == {}
