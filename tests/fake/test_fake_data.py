"""The generated data set, the huge lazy session, and the reports' consistency with it."""

from __future__ import annotations

import re
import time
import tracemalloc
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from smarterproctoring_async.testing import FakeAPI, FakeData, generate_data

ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
STATUSES = {
    "Needs Proctor", "Pending Approval", "Approval Denied", "Scheduled", "Incident",
    "Processing", "In Progress", "Closed", "Cancelled",
}  # fmt: skip


def sid(prefix: str) -> re.Pattern[str]:
    return re.compile(f"{prefix}[0-9a-f]{{32}}")


def created(records: Any) -> list[str]:
    return [r["createdDate"] for r in records]


def test_same_seed_same_data() -> None:
    one, two, other = generate_data(seed=1), generate_data(seed=1), generate_data(seed=2)
    assert [s.wire for s in one.sessions] == [s.wire for s in two.sessions]
    assert [list(s.events) for s in one.sessions] == [list(s.events) for s in two.sessions]
    assert [s.annotations for s in one.sessions] == [s.annotations for s in two.sessions]
    assert one.exams == two.exams
    assert one.enrollments == two.enrollments
    assert one.sessions[0].sid != other.sessions[0].sid


def test_shape_of_default_data() -> None:
    data = generate_data()
    assert (len(data.installs), len(data.exams), len(data.sessions)) == (1, 3, 30)
    statuses = Counter(s.status for s in data.sessions)
    assert set(statuses) == STATUSES
    assert statuses.most_common(1)[0][0] == "Closed"
    for session in data.sessions:
        wire = session.wire
        assert sid("ES").fullmatch(session.sid)
        assert sid("AI").fullmatch(session.install_sid)
        assert sid("EX").fullmatch(session.exam_sid)
        assert sid("EN").fullmatch(session.enrollment_sid)
        assert sid("US").fullmatch(wire["userSid"])
        assert sid("CU").fullmatch(wire["courseSid"])
        assert isinstance(wire["exam"], dict)
        assert isinstance(wire["enrollment"], dict)
        assert isinstance(wire["course"], dict)
        assert isinstance(wire["install"], str)
        assert ISO.fullmatch(wire["appointmentDate"])
        assert ISO.fullmatch(wire["editDate"])
        assert wire["sessionReportCount"] == len(session.events) <= 300
        assert "proctoringFlags" in wire
        assert data.session(session.sid) is session
        assert created(session.events) == sorted(created(session.events))
        assert created(session.annotations) == sorted(created(session.annotations))
    assert created(s.wire for s in data.sessions) == sorted(created(s.wire for s in data.sessions))
    event = next(e for s in data.sessions for e in s.events)
    assert sid("ER").fullmatch(event["sid"])
    assert event["status"] in ("Open", "Closed")
    assert event["eventTypeSid"] in {t["sid"] for t in data.event_types}
    note = next(a for s in data.sessions for a in s.annotations)
    assert sid("AN").fullmatch(note["sid"])
    assert note["severity"] in ("green", "yellow", "red")
    assert note["status"] in ("pending review", "reviewed")
    assert isinstance(note["metadata"], dict)
    with pytest.raises(KeyError):
        data.session("ES" + "0" * 32)


def test_million_events_are_not_materialised() -> None:
    tracemalloc.start()
    try:
        data = generate_data(exams=1, sessions_per_exam=2, events=(10**6, 10**6))
        big = data.sessions[0]
        assert len(big.events) == 10**6
        assert big.events[999_999] == big.events[-1]
        assert big.events[5] == big.events[5]
        assert big.events[999_999]["sid"] != big.events[999_998]["sid"]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000


def test_add_session() -> None:
    data = generate_data(exams=2, sessions_per_exam=3)
    added = data.add_session(status="In Progress", events=50, annotations=4)
    assert data.session(added.sid) is added
    assert added.status == "In Progress"
    assert (len(added.events), len(added.annotations)) == (50, 4)
    assert added.install_sid == data.installs[0]["sid"]
    assert added.exam_sid == data.exams[0]["sid"]
    assert data.exams[0]["totalSessions"] == 4
    assert created(s.wire for s in data.sessions) == sorted(created(s.wire for s in data.sessions))


@pytest.fixture
async def fake() -> AsyncIterator[FakeAPI]:
    data = generate_data(seed=9, installs=2, exams=3, sessions_per_exam=4, events=(0, 40))
    async with FakeAPI(data) as api:
        yield api


@pytest.fixture
async def http(fake: FakeAPI) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(headers={"token": fake.token}) as session:
        yield session


async def every(http: aiohttp.ClientSession, url: str, **params: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    while True:
        query = {**params, "offset": str(len(rows)), "limit": "7"}
        async with http.get(url, params=query) as response:
            assert response.status == 200, await response.text()
            page = await response.json()
        rows += page["results"]
        if page["next"] is None:
            assert len(rows) == page["total"]
            return rows


def install_url(fake: FakeAPI, tail: str, index: int = 0) -> str:
    return f"{fake.base_url}/v1/installs/{fake.data.installs[index]['sid']}{tail}"


async def test_appointments_are_the_sessions(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    data: FakeData = fake.data
    for index, install in enumerate(data.installs):
        rows = await every(http, install_url(fake, "/reports/appointments", index))
        assert rows == [s.wire for s in data.install_sessions(install["sid"])]
    closed = await every(http, install_url(fake, "/reports/appointments"), status="Closed")
    sessions = data.install_sessions(data.installs[0]["sid"])
    assert [r["sid"] for r in closed] == [s.sid for s in sessions if s.status == "Closed"]
    middle = sessions[len(sessions) // 2].wire["appointmentDate"]
    later = await every(http, install_url(fake, "/reports/appointments"), appointmentAfter=middle)
    assert [r["sid"] for r in later] == [
        s.sid for s in sessions if s.wire["appointmentDate"] >= middle
    ]


async def test_session_events_report_is_the_events(
    fake: FakeAPI, http: aiohttp.ClientSession
) -> None:
    sessions = fake.data.install_sessions(fake.data.installs[0]["sid"])
    rows = await every(http, install_url(fake, "/reports/examSessionEvents"))
    assert [(r["sid"], r["sessionSid"]) for r in rows] == [
        (e["sid"], s.sid) for s in sessions for e in s.events
    ]
    exam = sessions[0].exam_sid
    only = await every(http, install_url(fake, "/reports/examSessionEvents"), examSid=exam)
    assert {r["examSid"] for r in only} == {exam}
    window = {
        "eventTimeRangeStart": "2025-01-06T00:00:00.000Z",
        "eventTimeRangeEnd": "2025-01-07T00:00:00.000Z",
    }
    timed = await every(http, install_url(fake, "/reports/examSessionEvents"), **window)
    expected = [e["sid"] for s in sessions for e in s.events if e["eventTime"] < "2025-01-07"]
    assert [r["sid"] for r in timed] == expected


async def test_exam_events_are_the_union(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    for exam in fake.data.exams[:3]:
        url = install_url(fake, f"/exams/{exam['sid']}/events")
        sessions = fake.data.exam_sessions(exam["sid"])
        rows = await every(http, url)
        assert rows == [e for s in sessions for e in s.events]
        assert created(rows) == sorted(created(rows))
        opened = await every(http, url, status="Open")
        assert opened == [e for s in sessions for e in s.events if e["status"] == "Open"]


async def test_learner_reports(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    data = fake.data
    rows = await every(http, install_url(fake, "/reports/unscheduledLearners"))
    assert len(rows) == 3 * 2  # two unscheduled learners per exam
    taken = {(s.exam_sid, s.enrollment_sid) for s in data.sessions}
    assert all((r["examSid"], r["enrollmentSid"]) not in taken for r in rows)
    service = await every(http, install_url(fake, "/reports/serviceDistribution"))
    sessions = data.install_sessions(data.installs[0]["sid"])
    wanted = [s.sid for s in sessions if s.status in ("Scheduled", "Closed", "Cancelled")]
    assert [r["sid"] for r in service] == wanted
    assert all(isinstance(r["user"], dict) for r in service)


async def test_discovery_chain(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    data, session = fake.data, fake.data.sessions[0]
    courses = await every(http, install_url(fake, "/courses"))
    assert session.wire["courseSid"] in [c["sid"] for c in courses]
    exams = await every(http, install_url(fake, f"/courses/{session.wire['courseSid']}/exams"))
    assert session.exam_sid in [e["sid"] for e in exams]
    url = install_url(fake, f"/enrollments/{session.enrollment_sid}/exams/{session.exam_sid}")
    found = await every(http, url + "/sessions", includeActive="true")
    assert [r["sid"] for r in found] == [session.sid]
    roster = install_url(fake, f"/courses/{session.wire['courseSid']}/exams/{session.exam_sid}")
    async with http.get(roster.replace("/installs/", "/install/") + "/enrollments") as response:
        body = await response.json()
    mine = next(e for e in body["enrollments"] if e["sid"] == session.enrollment_sid)
    assert (mine["sessionSid"], mine["sessionStatus"]) == (session.sid, session.status)
    types = await every(http, f"{fake.base_url}/v1/sessions/events/types")
    assert types == data.event_types


async def test_single_object_reports(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    async with http.get(install_url(fake, "/reports/appointmentVolume")) as response:
        volume = await response.json()
    assert volume["total"] == 12 == sum(d["count"] for d in volume["byDate"])
    async with http.get(install_url(fake, "/reports/modalityDistribution")) as response:
        assert sum(m["count"] for m in (await response.json())["modalities"]) == 12
    async with http.get(
        install_url(fake, "/exams/" + fake.data.exams[0]["sid"] + "/eventsByStudent")
    ) as response:
        grouped = await response.json()
    total = sum(len(s.events) for s in fake.data.exam_sessions(fake.data.exams[0]["sid"]))
    assert sum(s["eventsCount"] for s in grouped["students"]) == total


async def test_huge_session_served_lazily() -> None:
    data = generate_data(exams=1, sessions_per_exam=1, events=(0, 0))
    big = data.add_session(events=1_000_000)
    async with FakeAPI(data) as fake, aiohttp.ClientSession(headers={"token": fake.token}) as http:
        base = f"{fake.base_url}/v1/installs/{big.install_sid}/exams/{big.exam_sid}"
        url = f"{base}/sessions/{big.sid}/events"
        tracemalloc.start()
        began = time.monotonic()
        try:
            async with http.get(url, params={"offset": "999990", "limit": "50"}) as response:
                page = await response.json()
            async with http.get(f"{base}/events", params={"offset": "500000"}) as response:
                exam_page = await response.json()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert time.monotonic() - began < 5
        assert (page["total"], page["count"]) == (1_000_000, 10)
        assert page["results"] == list(big.events[999_990:])
        assert (exam_page["total"], exam_page["count"]) == (1_000_000, 50)
        assert peak < 10_000_000
        event = big.events[765_432]
        async with http.get(f"{url}/{event['sid']}") as response:
            assert await response.json() == event


def test_course_offerings() -> None:
    data = generate_data(seed=4, installs=2, exams=3)
    assert len(data.course_offerings) == 3 * len(data.courses)
    for course in data.courses:
        mine = [o for o in data.course_offerings if o["courseSid"] == course["sid"]]
        assert [o["term"] for o in mine] == ["Spring 2025", "Summer 2025", "Fall 2025"]
        assert mine[0]["sid"] == course["courseOfferingSid"]  # the current one
        assert mine[0]["title"] == course["courseOfferingTitle"]
        assert [o["status"] for o in mine] == ["active", "upcoming", "upcoming"]
        for offering in mine:
            assert sid("CO").fullmatch(offering["sid"])
            assert offering["installSid"] == course["installSid"]
            assert data.offering(offering["sid"]) is offering
    assert len({o["sid"] for o in data.course_offerings}) == len(data.course_offerings)
    offered = {o["sid"] for o in data.course_offerings}
    assert {e["courseOfferingSid"] for e in data.enrollments} <= offered
    assert generate_data(seed=4, installs=2, exams=3).course_offerings == data.course_offerings
    with pytest.raises(KeyError):
        data.offering("CO" + "0" * 32)


def test_set_review() -> None:
    data = generate_data(seed=6)
    session = data.sessions[0]
    data.set_review(session.sid, "pending", 1_000)
    assert session.review_status == "pending"
    assert (session.wire["reviewRequired"], session.wire["reviewed"]) == (True, False)
    assert session.wire["reviewByDate"] is not None
    data.set_review(session.sid, "complete", 2_000)
    assert session.review_status == "complete"
    assert session.wire["reviewCompletedDate"] == "1970-01-01T00:00:02.000Z"
    assert session.wire["editDate"] == "1970-01-01T00:00:02.000Z"
    data.set_review(session.sid, "not-required", 3_000)
    assert session.review_status == "not-required"
    assert session.wire["reviewCompletedDate"] is None
    with pytest.raises(ValueError, match="review status"):
        data.set_review(session.sid, "reviewed", 0)


def test_annotation_v2_form_is_stable_and_follows_v1() -> None:
    from smarterproctoring_async.testing.data.annotations import annotation_v2

    data = generate_data(seed=8, annotations=(5, 5))
    notes = [a for s in data.sessions for a in s.annotations]
    types = {t["id"]: t for t in data.annotation_types}
    for note in notes:
        v2 = annotation_v2(note)
        assert v2 == annotation_v2(dict(note))  # a pure function of the record
        assert (v2["sid"], v2["sessionSid"], v2["createdDate"]) == (
            note["sid"],
            note["sessionSid"],
            note["createdDate"],
        )
        assert v2["categoryId"] == types[v2["typeId"]]["categoryId"]
        assert v2["reviewed"] == (note["status"] == "reviewed")
        assert (v2["duration"] is None) == (note["type"] == "manual")
