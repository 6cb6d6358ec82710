"""Log levels a service can run at: INFO per retry or pause, WARNING on giving up, no SIDs."""

from __future__ import annotations

import logging
import re

import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeAPI, Fault

from .conftest import MakeClient, handle

LOGGER = "smarterproctoring_async"
SESSION = "/v1/installs/{installSid}/exams/{examSid}/sessions/{sessionSid}"
SID = re.compile(r"[A-Z]{2}[0-9a-f]{32}")


def lines_at(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno == level]


async def test_a_clean_request_says_nothing_at_info(
    fake: FakeAPI, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    client = make_client()
    await handle(client, fake.data.sessions[0]).get()
    await handle(client, fake.data.sessions[0]).events().collect()
    assert [r for r in caplog.records if r.name == LOGGER] == []


async def test_one_info_line_per_retry_with_its_cause(
    fake: FakeAPI, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    route = "/sessions/{sessionSid}"
    fake.add_fault(Fault("status", status=503, route=route))
    fake.add_fault(Fault("stall", delay=0.5, route=route))
    fake.add_fault(Fault("malformed", route=route))
    client = make_client(timeout=0.1)
    await handle(client, fake.data.sessions[0]).get()
    info = lines_at(caplog, logging.INFO)
    assert len(info) == 3, info
    causes = ["503", "timeout", "undecodable"]
    for attempt, (line, cause) in enumerate(zip(info, causes, strict=True), start=1):
        assert line.startswith(f"GET {SESSION}: {cause} on attempt {attempt} of 4; retrying in ")
        assert re.search(r"retrying in \d+\.\d{3}s$", line), line
    assert lines_at(caplog, logging.WARNING) == []
    assert lines_at(caplog, logging.DEBUG) == []  # the level was INFO


async def test_a_pause_is_one_info_line_with_its_length(
    fake: FakeAPI, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    fake.add_fault(Fault("status", status=429, retry_after=0.05, route="/sessions/{sessionSid}"))
    client = make_client()
    await handle(client, fake.data.sessions[0]).get()
    info = lines_at(caplog, logging.INFO)
    assert len(info) == 2, info
    assert info[0] == (
        f"GET {SESSION}: 429 on attempt 1; pausing every request of the rate limiter "
        "for 0.05s (Retry-After)"
    )
    assert info[1].startswith(f"GET {SESSION}: 429 on attempt 1 of 4; retrying in ")


async def test_giving_up_is_one_warning(
    fake: FakeAPI, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    fake.add_fault(Fault("status", status=502, route="/sessions/{sessionSid}", times=None))
    client = make_client(retry=sp.RetryPolicy(max_attempts=3, base_delay=0.001))
    with pytest.raises(sp.ServerError):
        await handle(client, fake.data.sessions[0]).get()
    assert len(lines_at(caplog, logging.INFO)) == 2
    assert lines_at(caplog, logging.WARNING) == [
        f"GET {SESSION}: giving up after 3 attempt(s): ServerError (502)"
    ]


async def test_an_answer_on_the_first_attempt_is_no_warning(
    fake: FakeAPI, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    s = fake.data.sessions[0]
    with pytest.raises(sp.NotFoundError):
        await make_client().install(s.install_sid).exam(s.exam_sid).session("ES" + "0" * 32).get()
    assert [r for r in caplog.records if r.name == LOGGER] == []


async def test_info_and_above_hold_no_sid_query_value_or_token(
    fake: FakeAPI, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    s = fake.data.sessions[0]
    fake.add_fault(Fault("status", status=429, retry_after=0.01))
    fake.add_fault(Fault("status", status=503, times=None, route="/appointments"))
    client = make_client(retry=sp.RetryPolicy(max_attempts=2, base_delay=0.001))
    with pytest.raises(sp.ServerError):
        await (
            client.install(s.install_sid)
            .reports.appointments(learner_email="ann@example.org", learner_first_name="Ann")
            .collect()
        )
    ours = [r for r in caplog.records if r.name == LOGGER]
    loud = "\n".join(r.getMessage() for r in ours if r.levelno >= logging.INFO)
    assert "pausing" in loud and "retrying" in loud and "giving up" in loud
    assert not SID.search(loud), loud
    for secret in ("ann@example.org", "ann%40example.org", "Ann", "learnerEmail", fake.token):
        assert secret not in loud
    # DEBUG still names the filled path, one line per attempt (429, then 503), values masked.
    debug = [r.getMessage() for r in ours if r.levelno == logging.DEBUG]
    assert len(debug) == 2
    assert s.install_sid in debug[0] and "learnerEmail=***" in debug[0]
