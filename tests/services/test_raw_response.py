"""client.with_raw_response(call): the awaited value with the answer's status and headers."""

from __future__ import annotations

import pytest

from smarterproctoring_async.testing import FakeAPI, Fault

from ..conftest import MakeClient, handle
from ..hostile._helpers import make_client as hostile_client
from ..hostile._server import AI, ES, MiniAPI, RawServer, Request, answer, json_response


async def test_the_raw_response_holds_the_value_and_the_answer(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    client = make_client()
    s = fake.data.sessions[0]
    raw = await client.with_raw_response(handle(client, s).get())
    assert raw.parsed == await handle(client, s).get()
    assert raw.status == 200
    assert raw.headers["content-type"].startswith("application/json")
    assert raw.headers["Content-Type"] == raw.headers["CONTENT-TYPE"]
    assert "content-type" in raw.headers and raw.elapsed > 0
    assert raw.request_id is None  # the fake sends none: nothing is made up
    with pytest.raises(TypeError):
        raw.headers["X"] = "y"  # type: ignore[index]


async def test_after_a_retry_the_answer_that_succeeded_is_reported(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    client = make_client()
    fake.add_fault(Fault("status", status=503, route="/sessions/{sessionSid}"))
    raw = await client.with_raw_response(handle(client, fake.data.sessions[0]).get())
    assert raw.status == 200 and len(fake.requests) == 2


async def test_a_cached_report_says_no_request_was_made(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    client = make_client()
    install = client.install(fake.data.sessions[0].install_sid)
    first = await client.with_raw_response(install.reports.exam_volume().collect())
    again = await client.with_raw_response(install.reports.exam_volume().collect())
    assert first.status == 200 and again.status is None and again.parsed == first.parsed


async def test_a_paginator_itself_is_refused(fake: FakeAPI, make_client: MakeClient) -> None:
    client = make_client()
    with pytest.raises(TypeError, match="paginator"):
        await client.with_raw_response(handle(client, fake.data.sessions[0]).events())  # type: ignore[arg-type]
    assert fake.requests == []


async def test_the_request_id_is_whatever_the_server_sends() -> None:
    def fault(request: Request) -> object:
        body = {"sid": ES, "status": "Closed", "installSid": AI}
        return answer(json_response(body, headers=[("x-amzn-trace-id", "Root=1-abc")]))

    async with (
        RawServer(MiniAPI({ES: 0}, fault=fault)) as server,  # type: ignore[arg-type]
        hostile_client(server.base_url) as client,
    ):
        raw = await client.with_raw_response(client.get_json("/v1/check"))
    assert raw.request_id == "Root=1-abc" and raw.headers["X-Amzn-Trace-Id"] == "Root=1-abc"
    assert raw.parsed == {"sid": ES, "status": "Closed", "installSid": AI}
