"""The routes the client wraps next: v2 annotations, annotation types, session status,
course offerings, one exam, and the token utilities (ttl, check).

Each: the happy path, an unknown query parameter (a Boom 400 naming it), a bad token (401
code "5000"), an unknown SID (404 code "1200") and, where it pages, paging.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from importlib import resources
from typing import Any

import aiohttp
import pytest

from smarterproctoring_async.testing import FakeAPI, FakeData, FakeSession, generate_data
from smarterproctoring_async.testing.data.annotations import annotation_v2

ZERO = "0" * 32


@pytest.fixture
async def fake() -> AsyncIterator[FakeAPI]:
    data = generate_data(seed=21, installs=2, sessions_per_exam=4, annotations=(6, 12))
    async with FakeAPI(data) as api:
        yield api


@pytest.fixture
async def http(fake: FakeAPI) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(headers={"token": fake.token}) as session:
        yield session


async def get(http: aiohttp.ClientSession, url: str, params: Any = None) -> tuple[int, Any]:
    async with http.get(url, params=params) as response:
        return response.status, await response.json()


async def every(http: aiohttp.ClientSession, url: str, params: Any = ()) -> list[Any]:
    """Every row of a paged list, 2 a page, checking the envelope on the way."""
    rows: list[Any] = []
    while True:
        status, page = await get(http, url, [*params, ("offset", str(len(rows))), ("limit", "2")])
        assert status == 200, page
        assert list(page) == [
            "total",
            "first",
            "next",
            "prev",
            "last",
            "count",
            "offset",
            "results",
        ]
        assert (page["offset"], page["count"]) == (len(rows), len(page["results"]))
        rows += page["results"]
        if page["next"] is None:
            assert len(rows) == page["total"]
            return rows


def noted(data: FakeData) -> FakeSession:
    return max(data.sessions, key=lambda s: len(s.annotations))


def v2_url(fake: FakeAPI, s: FakeSession, tail: str = "") -> str:
    return (
        f"{fake.base_url}/v2/installs/{s.install_sid}/exams/{s.exam_sid}"
        f"/sessions/{s.sid}/annotations{tail}"
    )


def install_url(fake: FakeAPI, tail: str) -> str:
    return f"{fake.base_url}/v1/installs/{fake.data.installs[0]['sid']}{tail}"


async def assert_error(
    http: aiohttp.ClientSession, url: str, status: int, params: Any = None
) -> dict[str, Any]:
    """Assert an error answer in the maker's framework's shape; its body."""
    got, body = await get(http, url, params)
    assert isinstance(body, dict)
    assert got == status, (url, body)
    if status == 400:  # Boom, naming the refused parameter
        assert (body["statusCode"], body["error"]) == (400, "Bad Request"), (url, body)
        assert body["validation"]["keys"], (url, body)
    else:
        code = {401: "5000", 404: "1200"}[status]
        assert (body["code"], body["status"]) == (code, status), (url, body)
    return body


async def assert_needs_token(url: str) -> None:
    async with aiohttp.ClientSession(headers={"token": "not-the-token"}) as wrong:
        await assert_error(wrong, url, 401)


# v2 annotations -------------------------------------------------------------------------


async def test_v2_annotations_are_the_v1_ones_in_v2_form(
    fake: FakeAPI, http: aiohttp.ClientSession
) -> None:
    session = noted(fake.data)
    rows = await every(http, v2_url(fake, session))
    assert rows == [annotation_v2(a) for a in session.annotations]
    first = rows[0]
    assert first["sid"].startswith("AN") and first["sessionSid"] == session.sid
    type_ids = {t["id"] for t in fake.data.annotation_types}
    assert all(r["typeId"] in type_ids for r in rows)
    assert all(isinstance(r["reviewed"], bool) for r in rows)
    for row in rows:
        assert (row["reviewedDate"] is not None) == row["reviewed"]
        assert (row["reviewedBy"] is not None) == row["reviewed"]


async def test_v2_annotation_filters(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    session = noted(fake.data)
    url = v2_url(fake, session)
    everything = [annotation_v2(a) for a in session.annotations]
    reviewed = await every(http, url, [("reviewed", "true")])
    assert reviewed == [r for r in everything if r["reviewed"]]
    pending = await every(http, url, [("reviewed", "false")])
    assert len(reviewed) + len(pending) == len(everything)
    kind = everything[0]["typeId"]
    assert await every(http, url, [("typeId", kind)]) == [
        r for r in everything if r["typeId"] == kind
    ]
    category = everything[-1]["categoryId"]
    assert await every(http, url, [("categoryId", category)]) == [
        r for r in everything if r["categoryId"] == category
    ]
    middle = everything[len(everything) // 2]["createdDate"]
    after = await every(http, url, [("after", middle)])
    before = await every(http, url, [("before", middle)])
    assert after == [r for r in everything if r["createdDate"] >= middle]
    assert before == [r for r in everything if r["createdDate"] < middle]
    assert after[0]["createdDate"] == middle and len(after) + len(before) == len(everything)
    assert await every(http, url, [("typeId", "no-such-type")]) == []


async def test_v2_annotation_sorting(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    session = noted(fake.data)
    status, page = await get(
        http, v2_url(fake, session), [("sortKeys", "score"), ("sortOrder", "DESC"), ("limit", "50")]
    )
    assert status == 200
    scores = [r["score"] for r in page["results"]]
    assert scores == sorted(scores, reverse=True)


async def test_v2_annotation_list_errors(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    session = noted(fake.data)
    url = v2_url(fake, session)
    body = await assert_error(http, url, 400, {"severity": "red"})  # a v1 idea, not v2
    assert "severity" in body["message"]
    await assert_error(http, url, 400, {"limit": "0"})  # v2 wants limit >= 1
    await assert_error(http, url, 400, {"reviewed": "yes"})
    await assert_error(http, url, 400, {"after": "last tuesday"})
    await assert_error(http, url, 400, {"sortKeys": "title"})
    await assert_error(http, url, 400, {"typeId": "x" * 51})
    await assert_error(http, url.replace(session.sid, "ES" + ZERO), 404)
    other = next(s for s in fake.data.sessions if s.exam_sid != session.exam_sid)
    await assert_error(http, url.replace(session.exam_sid, other.exam_sid), 404)
    await assert_needs_token(url)


async def test_one_v2_annotation(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    session = noted(fake.data)
    note = session.annotations[3]
    status, body = await get(http, v2_url(fake, session, f"/{note['sid']}"))
    assert (status, body) == (200, annotation_v2(note))
    await assert_error(http, v2_url(fake, session, f"/AN{ZERO}"), 404)
    await assert_error(http, v2_url(fake, session, f"/{note['sid']}"), 400, {"x": "1"})
    await assert_error(http, v2_url(fake, session, "/AN123"), 400)
    await assert_needs_token(v2_url(fake, session, f"/{note['sid']}"))


async def test_v2_annotations_grow_while_paged(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    session = noted(fake.data)
    count = len(session.annotations)
    fake.insert_while_paging(
        "/v2/installs/{installSid}/exams/{examSid}/sessions/{sessionSid}/annotations"
    )
    _, first = await get(http, v2_url(fake, session), {"limit": "3"})
    _, second = await get(http, v2_url(fake, session), {"limit": "3", "offset": "3"})
    assert len(session.annotations) == count + 2
    assert second["results"][0] == first["results"][-1]  # the head insert shifted the list


# annotation types -----------------------------------------------------------------------


async def test_annotation_types(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    url = fake.base_url + f"/v2/installs/{fake.data.installs[0]['sid']}/annotationTypes"
    status, types = await get(http, url)
    assert status == 200 and isinstance(types, list)  # a catalogue: not paged
    assert types and all(t["rangeStartAnnotationTypeId"] is None for t in types)
    _, everything = await get(http, url, {"includeEndingAnnotations": "true"})
    ending = [t for t in everything if t["rangeStartAnnotationTypeId"] is not None]
    assert ending and len(everything) == len(types) + len(ending)
    assert {t["rangeStartAnnotationTypeId"] for t in ending} <= {t["id"] for t in types}
    _, two = await get(http, url, [("categoryId", "identity"), ("categoryId", "manual")])
    assert two and {t["categoryId"] for t in two} == {"identity", "manual"}
    await assert_error(http, url, 400, {"offset": "0"})
    await assert_error(http, url, 400, {"includeEndingAnnotations": "maybe"})
    await assert_error(http, url.replace(fake.data.installs[0]["sid"], "AI" + ZERO), 404)
    await assert_needs_token(url)


# session status -------------------------------------------------------------------------


async def test_session_status(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    for session in fake.data.sessions[:5]:
        url = f"{fake.base_url}/v1/sessions/{session.sid}/status"
        assert await get(http, url) == (200, {"sid": session.sid, "status": session.status})
    session = fake.data.sessions[0]
    fake.data.set_status(session.sid, "Cancelled", 0)
    url = f"{fake.base_url}/v1/sessions/{session.sid}/status"
    assert (await get(http, url))[1]["status"] == "Cancelled"
    await assert_error(http, url, 400, {"installSid": session.install_sid})
    await assert_error(http, f"{fake.base_url}/v1/sessions/ES{ZERO}/status", 404)
    await assert_error(http, f"{fake.base_url}/v1/sessions/EX{session.sid[2:]}/status", 400)
    await assert_needs_token(url)


# course offerings -----------------------------------------------------------------------


async def test_course_offerings(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    data = fake.data
    install = data.installs[0]["sid"]
    rows = await every(http, install_url(fake, "/courseOfferings"))
    mine = [o for o in data.course_offerings if o["installSid"] == install]
    assert sorted(r["sid"] for r in rows) == sorted(o["sid"] for o in mine)
    assert [r["createdDate"] for r in rows] == sorted(r["createdDate"] for r in rows)
    courses = [c for c in data.courses if c["installSid"] == install]
    assert len(rows) == 3 * len(courses)
    assert {c["courseOfferingSid"] for c in courses} <= {r["sid"] for r in rows}
    current = next(r for r in rows if r["status"] == "active")
    status, one = await get(http, install_url(fake, f"/courseOfferings/{current['sid']}"))
    assert (status, one) == (200, current)
    # The current offering is the one every courseOfferingSid filter means.
    status, page = await get(
        http, install_url(fake, "/reports/appointments"), {"courseOfferingSid": current["sid"]}
    )
    assert page["total"] == sum(
        1 for s in data.install_sessions(install) if s.wire["courseSid"] == current["courseSid"]
    )


async def test_course_offering_errors(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    data = fake.data
    await assert_error(http, install_url(fake, "/courseOfferings"), 400, {"courseSid": "x"})
    await assert_error(http, install_url(fake, "/courseOfferings"), 400, {"limit": "-1"})
    await assert_error(http, install_url(fake, f"/courseOfferings/CO{ZERO}"), 404)
    await assert_error(http, install_url(fake, "/courseOfferings/CU" + ZERO), 400)
    elsewhere = next(o for o in data.course_offerings if o["installSid"] != data.installs[0]["sid"])
    await assert_error(http, install_url(fake, f"/courseOfferings/{elsewhere['sid']}"), 404)
    bad_install = f"{fake.base_url}/v1/installs/AI{ZERO}/courseOfferings"
    await assert_error(http, bad_install, 404)
    await assert_needs_token(install_url(fake, "/courseOfferings"))


# one exam -------------------------------------------------------------------------------


async def test_get_one_exam(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    data = fake.data
    exam = data.exams[0]
    url = install_url(fake, f"/courses/{exam['courseSid']}/exams/{exam['sid']}")
    assert await get(http, url) == (200, exam)
    other = next(c for c in data.courses if c["sid"] != exam["courseSid"])
    assert other["installSid"] == exam["installSid"]
    await assert_error(http, url.replace(exam["courseSid"], other["sid"]), 404)
    await assert_error(http, url.replace(exam["sid"], "EX" + ZERO), 404)
    await assert_error(http, url, 400, {"includeStatusSummary": "true"})
    await assert_error(http, url.replace(exam["sid"], "ES" + ZERO), 400)
    await assert_needs_token(url)


# token utilities ------------------------------------------------------------------------


async def test_token_utilities(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    assert await get(http, f"{fake.base_url}/v1/ttl") == (200, {"ttl": 3600})
    status, checked = await get(http, f"{fake.base_url}/v1/check")
    assert (status, checked["validated"]) == (200, True)
    assert set(checked["token"]) == {"id", "create_time", "timeout"}
    status, permissions = await get(http, f"{fake.base_url}/v1/permissions")
    assert (status, list(permissions)) == (200, ["iam"])
    for tail in ("/v1/ttl", "/v1/check", "/v1/permissions", "/v1/logout"):
        await assert_error(http, fake.base_url + tail, 400, {"token": fake.token})
        await assert_needs_token(fake.base_url + tail)
    async with aiohttp.ClientSession() as anonymous:
        await assert_error(anonymous, f"{fake.base_url}/v1/ttl", 401)


# the route table ------------------------------------------------------------------------


def test_every_swagger_route_has_a_handler_and_back() -> None:
    from smarterproctoring_async.testing.handlers import HANDLERS
    from smarterproctoring_async.testing.server.routing import FAKE_ONLY_ROUTES

    text = resources.files("smarterproctoring_async").joinpath("_swagger_routes.json")
    routes = set(json.loads(text.read_text(encoding="utf-8"))["routes"])
    assert set(FAKE_ONLY_ROUTES) == {"/v1/logout"} and not set(FAKE_ONLY_ROUTES) & routes
    assert set(HANDLERS) == routes | set(FAKE_ONLY_ROUTES)
    assert {
        "/v1/installs/{installSid}/courseOfferings",
        "/v1/installs/{installSid}/courseOfferings/{offeringSid}",
    } <= routes
