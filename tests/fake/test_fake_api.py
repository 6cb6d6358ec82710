"""The fake API over real loopback: envelope, paging, auth, validation, 404s, request log."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp
import pytest

from smarterproctoring_async.testing import FakeAPI, FakeData, FakeSession, generate_data


@pytest.fixture
async def fake() -> AsyncIterator[FakeAPI]:
    async with FakeAPI(generate_data(seed=3, sessions_per_exam=4, events=(5, 60))) as api:
        yield api


@pytest.fixture
async def http(fake: FakeAPI) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(headers={"token": fake.token}) as session:
        yield session


async def get(
    http: aiohttp.ClientSession, url: str, params: Any = None
) -> tuple[int, Any, dict[str, str]]:
    async with http.get(url, params=params, allow_redirects=False) as response:
        return response.status, await response.json(), dict(response.headers)


def session_url(fake: FakeAPI, session: FakeSession, tail: str = "") -> str:
    return (
        f"{fake.base_url}/v1/installs/{session.install_sid}/exams/{session.exam_sid}"
        f"/sessions/{session.sid}{tail}"
    )


def busiest(data: FakeData) -> FakeSession:
    return max(data.sessions, key=lambda s: len(s.events))


async def test_envelope_and_links(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    session = busiest(fake.data)
    url = session_url(fake, session, "/events")
    status, page, headers = await get(http, url, {"offset": "2", "limit": "3"})
    assert status == 200
    assert headers["Content-Type"].startswith("application/json")
    assert list(page) == ["total", "first", "next", "prev", "last", "count", "offset", "results"]
    assert page["total"] == len(session.events)
    assert (page["count"], page["offset"]) == (3, 2)
    assert page["results"] == list(session.events[2:5])
    nxt = urlsplit(page["next"])
    assert f"{nxt.scheme}://{nxt.netloc}{nxt.path}" == url
    assert dict(parse_qsl(nxt.query)) == {"offset": "5", "limit": "3"}
    assert dict(parse_qsl(urlsplit(page["prev"]).query)) == {"offset": "0", "limit": "3"}
    last = (len(session.events) - 1) // 3 * 3
    assert dict(parse_qsl(urlsplit(page["last"]).query))["offset"] == str(last)
    _, end, _ = await get(http, page["last"])
    assert end["next"] is None
    assert end["count"] == len(session.events) - last


async def test_links_keep_filters(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    install = fake.data.installs[0]["sid"]
    url = f"{fake.base_url}/v1/installs/{install}/reports/appointments"
    _, page, _ = await get(http, url, [("status", "Closed"), ("limit", "2")])
    assert all(row["status"] == "Closed" for row in page["results"])
    assert parse_qsl(urlsplit(page["next"]).query) == [
        ("status", "Closed"),
        ("offset", "2"),
        ("limit", "2"),
    ]


async def test_page_cap_default_limit_and_limit_zero(
    fake: FakeAPI, http: aiohttp.ClientSession
) -> None:
    install = fake.data.installs[0]["sid"]
    url = f"{fake.base_url}/v1/installs/{install}/reports/examSessionEvents"
    total = sum(len(s.events) for s in fake.data.sessions)
    _, page, _ = await get(http, url)
    assert (page["total"], page["count"]) == (total, 50)
    fake.page_cap = 7
    _, page, _ = await get(http, url, {"limit": "100", "offset": "10"})
    assert page["count"] == 7
    assert dict(parse_qsl(urlsplit(page["next"]).query)) == {"offset": "17", "limit": "100"}
    _, empty, _ = await get(http, url, {"limit": "0"})
    assert (empty["total"], empty["count"], empty["results"], empty["next"]) == (total, 0, [], None)


async def test_sort_order_desc(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    session = busiest(fake.data)
    params = [("sortKeys", "createdDate"), ("sortOrder", "DESC"), ("limit", "4")]
    _, page, _ = await get(http, session_url(fake, session, "/events"), params)
    assert page["results"] == list(reversed(session.events[-4:]))


UNAUTHORIZED = {
    "code": "5000",
    "message": "You are unauthorized to access or perform this action on this resource.",
    "status": 401,
}
NOT_FOUND = {
    "code": "1200",
    "message": "Data not found",
    "status": 404,
    "more_info": "https://www.smarterservices.com/errors/1200",
}


async def test_token_is_checked(fake: FakeAPI) -> None:
    url = f"{fake.base_url}/v1/check"
    async with aiohttp.ClientSession() as anonymous:
        status, body, _ = await get(anonymous, url)
        assert (status, body) == (401, UNAUTHORIZED)
    async with aiohttp.ClientSession(headers={"token": "wrong"}) as wrong:
        status, body, _ = await get(wrong, url)
        assert (status, body) == (401, UNAUTHORIZED)


@pytest.mark.parametrize(
    ("tail", "params", "name"),
    [
        ("/events", {"bogus": "1"}, "bogus"),
        ("/events", {"sortOrder": "UP"}, "sortOrder"),
        ("/events", {"limit": "ten"}, "limit"),
        ("/events", {"offset": "-1"}, "offset"),
        ("/events", [("limit", "1"), ("limit", "2")], "limit"),
        ("/events", {"sortKeys": "subject"}, "sortKeys"),
    ],
)
async def test_invalid_query(
    fake: FakeAPI, http: aiohttp.ClientSession, tail: str, params: Any, name: str
) -> None:
    status, body, _ = await get(http, session_url(fake, fake.data.sessions[0], tail), params)
    assert (status, body["statusCode"], body["error"]) == (400, 400, "Bad Request")
    assert body["validation"] == {"source": "query", "keys": [name]}
    assert f'"{name}"' in body["message"]


async def test_invalid_report_parameters(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    reports = f"{fake.base_url}/v1/installs/{fake.data.installs[0]['sid']}/reports"
    cases: list[tuple[str, Any, str]] = [
        ("/appointments", {"status": "Done"}, "status"),
        ("/appointments", {"examSid": "EX123"}, "examSid"),
        ("/appointments", {"appointmentAfter": "2025-01-01"}, "appointmentAfter"),
        ("/appointments", {"learnerEmail": "100%"}, "learnerEmail"),
        ("/examOverview", {}, "sortBy"),
        ("/examSessionEvents", {"eventTimeRangeStart": "2025-01-01T00:00:00Z"}, "eventTimeRange"),
        ("/churn", {"hasClosed": "yes"}, "hasClosed"),
    ]
    for tail, params, name in cases:
        status, body, _ = await get(http, reports + tail, params)
        assert (status, body["error"]) == (400, "Bad Request"), tail
        assert name in body["message"]
        assert body["validation"]["source"] == "query"
        assert body["validation"]["keys"][0].startswith(name), tail
    enrollments = reports.replace("/reports", "/enrollments")
    status, body, _ = await get(http, enrollments, [("sortKeys", "firstName")] * 2)
    assert (status, body["validation"]) == (400, {"source": "query", "keys": ["sortKeys"]})


async def test_bad_path_sid_is_400(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    session = fake.data.sessions[0]
    bad = f"{fake.base_url}/v1/installs/IN{session.install_sid[2:]}/exams/{session.exam_sid}"
    status, body, _ = await get(http, f"{bad}/sessions/{session.sid}")
    assert (status, body["error"]) == (400, "Bad Request")
    assert body["validation"] == {"source": "params", "keys": ["installSid"]}
    assert body["message"].startswith('child "installSid" fails because ["installSid" with')
    status, body, _ = await get(http, f"{fake.base_url}/v1/sessions/ES{'A' * 32}/status")
    assert (status, body["validation"]) == (400, {"source": "params", "keys": ["sessionSid"]})


async def test_not_found(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    session, other = fake.data.sessions[0], fake.data.sessions[-1]
    assert session.exam_sid != other.exam_sid
    status, body, _ = await get(http, f"{fake.base_url}/v1/nothing/here")
    assert (status, body) == (
        404,
        {"statusCode": 404, "error": "Not Found", "message": "Not Found"},
    )
    urls = [
        f"{fake.base_url}/v1/installs/AI{'0' * 32}/reports/appointments",
        session_url(fake, session).replace(session.sid, "ES" + "0" * 32),
        session_url(fake, session).replace(session.exam_sid, other.exam_sid),
        session_url(fake, session, "/events/ER" + "0" * 32),
        session_url(fake, session, "/annotations/AN" + "0" * 32),
        f"{fake.base_url}/v1/installs/{session.install_sid}/courses/CU{'0' * 32}",
        f"{fake.base_url}/v1/sessions/ES{'0' * 32}/status",
    ]
    for url in urls:
        status, body, _ = await get(http, url)
        assert (status, body) == (404, NOT_FOUND), url
    assert fake.requests[0].route is None


async def test_session_routes(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    session = busiest(fake.data)
    _, details, _ = await get(http, session_url(fake, session))
    assert details == session.wire
    assert details["sessionReportCount"] == len(session.events)
    assert isinstance(details["exam"], dict)
    assert isinstance(details["account"], str)
    assert details["createdDate"].endswith("Z")
    assert "proctoringFlags" in details
    status_url = f"{fake.base_url}/v1/sessions/{session.sid}/status"
    assert (await get(http, status_url))[1] == {"sid": session.sid, "status": session.status}
    event = session.events[len(session.events) // 2]
    assert (await get(http, session_url(fake, session, f"/events/{event['sid']}")))[1] == event
    noted = next(s for s in fake.data.sessions if s.annotations)
    _, notes, _ = await get(http, session_url(fake, noted, "/annotations"), {"limit": "100"})
    assert notes["results"] == noted.annotations
    note = noted.annotations[-1]
    assert (await get(http, session_url(fake, noted, f"/annotations/{note['sid']}")))[1] == note
    v2 = session_url(fake, noted, "/annotations").replace("/v1/", "/v2/")
    v2_rows = (await get(http, v2, {"limit": "100"}))[1]["results"]
    assert [row["sid"] for row in v2_rows] == [a["sid"] for a in noted.annotations]


async def test_request_log(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    fake.latency = 0.1
    session = fake.data.sessions[0]
    url = f"{fake.base_url}/v1/installs/{session.install_sid}/enrollments/{session.enrollment_sid}"
    url += f"/exams/{session.exam_sid}/sessions"
    params = [("status", "Closed"), ("status", "Scheduled"), ("limit", "5")]
    results = await asyncio.gather(*(get(http, url, params) for _ in range(3)))
    assert [status for status, _, _ in results] == [200] * 3
    assert fake.max_in_flight == 3
    assert len(fake.requests) == 3
    starts = [r.start for r in fake.requests]
    assert starts == sorted(starts)
    record = fake.requests[0]
    assert record.route == (
        "/v1/installs/{installSid}/enrollments/{enrollmentSid}/exams/{examSid}/sessions"
    )
    assert record.query == (("status", "Closed"), ("status", "Scheduled"), ("limit", "5"))
    assert record.method == "GET"
    assert record.path == url.replace(fake.base_url, "")
    assert record.status == 200
    assert record.fault is None
    assert record.headers["token"] == fake.token
    assert record.end - record.start >= 0.09
    assert {r.in_flight for r in fake.requests} == {1, 2, 3}
    fake.clear_requests()
    assert fake.requests == []
    assert fake.max_in_flight == 0
