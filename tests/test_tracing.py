"""OpenTelemetry spans, recorded by the SDK's in-memory exporter through tracer_provider=."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator

import anyio
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeAPI, Fault

from .conftest import MakeClient, busiest, handle

SESSION = "/v1/installs/{installSid}/exams/{examSid}/sessions/{sessionSid}"
EVENTS = SESSION + "/events"
SID = re.compile(r"[A-Z]{2}[0-9a-f]{32}")


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    found = InMemorySpanExporter()
    yield found
    found.shutdown()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> Iterator[TracerProvider]:
    made = TracerProvider()
    made.add_span_processor(SimpleSpanProcessor(exporter))
    yield made
    made.shutdown()


def attributes(span: ReadableSpan) -> dict[str, object]:
    return dict(span.attributes or {})


def assert_nothing_secret(spans: tuple[ReadableSpan, ...], token: str) -> None:
    text = json.dumps([[s.name, attributes(s), s.status.description] for s in spans])
    assert not SID.search(text), text
    assert token not in text


async def test_one_client_span_per_request_covering_its_retries(
    fake: FakeAPI, make_client: MakeClient, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    s = fake.data.sessions[0]
    fake.add_fault(Fault("status", status=503, route="/sessions/{sessionSid}"))
    client = make_client(tracer_provider=provider, rate_limit=100.0)
    await handle(client, s).get()
    (span,) = exporter.get_finished_spans()
    assert span.name == f"GET {SESSION}"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    found = attributes(span)
    limiter_wait = found.pop("smarterproctoring.limiter.wait")
    assert isinstance(limiter_wait, float) and 0 <= limiter_wait < 5
    assert found == {
        "http.request.method": "GET",
        "url.template": SESSION,
        "server.address": "127.0.0.1",
        "server.port": int(fake.base_url.rsplit(":", 1)[1]),
        "http.response.status_code": 200,
        "http.request.resend_count": 1,
        "smarterproctoring.attempts": 2,
    }
    assert_nothing_secret(exporter.get_finished_spans(), fake.token)


@pytest.mark.parametrize(
    ("fault", "error_type"),
    [
        (Fault("status", status=404), "404"),
        (Fault("status", status=503, times=None), "503"),
        (Fault("stall", delay=0.5, times=None), "smarterproctoring_async.errors.TimeoutError"),
    ],
    ids=lambda v: getattr(v, "kind", v),
)
async def test_a_failed_request_is_an_error_span(
    fake: FakeAPI,
    make_client: MakeClient,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
    fault: Fault,
    error_type: str,
) -> None:
    s = fake.data.sessions[0]
    fake.add_fault(Fault(**{**fault.__dict__, "route": "/sessions/{sessionSid}"}))
    retry = sp.RetryPolicy(max_attempts=2, base_delay=0.001)
    client = make_client(tracer_provider=provider, timeout=0.1, retry=retry)
    with pytest.raises(sp.SmarterProctoringError):
        await handle(client, s).get()
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == error_type
    assert attributes(span)["error.type"] == error_type
    # Only a request sent again has a resend count (a 404 is not retried).
    resent = attributes(span).get("http.request.resend_count")
    assert resent == (None if fault.status == 404 else 1)
    assert_nothing_secret(exporter.get_finished_spans(), fake.token)


async def test_page_requests_nest_under_one_span_per_iteration(
    fake: FakeAPI, make_client: MakeClient, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    s = busiest(fake)
    fake.page_cap = 10
    client = make_client(tracer_provider=provider, page_size=10)
    events = await handle(client, s).events().collect()
    async for _ in handle(client, s).events():
        pass
    spans = exporter.get_finished_spans()
    runs = [span for span in spans if span.kind is SpanKind.INTERNAL]
    requests = [span for span in spans if span.kind is SpanKind.CLIENT]
    assert [run.name for run in runs] == [f"paginate {EVENTS}"] * 2
    assert len(requests) == len(fake.requests)
    for run in runs:
        assert run.parent is None
        assert attributes(run)["smarterproctoring.records"] == len(events)
        assert run.context is not None
        children = [r for r in requests if r.parent and r.parent.span_id == run.context.span_id]
        offsets = {attributes(r)["smarterproctoring.page.offset"] for r in children}
        assert offsets >= set(range(0, len(events), 10))
        assert len(children) == len(requests) // 2
        assert all(r.name == f"GET {EVENTS}" for r in children)
    assert_nothing_secret(spans, fake.token)


async def test_bulk_runs_are_parents_of_their_requests(
    fake: FakeAPI, make_client: MakeClient, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    refs = [sp.SessionRef(s.install_sid, s.exam_sid, s.sid) for s in fake.data.sessions[:4]]
    missing = sp.SessionRef(refs[0].install_sid, refs[0].exam_sid, "ES" + "0" * 32)
    client = make_client(tracer_provider=provider)
    await client.gather_session_results([*refs, missing], concurrency=2, events=False)
    async with client.stream_session_results(refs[:2], annotations=False) as results:
        async for _ in results:
            pass
    spans = exporter.get_finished_spans()
    runs = {span.name: span for span in spans if span.parent is None}
    assert set(runs) == {"gather_session_results", "stream_session_results"}
    assert all(span.kind is SpanKind.INTERNAL for span in runs.values())
    assert attributes(runs["gather_session_results"]) == {
        "smarterproctoring.sessions": 5,
        "smarterproctoring.sessions.failed": 1,
    }
    requests = [span for span in spans if span.kind is SpanKind.CLIENT]
    assert len(requests) == len(fake.requests)
    for name, run in runs.items():
        assert run.context is not None
        mine = [r for r in requests if r.parent and r.parent.span_id == run.context.span_id]
        # The details requests; the lists' requests sit under one paginate span each.
        assert len(mine) == (5 if name == "gather_session_results" else 2), name
        pages = [p for p in spans if p.parent and p.parent.span_id == run.context.span_id]
        lists = [p for p in pages if p.kind is SpanKind.INTERNAL]
        assert len(lists) >= (4 if name == "gather_session_results" else 2), name
        assert {p.name for p in lists} == {
            f"paginate {SESSION}/"
            + ("annotations" if name == "gather_session_results" else "events")
        }
        for span in requests:  # every request is in a run's trace, under a run or a list
            assert span.parent is not None
    trace_ids = {span.context.trace_id for span in spans if span.context}
    assert len(trace_ids) == 2
    assert_nothing_secret(spans, fake.token)


async def test_a_fatal_error_marks_the_bulk_run_failed(
    fake: FakeAPI, make_client: MakeClient, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    refs = [sp.SessionRef(s.install_sid, s.exam_sid, s.sid) for s in fake.data.sessions[:3]]
    client = make_client(tracer_provider=provider, token="expired")
    with pytest.raises(sp.AuthenticationError):
        await client.gather_session_results(refs, events=False, annotations=False)
    (run,) = [s for s in exporter.get_finished_spans() if s.kind is SpanKind.INTERNAL]
    assert run.status.status_code is StatusCode.ERROR
    assert attributes(run)["error.type"] == "401"  # the framework's status for a bad token


async def test_a_client_without_a_provider_records_nothing(
    fake: FakeAPI, make_client: MakeClient, exporter: InMemorySpanExporter
) -> None:
    # No global provider is set in this suite: the API's default records nothing.
    client = make_client()
    assert client._transport.tracing.tracer() is None
    await handle(client, fake.data.sessions[0]).get()
    assert exporter.get_finished_spans() == ()


async def test_while_tracing_is_off_the_global_provider_is_looked_up_once_a_second(
    fake: FakeAPI, make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opentelemetry import trace

    looked = 0
    real = trace.get_tracer_provider

    def counting() -> trace.TracerProvider:
        nonlocal looked
        looked += 1
        return real()

    monkeypatch.setattr(trace, "get_tracer_provider", counting)
    client = make_client()
    for _ in range(20):  # well within a second: the environment is read once
        await handle(client, fake.data.sessions[0]).get()
    assert 1 <= looked <= 2  # (2: should the run straddle a second on a slow machine)


def test_tracer_provider_must_be_a_provider() -> None:
    with pytest.raises(TypeError, match="TracerProvider"):
        sp.Client("t", base_url="http://127.0.0.1:1", tracer_provider=object())


async def test_without_opentelemetry_installed_requests_just_work(fake: FakeAPI) -> None:
    # A child process where importing opentelemetry fails, as for a user without the extra.
    script = f"""
import asyncio, sys
sys.modules["opentelemetry"] = None
import smarterproctoring_async as sp

async def main():
    async with sp.Client({fake.token!r}, base_url={fake.base_url!r}) as client:
        s = await client.install({fake.data.sessions[0].install_sid!r}).exam(
            {fake.data.sessions[0].exam_sid!r}).session({fake.data.sessions[0].sid!r}).get()
        print(s.sid, client.stats.requests)

asyncio.run(main())
"""
    with anyio.fail_after(60):
        done = await anyio.run_process([sys.executable, "-c", script], check=False)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().split() == [fake.data.sessions[0].sid, "1"]
