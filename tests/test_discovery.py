"""Exam-level lists and discovery against the fake API: path, query and decoded rows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeAPI, FakeSession, RequestRecord, generate_data


@pytest.fixture
async def fake() -> AsyncIterator[FakeAPI]:
    data = generate_data(seed=11, installs=2, exams=3, sessions_per_exam=6, events=(0, 8))
    async with FakeAPI(data) as api:
        yield api


@pytest.fixture
async def client(fake: FakeAPI) -> AsyncIterator[sp.Client]:
    async with sp.Client(fake.token, base_url=fake.base_url, rate_limit=None, page_size=5) as c:
        yield c


def install_sid(fake: FakeAPI) -> str:
    return str(fake.data.installs[0]["sid"])


def first_exam(fake: FakeAPI) -> str:
    return fake.data.install_sessions(install_sid(fake))[0].exam_sid


def sent(fake: FakeAPI, route: str, *, path: str) -> tuple[tuple[str, str], ...]:
    """The filters (paging removed) that every request to ``route`` carried."""
    found: list[RequestRecord] = [r for r in fake.requests if r.route == route]
    assert found and all(r.status == 200 for r in found)
    assert {r.path for r in found} == {path}
    filters = {tuple((k, v) for k, v in r.query if k not in ("offset", "limit")) for r in found}
    assert len(filters) == 1
    return filters.pop()


def ref_of(session: FakeSession) -> sp.SessionRef:
    return sp.SessionRef(session.install_sid, session.exam_sid, session.sid)


async def test_exam_events_open_only(fake: FakeAPI, client: sp.Client) -> None:
    exam = first_exam(fake)
    install = client.install(install_sid(fake))
    rows = [e async for e in install.exam(exam).events(status="Open", sort_order="asc")]

    route = "/v1/installs/{installSid}/exams/{examSid}/events"
    path = f"/v1/installs/{install_sid(fake)}/exams/{exam}/events"
    assert sent(fake, route, path=path) == (("status", "Open"), ("sortOrder", "ASC"))
    expected = {
        e["sid"]: s
        for s in fake.data.exam_sessions(exam)
        for e in s.events
        if e["status"] == "Open"
    }
    assert [r.sid for r in rows] == list(expected) and expected
    for row in rows:
        assert isinstance(row, sp.SessionEventRow) and row.status == "Open"
        assert row.session_ref == ref_of(expected[str(row.sid)])
        assert row.to_dict()["subject"] == row.subject


async def test_exam_event_rows_without_sids_take_them_from_the_path(
    fake: FakeAPI, client: sp.Client
) -> None:
    exam = first_exam(fake)
    for session in fake.data.exam_sessions(exam):
        session.events = [{k: v for k, v in e.items() if k != "installSid"} for e in session.events]
    rows = await client.install(install_sid(fake)).exam(exam).events().collect()
    assert rows and {r.install_sid for r in rows} == {install_sid(fake)}
    assert all(r.session_ref.install_sid == install_sid(fake) for r in rows)


async def test_exam_events_by_student(fake: FakeAPI, client: sp.Client) -> None:
    exam = first_exam(fake)
    report = await client.install(install_sid(fake)).exam(exam).events_by_student()

    route = "/v1/installs/{installSid}/exams/{examSid}/eventsByStudent"
    path = f"/v1/installs/{install_sid(fake)}/exams/{exam}/eventsByStudent"
    assert sent(fake, route, path=path) == ()
    assert isinstance(report, sp.ReportRow) and report.extra["examSid"] == exam
    counts = sum(s["eventsCount"] for s in report.extra["students"])
    assert counts == sum(len(s.events) for s in fake.data.exam_sessions(exam))


async def test_exam_annotations_by_student(fake: FakeAPI, client: sp.Client) -> None:
    exam = first_exam(fake)
    report = (
        await client.install(install_sid(fake)).exam(exam).annotations_by_student(severity="red")
    )
    route = "/v1/installs/{installSid}/exams/{examSid}/annotationsByStudent"
    path = f"/v1/installs/{install_sid(fake)}/exams/{exam}/annotationsByStudent"
    assert sent(fake, route, path=path) == (("severity", "red"),)
    found = [a for s in report.extra["students"] for a in s["annotations"]]
    expected = [a for s in fake.data.exam_sessions(exam) for a in s.annotations]
    assert sorted(a["sid"] for a in found) == sorted(
        a["sid"] for a in expected if a["severity"] == "red"
    )


async def test_enrollment_sessions_with_the_active_one(fake: FakeAPI, client: sp.Client) -> None:
    active = next(s for s in fake.data.sessions if s.status == "In Progress")
    enrollment = client.install(active.install_sid).enrollment(active.enrollment_sid)
    rows = [
        s
        async for s in enrollment.exam(active.exam_sid).sessions(
            include_active=True, status=["Closed", "Scheduled"]
        )
    ]
    route = "/v1/installs/{installSid}/enrollments/{enrollmentSid}/exams/{examSid}/sessions"
    path = (
        f"/v1/installs/{active.install_sid}/enrollments/{active.enrollment_sid}"
        f"/exams/{active.exam_sid}/sessions"
    )
    assert sent(fake, route, path=path) == (
        ("status", "Closed"),
        ("status", "Scheduled"),
        ("includeActive", "true"),
    )
    assert [r.sid for r in rows] == [active.sid]
    row = rows[0]
    assert isinstance(row, sp.SessionSummary) and not row.is_terminal
    assert row.status == "In Progress" and row.created_date is not None
    # The rows carry none of the SIDs of the path; the path supplies them.
    assert set(row.to_dict()) == {
        "sid", "status", "sessionType", "appointmentDate", "createdDate", "editDate",
    }  # fmt: skip
    assert (row.install_sid, row.exam_sid, row.enrollment_sid) == (
        active.install_sid,
        active.exam_sid,
        active.enrollment_sid,
    )
    assert row.session_ref == ref_of(active)


async def test_courses_and_course_handles(fake: FakeAPI, client: sp.Client) -> None:
    install = client.install(install_sid(fake))
    courses = await install.courses(has_active_exam=True, sort_keys="courseTitle").collect()
    path = f"/v1/installs/{install_sid(fake)}/courses"
    assert sent(fake, "/v1/installs/{installSid}/courses", path=path) == (
        ("hasActiveExam", "true"),
        ("sortKeys", "courseTitle"),
    )
    mine = [c for c in fake.data.courses if c["installSid"] == install_sid(fake)]
    assert [c.extra["sid"] for c in courses] == [
        c["sid"] for c in sorted(mine, key=lambda c: str(c["title"]).lower())
    ]

    course = install.course(courses[0].extra["sid"])
    details = await course.get()
    assert details.to_dict() == next(c for c in mine if c["sid"] == course.sid)
    exams = await course.exams(include_status_summary=True, sort_keys=["title"]).collect()
    expected = [e for e in fake.data.exams if e["courseSid"] == course.sid]
    assert sorted(e.extra["sid"] for e in exams) == sorted(e["sid"] for e in expected)
    assert all("statusSummary" in e.extra for e in exams)
    learners = await course.enrollments(roles="learner", state="active").collect()
    assert {e.extra["role"] for e in learners} == {"learner"}
    assert len(learners) == sum(
        1 for e in fake.data.course_enrollments(course.sid) if e["role"] == "learner"
    )
    roster = await course.roster(expected[0]["sid"])
    assert roster.extra["exam"]["sid"] == expected[0]["sid"]

    routes = {r.route: r for r in fake.requests}
    base = "/v1/installs/{installSid}/courses/{courseSid}"
    assert dict(routes[base + "/exams"].query)["includeStatusSummary"] == "true"
    assert ("roles", "learner") in routes[base + "/enrollments"].query
    roster_route = "/v1/install/{installSid}/courses/{courseSid}/exams/{examSid}/enrollments"
    assert routes[roster_route].path == (
        f"/v1/install/{install_sid(fake)}/courses/{course.sid}/exams/{expected[0]['sid']}/enrollments"
    )


async def test_install_enrollments(fake: FakeAPI, client: sp.Client) -> None:
    install = client.install(install_sid(fake))
    rows = await install.enrollments(role="instructor", sort_keys="lastName").collect()
    path = f"/v1/installs/{install_sid(fake)}/enrollments"
    assert sent(fake, "/v1/installs/{installSid}/enrollments", path=path) == (
        ("role", "instructor"),
        ("sortKeys", "lastName"),
    )
    expected = [
        e
        for e in fake.data.enrollments
        if e["installSid"] == install_sid(fake) and e["role"] == "instructor"
    ]
    assert sorted(r.extra["sid"] for r in rows) == sorted(e["sid"] for e in expected)
    with pytest.raises(sp.InvalidFilterError, match="sort_keys takes at most 1"):
        install.enrollments(sort_keys=["firstName", "lastName"])


async def test_event_types(fake: FakeAPI, client: sp.Client) -> None:
    types = await client.event_types().collect()
    assert sent(fake, "/v1/sessions/events/types", path="/v1/sessions/events/types") == ()
    assert [t.extra["sid"] for t in types] == [t["sid"] for t in fake.data.event_types]
    assert all(t.install_sid is None for t in types)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda i: i.course("EX" + "0" * 32), "courseSid"),
        (lambda i: i.enrollment("ES" + "0" * 32), "enrollmentSid"),
        (lambda i: i.enrollment("EN" + "0" * 32).exam("bad"), "examSid"),
    ],
)
async def test_handles_check_their_sids(client: sp.Client, make: Any, message: str) -> None:
    with pytest.raises(sp.InvalidSidError, match=message):
        make(client.install("AI" + "0" * 32))
