"""Data that changes under a client: drift while paging, sessions closing after a delay."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from smarterproctoring_async.testing import FakeAPI, FakeSession, generate_data

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def fake() -> AsyncIterator[FakeAPI]:
    async with FakeAPI(generate_data(seed=11, sessions_per_exam=4, events=(25, 25))) as api:
        yield api


@pytest.fixture
async def http(fake: FakeAPI) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(headers={"token": fake.token}) as session:
        yield session


def session_url(fake: FakeAPI, s: FakeSession, tail: str = "") -> str:
    return f"{fake.base_url}/v1/installs/{s.install_sid}/exams/{s.exam_sid}/sessions/{s.sid}{tail}"


async def naive_pages(
    http: aiohttp.ClientSession, url: str, limit: int, **params: str
) -> list[list[dict[str, Any]]]:
    pages: list[list[dict[str, Any]]] = []
    offset = 0
    while True:
        query = {**params, "offset": str(offset), "limit": str(limit)}
        async with http.get(url, params=query) as response:
            results = (await response.json())["results"]
        if not results:
            return pages
        pages.append(results)
        offset += limit


async def test_insert_while_paging_events(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    session = fake.data.sessions[0]
    fake.insert_while_paging(route="/sessions/{sessionSid}/events", per_request=1)
    pages = await naive_pages(http, session_url(fake, session, "/events"), 10)
    assert pages[1][0] == pages[0][-1]  # the head insert pushed the last record down a page
    assert len(session.events) == 25 + len(pages)
    assert session.wire["sessionReportCount"] == len(session.events)
    head = session.events[0]
    assert head["createdDate"] < session.events[1]["createdDate"]
    async with http.get(session_url(fake, session, f"/events/{head['sid']}")) as response:
        assert await response.json() == head


async def test_insert_while_paging_descending(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    session = fake.data.sessions[1]
    before = list(session.events)
    fake.insert_while_paging(route="/events", per_request=2)
    url = session_url(fake, session, "/events")
    pages = await naive_pages(http, url, 10, sortOrder="DESC")
    assert pages[1][0] == pages[0][-2]
    assert list(session.events[: len(before)]) == before  # newest records go to the tail


async def test_insert_while_paging_other_lists(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    data = fake.data
    install = data.installs[0]["sid"]
    fake.insert_while_paging(route="/reports/appointments")
    fake.insert_while_paging(route="/annotations")
    count = len(data.sessions)
    pages = await naive_pages(
        http, f"{fake.base_url}/v1/installs/{install}/reports/appointments", 5
    )
    assert pages[1][0] == pages[0][-1]
    assert len(data.sessions) == count + len(pages)
    noted = next(s for s in data.sessions if len(s.annotations) > 3)
    pages = await naive_pages(http, session_url(fake, noted, "/annotations"), 3)
    assert pages[1][0] == pages[0][-1]
    with pytest.raises(ValueError, match="no route"):
        fake.insert_while_paging(route="/nowhere")


async def test_close_session_after(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    session = next(s for s in fake.data.sessions if s.status == "In Progress")
    status_url = f"{fake.base_url}/v1/sessions/{session.sid}/status"
    fake.close_session_after(session.sid, delay=0.2)
    async with http.get(status_url) as response:
        assert (await response.json())["status"] == "In Progress"
    await asyncio.sleep(0.25)
    async with http.get(session_url(fake, session)) as response:
        details = await response.json()
    assert details["status"] == "Closed"
    assert details["dateClosed"].endswith("Z")
    assert details["editDate"] == details["dateClosed"]
    assert session.status == "Closed"
    other = next(s for s in fake.data.sessions if s.status == "Scheduled")
    fake.close_session_after(other.sid, delay=0.0, status="Cancelled")
    async with http.get(f"{fake.base_url}/v1/sessions/{other.sid}/status") as response:
        assert (await response.json())["status"] == "Cancelled"
    assert other.wire["dateCancelled"] is not None


async def test_main_entry_point() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "smarterproctoring_async.testing",
        "--host", "127.0.0.1", "--port", "0", "--seed", "4", "--exams", "1",
        "--sessions-per-exam", "2", "--events", "1", "3", "--page-cap", "20",
        "--token", "cli-token", "--big-session-events", "1000", "--request-log", "5",
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        line = (await asyncio.wait_for(process.stdout.readline(), timeout=20)).decode()
        ready, base_url, token, install, exam, session = line.split()
        assert (ready, token) == ("READY", "cli-token")
        assert base_url.startswith("http://127.0.0.1:")
        url = f"{base_url}/v1/installs/{install}/exams/{exam}/sessions/{session}/events"
        async with (
            aiohttp.ClientSession(headers={"token": token}) as http,
            http.get(url) as response,
        ):
            page = await response.json()
        assert (page["total"], page["count"]) == (1000, 20)
        # The second line: SIDs to try, each one served by the fake.
        described = json.loads(await asyncio.wait_for(process.stdout.readline(), timeout=20))
        assert (described["base_url"], described["token"]) == (base_url, token)
        assert described["env"]["SMARTERPROCTORING_BASE_URL"] == base_url
        assert described["big_session"]["session_sid"] == session
        (listed,) = described["installs"]
        assert listed["install_sid"] == install and exam in listed["exam_sids"]
        tried = [described["example"], *listed["sessions"]]
        assert {s["status"] for s in listed["sessions"]} >= {"Closed"}
        async with aiohttp.ClientSession(headers={"token": token}) as http:
            for s in tried:
                path = f"/v1/installs/{s['install_sid']}/exams/{s['exam_sid']}/sessions"
                async with http.get(f"{base_url}{path}/{s['session_sid']}/events") as response:
                    assert response.status == 200
                    assert (await response.json())["total"] == s["events"]
    finally:
        process.terminate()
        rest, _ = await asyncio.wait_for(process.communicate(), timeout=10)
    assert rest == b""
    assert process.returncode == 0


async def test_review_session_after(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    data = fake.data
    session = next(s for s in data.sessions if s.status == "In Progress")
    session.wire.update(reviewRequired=True, reviewed=False, reviewCompletedDate=None)
    install = session.install_sid
    appointments = f"{fake.base_url}/v1/installs/{install}/reports/appointments"

    async def review_status_rows(status: str) -> list[str]:
        async with http.get(appointments, params={"reviewStatus": status}) as response:
            return [row["sid"] for row in (await response.json())["results"]]

    fake.close_session_after(session.sid, delay=0.1)
    fake.review_session_after(session.sid, delay=0.25)
    assert session.sid in await review_status_rows("pending")
    await asyncio.sleep(0.15)
    async with http.get(session_url(fake, session)) as response:
        closed = await response.json()
    assert (closed["status"], closed["reviewed"]) == ("Closed", False)  # closed, not reviewed
    await asyncio.sleep(0.15)
    async with http.get(session_url(fake, session)) as response:
        reviewed = await response.json()
    assert reviewed["reviewed"] is True and reviewed["reviewRequired"] is True
    assert reviewed["reviewCompletedDate"].endswith("Z")
    assert reviewed["reviewCompletedDate"] >= reviewed["dateClosed"]
    assert session.review_status == "complete"
    assert session.sid in await review_status_rows("complete")
    assert session.sid not in await review_status_rows("pending")
    audit = f"{fake.base_url}/v1/installs/{install}/reports/audit"
    async with http.get(audit, params={"limit": "500"}) as response:
        row = next(r for r in (await response.json())["results"] if r["sid"] == session.sid)
    assert (row["reviewed"], row["reviewCompletedDate"]) == (True, reviewed["reviewCompletedDate"])


async def test_review_session_after_other_outcomes(
    fake: FakeAPI, http: aiohttp.ClientSession
) -> None:
    data = fake.data
    done = data.sessions[0]
    data.set_review(done.sid, "complete", 0)
    assert done.review_status == "complete" and done.wire["reviewCompletedDate"].startswith("1970")
    fake.review_session_after(done.sid, delay=0.0, status="pending")
    async with http.get(f"{fake.base_url}/v1/sessions/{done.sid}/status") as response:
        assert response.status == 200  # any request applies what is due
    assert done.review_status == "pending" and done.wire["reviewCompletedDate"] is None
    fake.review_session_after(done.sid, delay=0.0, status="not-required")
    await asyncio.sleep(0.01)  # or the loop timer does
    assert done.review_status == "not-required" and done.wire["reviewRequired"] is False
    with pytest.raises(ValueError, match="review status"):
        fake.review_session_after(done.sid, delay=1.0, status="done")
    with pytest.raises(KeyError):
        fake.review_session_after("ES" + "0" * 32, delay=1.0)


def test_changes_scheduled_before_the_loop_apply_on_the_next_request() -> None:
    data = generate_data(seed=2, sessions_per_exam=2)
    pending = next(s for s in data.sessions if s.status != "Closed")
    api = FakeAPI(data)
    api.close_session_after(pending.sid, delay=0.0)  # no running loop: no timer yet
    api.review_session_after(pending.sid, delay=0.0)

    async def main() -> tuple[str, bool]:
        url = f"/v1/sessions/{pending.sid}/status"
        async with (
            api,
            aiohttp.ClientSession(headers={"token": api.token}) as http,
            http.get(api.base_url + url) as response,
        ):
            body = await response.json()
        return body["status"], pending.wire["reviewed"]

    assert asyncio.run(main()) == ("Closed", True)
