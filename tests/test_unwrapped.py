"""The rest of the reporting API: v2 annotations, status, offerings, token utilities, and
the escape hatch for routes the SDK does not wrap. Against the fake, over loopback."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeAPI

from .conftest import MakeClient, busiest, handle


async def test_v2_annotations_with_filters(fake: FakeAPI, make_client: MakeClient) -> None:
    s = max(fake.data.sessions, key=lambda x: len(x.annotations))
    session = handle(make_client(page_size=2), s)
    every = await session.annotations_v2().collect()
    assert [a.extra["sid"] for a in every] == [a["sid"] for a in s.annotations]
    reviewed = await session.annotations_v2(reviewed=True, sort_order="desc").collect()
    assert all(a.extra["reviewed"] is True for a in reviewed)
    sent = dict(fake.requests[-1].query)
    assert (sent["reviewed"], sent["sortOrder"]) == ("true", "DESC")
    one = await session.annotation_v2(str(every[0].extra["sid"]))
    assert one.to_dict() == every[0].to_dict()
    since = datetime(2000, 1, 1, tzinfo=timezone.utc)
    await session.annotations_v2(after=since, type_id="x", category_id="y").collect()
    assert dict(fake.requests[-1].query)["after"] == "2000-01-01T00:00:00.000Z"


async def test_status_offerings_exam_and_annotation_types(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    client = make_client()
    s = fake.data.sessions[0]
    status = await handle(client, s).status()
    assert status.extra["status"] == s.status
    install = client.install(s.install_sid)
    offerings = await install.course_offerings().collect()
    assert offerings and all(str(o.extra["sid"]).startswith("CO") for o in offerings)
    first = await install.course_offering(str(offerings[0].extra["sid"])).get()
    assert first.to_dict() == offerings[0].to_dict()
    course = str(fake.data.exam(s.exam_sid)["courseSid"])
    exam = await install.course(course).exam(s.exam_sid).get()
    assert exam.extra["sid"] == s.exam_sid
    types = await install.annotation_types()
    more = await install.annotation_types(include_ending_annotations=True)
    assert 0 < len(types) < len(more)
    with pytest.raises(sp.InvalidSidError):
        install.course_offering("CU" + "0" * 32)


async def test_token_utilities(fake: FakeAPI, make_client: MakeClient) -> None:
    client = make_client()
    assert await client.token_ttl() == 3600.0
    claims = await client.check()
    assert isinstance(claims, sp.Record) and claims.extra  # the token's claims
    with pytest.raises(sp.AuthenticationError):
        await make_client(token="wrong-token").check()


@pytest.mark.parametrize(
    ("route", "params"),
    [
        ("/v1/./logout", {}),
        ("/v1//logout", {}),
        ("/v1/logout/.", {}),
        ("/v1/{what}", {"what": "logout"}),
        ("/v1/{what}", {"what": "LOGOUT"}),
        (
            "/v1/installs/{installSid}/exams/{examSid}/sessions/{sessionSid}/{action}",
            {"action": "start"},
        ),
        ("/v1/installs/{installSid}/exams/{examSid}/sessions/{sessionSid}/./start", {}),
    ],
)
async def test_the_escape_hatch_refusal_cannot_be_walked_around(
    fake: FakeAPI, make_client: MakeClient, route: str, params: dict[str, str]
) -> None:
    sids = {
        "installSid": "AI" + "0" * 32,
        "examSid": "EX" + "0" * 32,
        "sessionSid": "ES" + "0" * 32,
    }
    params = {**{k: v for k, v in sids.items() if "{" + k + "}" in route}, **params}
    with pytest.raises(sp.InvalidFilterError):
        await make_client().get_json(route, **params)
    with pytest.raises(sp.InvalidFilterError):
        make_client().paginate(route, **params)
    assert len(fake.requests) == 0


@pytest.mark.parametrize(
    "route",
    [
        "/v1/logout",
        "/v1/logout/",
        "/v1/installs/{installSid}/exams/{examSid}/sessions/{sessionSid}/start",
        "/v2/installs/{a}/exams/{b}/sessions/{c}/START",
        "/v1/installs/{installSid}/exams/{examSid}/sessions/{sessionSid}/meetingRoom",
    ],
)
async def test_the_escape_hatch_refuses_routes_that_change_state(
    fake: FakeAPI, make_client: MakeClient, route: str
) -> None:
    client = make_client()
    sids = {"installSid": "AI" + "0" * 32, "examSid": "EX" + "0" * 32}
    sids |= {"sessionSid": "ES" + "0" * 32, "a": "x", "b": "y", "c": "z"}
    params = {k: v for k, v in sids.items() if "{" + k + "}" in route}
    with pytest.raises(sp.InvalidFilterError, match="changes state"):
        await client.get_json(route, **params)
    with pytest.raises(sp.InvalidFilterError, match="changes state"):
        client.paginate(route, **params)
    assert len(fake.requests) == 0


async def test_get_json_and_paginate_reach_unwrapped_routes(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    s = busiest(fake)
    client = make_client(page_size=7)
    route = "/v1/installs/{installSid}/exams/{examSid}/sessions/{sessionSid}/events"
    sids = {"installSid": s.install_sid, "examSid": s.exam_sid, "sessionSid": s.sid}
    rows = await client.paginate(route, **sids, sortOrder="DESC").collect()
    assert [r.extra["sid"] for r in rows] == [e["sid"] for e in reversed(s.events)]
    assert len(fake.requests) > 1  # paged like every list
    assert {dict(r.query)["sortOrder"] for r in fake.requests} == {"DESC"}
    details = await client.get_json(
        "/v1/installs/{installSid}/exams/{examSid}/sessions/{sessionSid}", **sids
    )
    assert isinstance(details, dict) and details["sid"] == s.sid


@pytest.mark.parametrize(
    ("path", "params", "says"),
    [
        ("/v1/installs/{installSid}", {"installSid": "EX" + "0" * 32}, "installSid"),
        ("/v1/installs/{installSid}", {}, "installSid"),
        ("/v1/../admin", {}, "API route"),
        ("https://evil.example/v1/x", {}, "API route"),
        ("/v1/x?token=1", {}, "API route"),
        ("/v1/x", {"offset": 5}, "offset"),
        ("/v1/x", {"when": datetime(2025, 1, 1)}, "naive"),
    ],
)
async def test_unwrapped_requests_are_checked_before_any_request(
    fake: FakeAPI, make_client: MakeClient, path: str, params: dict[str, object], says: str
) -> None:
    client = make_client()
    with pytest.raises(sp.SmarterProctoringError, match=says):
        await client.get_json(path, **params)  # type: ignore[arg-type]
    with pytest.raises(sp.SmarterProctoringError, match=says):
        client.paginate(path, **params)  # type: ignore[arg-type]
    assert fake.requests == []


async def test_only_reviewed_sessions_are_synced_when_asked(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    closed = [s for s in fake.data.sessions if s.status == "Closed"][:4]
    for s in closed[:2]:
        fake.data.set_review(s.sid, "pending", 0)
    for s in closed[2:]:
        fake.data.set_review(s.sid, "complete", 0)
    refs = [sp.SessionRef(s.install_sid, s.exam_sid, s.sid) for s in closed]
    client = make_client()
    results = await client.gather_session_results(refs, only_terminal="reviewed")
    assert [r.skipped for r in results] == [True, True, False, False]
    assert all(r.events is not None for r in results[2:])
    with pytest.raises(sp.InvalidFilterError):
        await client.gather_session_results(refs, only_terminal="closed")  # type: ignore[arg-type]
