"""The transport over loopback: retries, typed errors, Retry-After, redirects, secrecy."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeAPI, Fault

from .conftest import MakeClient, handle
from .test_ratelimit import RecordingLimiter

SESSION_ROUTE = "/sessions/{sessionSid}"


@pytest.mark.parametrize(
    "fault",
    [
        Fault("status", status=500),
        Fault("status", status=502),
        Fault("status", status=503),
        Fault("status", status=504),
        Fault("status", status=408),
        Fault("status", status=429),
        Fault("reset", times=2),  # aiohttp itself silently resends a GET once after a reset
        Fault("html"),
        Fault("malformed"),
        Fault("truncated"),
        Fault("stall", delay=2.0),
    ],
    ids=lambda f: f"{f.kind}-{f.status}",
)
async def test_each_transient_fault_is_retried_and_recovers(
    fake: FakeAPI, make_client: MakeClient, fault: Fault
) -> None:
    s = fake.data.sessions[0]
    fake.add_fault(Fault(**{**fault.__dict__, "route": SESSION_ROUTE}))
    client = make_client(timeout=0.3)
    details = await handle(client, s).get()
    assert details.to_dict() == s.wire
    assert fake.requests[-1].status == 200
    if fault.kind != "stall":  # a stalled request is logged only when its sleep ends
        assert len([r for r in fake.requests if r.fault]) == fault.times


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, sp.InvalidInputError),
        (401, sp.AuthenticationError),
        (403, sp.AuthenticationError),
        (404, sp.NotFoundError),
    ],
)
async def test_never_retried_statuses_raise_after_one_request(
    fake: FakeAPI, make_client: MakeClient, status: int, error: type[sp.APIError]
) -> None:
    fake.add_fault(Fault("status", status=status, times=None))
    with pytest.raises(error) as info:
        await handle(make_client(), fake.data.sessions[0]).get()
    assert info.value.status == status
    # A 401/403 asks /v1/check whether the token itself works (here it is refused too).
    checks = ["/v1/check"] if status in (401, 403) else []
    assert [r.path for r in fake.requests][1:] == checks


async def test_real_server_errors_are_typed(fake: FakeAPI, make_client: MakeClient) -> None:
    s = fake.data.sessions[0]
    missing = "ES" + "0" * 32
    with pytest.raises(sp.NotFoundError) as info:
        await make_client().install(s.install_sid).exam(s.exam_sid).session(missing).get()
    assert info.value.code == "1200"  # the maker's DATA_NOT_FOUND
    assert info.value.path.endswith(missing)
    with pytest.raises(sp.AuthenticationError) as auth:
        await handle(make_client(token="wrong"), s).get()
    assert auth.value.code == "5000"  # the maker's UNAUTHORIZED
    # The 401 is confirmed fatal by /v1/check, which refuses the wrong token too.
    assert [r.path for r in fake.requests][2:] == ["/v1/check"]


async def test_exhausted_retries_raise_the_last_error(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    fake.add_fault(Fault("status", status=503, times=None))
    client = make_client(retry=sp.RetryPolicy(max_attempts=3, base_delay=0.001))
    with pytest.raises(sp.ServerError) as info:
        await handle(client, fake.data.sessions[0]).get()
    assert info.value.status == 503
    assert len(fake.requests) == 3


async def test_timeouts_raise_our_timeout_error(fake: FakeAPI, make_client: MakeClient) -> None:
    fake.add_fault(Fault("stall", delay=1.0, times=None))
    client = make_client(timeout=0.05, retry=sp.RetryPolicy(max_attempts=2, base_delay=0.001))
    with pytest.raises(sp.TimeoutError) as info:
        await handle(client, fake.data.sessions[0]).get()
    assert isinstance(info.value, TimeoutError)
    assert isinstance(info.value, sp.TransportError)


async def test_connection_refused_is_a_transport_error(make_client: MakeClient) -> None:
    client = make_client(
        base_url="http://127.0.0.1:9", retry=sp.RetryPolicy(max_attempts=2, base_delay=0.001)
    )
    with pytest.raises(sp.TransportError):
        await client.install("AI" + "a" * 32).exam("EX" + "a" * 32).session("ES" + "a" * 32).get()


async def test_malformed_body_every_time_is_a_decode_error(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    fake.add_fault(Fault("malformed", times=None))
    with pytest.raises(sp.DecodeError, match="not valid JSON"):
        await handle(make_client(), fake.data.sessions[0]).get()
    # A complete 2xx body that is not JSON is read twice (it may have been cut short on
    # the way), not once per allowed attempt: the same request gets the same body.
    assert len(fake.requests) == 2


@pytest.mark.parametrize("header", ["1", "http-date"])
async def test_retry_after_pauses_every_concurrent_request(
    fake: FakeAPI, make_client: MakeClient, header: str
) -> None:
    value = (
        format_datetime(datetime.now(timezone.utc) + timedelta(seconds=2), usegmt=True)
        if header == "http-date"
        else header
    )
    fake.add_fault(Fault("status", status=429, retry_after=value, route=SESSION_ROUTE))
    fake.latency = 0.02
    client = make_client(max_concurrency=4)
    sessions = fake.data.sessions[:12]
    results = await asyncio.gather(*(handle(client, s).get() for s in sessions))
    assert [r.sid for r in results] == [s.sid for s in sessions]
    limited = next(r for r in fake.requests if r.status == 429)
    # An HTTP-date has one-second resolution: two seconds ahead is at least one.
    pause = 1.0
    after = [r for r in fake.requests if r.start > limited.end + 0.005]
    assert after, "some requests had to wait"
    assert min(r.start for r in after) >= limited.end + pause - 0.05
    assert len(fake.requests) == len(sessions) + 1


async def test_retry_after_beyond_the_cap_is_raised_at_once(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    fake.add_fault(Fault("status", status=429, retry_after="3600"))
    client = make_client(retry=sp.RetryPolicy(max_retry_after=5.0))
    with pytest.raises(sp.RateLimitError) as info:
        await handle(client, fake.data.sessions[0]).get()
    assert info.value.retry_after == 3600.0
    assert len(fake.requests) == 1


async def test_server_rate_limit_is_survived(fake: FakeAPI, make_client: MakeClient) -> None:
    fake.rate_limit, fake.rate_burst = 20.0, 2
    client = make_client(retry=sp.RetryPolicy(max_attempts=6, base_delay=0.01))
    sessions = fake.data.sessions[:10]
    results = await asyncio.gather(*(handle(client, s).get() for s in sessions))
    assert {r.sid for r in results} == {s.sid for s in sessions}


async def test_cross_host_redirect_never_carries_the_token(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    async with FakeAPI(token="other") as elsewhere:
        # localhost and 127.0.0.1 are different hosts as far as the token is concerned
        target = elsewhere.base_url.replace("127.0.0.1", "localhost") + "/v1/check"
        fake.add_fault(Fault("redirect", location=target, times=None))
        with pytest.raises(sp.RedirectError, match="localhost"):
            await handle(make_client(), fake.data.sessions[0]).get()
        fake.add_fault(Fault("redirect", location=elsewhere.base_url + "/v1/check"))
        assert elsewhere.requests == []
    assert len(fake.requests) == 1


async def test_same_host_redirect_is_followed(fake: FakeAPI, make_client: MakeClient) -> None:
    s = fake.data.sessions[0]
    fake.add_fault(Fault("redirect", status=307))  # to the same URL, once
    details = await handle(make_client(), s).get()
    assert details.sid == s.sid
    assert [r.status for r in fake.requests] == [307, 200]
    assert fake.requests[1].headers["token"] == fake.token


async def test_concurrency_cap_holds(fake: FakeAPI, make_client: MakeClient) -> None:
    fake.latency = 0.02
    client = make_client(max_concurrency=3)
    await asyncio.gather(*(handle(client, s).get() for s in fake.data.sessions[:15]))
    assert fake.max_in_flight == 3


async def test_limiter_holds_its_rate_across_three_paginations(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    fake.page_cap = 5
    rate, burst = 40.0, 2
    limiter = RecordingLimiter(rate, burst)
    client = make_client(rate_limiter=limiter)
    sessions = sorted(fake.data.sessions, key=lambda s: -len(s.events))[:3]
    got = await asyncio.gather(*(handle(client, s).events().collect() for s in sessions))
    assert [len(g) for g in got] == [len(s.events) for s in sessions]
    # Every request went through the limiter. Its schedule is checked rather than the
    # times requests left or arrived, which a loaded machine bunches up after the fact.
    starts = sorted(limiter.booked)
    assert len(starts) == len(fake.requests) >= 30
    for window in (0.1, 0.25, 0.5, 1.0):
        j = 0
        for i, t in enumerate(starts):
            while starts[j] < t - window:
                j += 1
            # rate*W + burst, plus one for timer granularity at the window's edges
            assert i - j + 1 <= rate * window + burst + 1


async def test_one_debug_line_per_attempt_and_no_token_anywhere(
    fake: FakeAPI, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "tok-" + "s3cr3t" * 5
    fake.token = secret
    s = fake.data.sessions[0]
    fake.add_fault(Fault("status", status=502, route=SESSION_ROUTE))
    fake.add_fault(Fault("stall", delay=0.5, route=SESSION_ROUTE))
    caplog.set_level(logging.DEBUG, logger="smarterproctoring_async")
    client = make_client(token=secret, timeout=0.1)
    await handle(client, s).get()
    ours = [r for r in caplog.records if r.name == "smarterproctoring_async"]
    # One DEBUG line per attempt; the INFO lines between them (one per retry) are
    # tests/test_logging.py's.
    lines = [r.getMessage() for r in ours if r.levelno == logging.DEBUG]
    assert len(lines) == 3
    assert "GET /v1/installs/" in lines[0]
    assert "-> 502 attempt=1" in lines[0]
    assert "-> TimeoutError attempt=2" in lines[1]
    assert "-> 200 attempt=3" in lines[2]
    assert "limiter_wait=" in lines[2]
    assert "elapsed=" in lines[2]
    caplog.clear()
    await handle(client, s).events(sort_order="DESC").collect()
    assert "?sortOrder=DESC&offset=0&limit=500 -> 200" in caplog.records[0].getMessage()
    errors: list[BaseException] = []
    for fault in (Fault("status", status=404), Fault("status", status=503, times=None)):
        fake.clear_faults()
        fake.add_fault(fault)
        with pytest.raises(sp.APIError) as info:
            await handle(client, s).get()
        errors.append(info.value)
    with pytest.raises(sp.AuthenticationError) as auth:
        await handle(make_client(token=secret + "x"), s).get()
    errors.append(auth.value)
    texts = [caplog.text, repr(client), *map(str, errors), *map(repr, errors)]
    texts += [repr(e.__dict__) for e in errors]
    assert all(secret not in text for text in texts)
