"""Install reports against the fake API: the path hit, the query sent, the rows decoded."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.models import parse_datetime
from smarterproctoring_async.testing import FakeAPI, FakeSession, RequestRecord, generate_data

UTC = timezone.utc


@pytest.fixture
async def fake() -> AsyncIterator[FakeAPI]:
    data = generate_data(seed=7, installs=2, exams=3, sessions_per_exam=5, events=(0, 6))
    async with FakeAPI(data) as api:
        yield api


@pytest.fixture
async def client(fake: FakeAPI) -> AsyncIterator[sp.Client]:
    # A small page size, so that every list is read over several pages.
    async with sp.Client(
        fake.token, base_url=fake.base_url, rate_limit=None, page_size=4, cache_ttl=None
    ) as client:
        yield client


def install_sid(fake: FakeAPI) -> str:
    return str(fake.data.installs[0]["sid"])


def sessions(fake: FakeAPI) -> list[FakeSession]:
    return fake.data.install_sessions(install_sid(fake))


def when(text: Any) -> datetime:
    moment = parse_datetime(str(text))
    assert isinstance(moment, datetime)
    return moment


def wire_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def requests_to(fake: FakeAPI, route_end: str) -> list[RequestRecord]:
    found = [r for r in fake.requests if r.route is not None and r.route.endswith(route_end)]
    assert found, f"no request to {route_end}"
    assert all(r.status == 200 for r in found)
    return found


def sent(fake: FakeAPI, route_end: str, *, path: str) -> tuple[tuple[str, str], ...]:
    """The one set of filters every request to the route carried (paging removed)."""
    found = requests_to(fake, route_end)
    assert {r.path for r in found} == {path}
    filters = {tuple((k, v) for k, v in r.query if k not in ("offset", "limit")) for r in found}
    assert len(filters) == 1
    return filters.pop()


def reports_path(fake: FakeAPI, name: str) -> str:
    return f"/v1/installs/{install_sid(fake)}/reports/{name}"


def ref_of(session: FakeSession) -> sp.SessionRef:
    return sp.SessionRef(session.install_sid, session.exam_sid, session.sid)


def sids(rows: Iterable[Any]) -> list[str]:
    return sorted(str(row["sid"] if isinstance(row, dict) else row.sid) for row in rows)


async def test_session_events_filtered_by_exam_and_time(fake: FakeAPI, client: sp.Client) -> None:
    exam = sessions(fake)[0].exam_sid
    chosen = [s for s in fake.data.exam_sessions(exam)]
    times = sorted(when(e["eventTime"]) for s in chosen for e in s.events)
    start, end = times[1], times[-1] + timedelta(seconds=1)
    reports = client.install(install_sid(fake)).reports
    rows = await reports.session_events(exam_sid=exam, event_time_range=(start, end)).collect()

    assert sent(fake, "/examSessionEvents", path=reports_path(fake, "examSessionEvents")) == (
        ("examSid", exam),
        ("eventTimeRangeStart", wire_time(start)),
        ("eventTimeRangeEnd", wire_time(end)),
    )
    expected = {
        e["sid"]: s for s in chosen for e in s.events if start <= when(e["eventTime"]) < end
    }
    assert sids(rows) == sorted(expected) and len(expected) == len(times) - 1
    for row in rows:
        assert isinstance(row, sp.SessionEventRow) and isinstance(row, sp.EventReport)
        assert row.session_ref == ref_of(expected[str(row.sid)])
        assert row.exam_sid == exam and row.install_sid == install_sid(fake)
        assert isinstance(row.event_time, datetime)
        assert row.extra["courseTitle"]  # undocumented fields are kept, not dropped


async def test_appointments_by_status_and_date(fake: FakeAPI, client: sp.Client) -> None:
    since = when(sessions(fake)[3].wire["appointmentDate"])
    reports = client.install(install_sid(fake)).reports
    rows = await reports.appointments(status="Closed", appointment_after=since).collect()

    assert sent(fake, "/appointments", path=reports_path(fake, "appointments")) == (
        ("status", "Closed"),
        ("appointmentAfter", wire_time(since)),
    )
    expected = [
        s.wire
        for s in sessions(fake)
        if s.status == "Closed" and when(s.wire["appointmentDate"]) >= since
    ]
    assert sids(rows) == sids(expected) and expected
    by_sid = {str(w["sid"]): w for w in expected}
    for row in rows:
        wire = by_sid[str(row.sid)]
        assert isinstance(row, sp.Appointment) and row.is_terminal
        assert isinstance(row.exam, sp.AppointmentExam)
        assert row.exam.sid == wire["examSid"] and row.exam.total_sessions == 5
        assert isinstance(row.enrollment, sp.AppointmentEnrollment)
        assert row.enrollment.enrollment_sid == wire["enrollmentSid"]
        assert row.enrollment.extra["email"] == wire["enrollment"]["email"]
        assert row.appointment_date == when(wire["appointmentDate"])
        assert row.extra["proctoringFlags"] == wire["proctoringFlags"]
        assert row.to_dict() == wire


async def test_appointment_refs_feed_the_session_handles(fake: FakeAPI, client: sp.Client) -> None:
    exam = sessions(fake)[0].exam_sid
    install = client.install(install_sid(fake))
    refs = [appt.session_ref async for appt in install.reports.appointments(exam_sid=exam)]

    assert sent(fake, "/appointments", path=reports_path(fake, "appointments")) == (
        ("examSid", exam),
    )
    assert sorted(refs, key=str) == sorted(map(ref_of, fake.data.exam_sessions(exam)), key=str)
    details = await client.session(refs[0]).get()
    assert details.sid == refs[0].session_sid


async def test_appointments_enum_filters(fake: FakeAPI, client: sp.Client) -> None:
    reports = client.install(install_sid(fake)).reports
    rows = await reports.appointments(type="automated", review_status="not-required").collect()
    assert sent(fake, "/appointments", path=reports_path(fake, "appointments")) == (
        ("type", "automated"),
        ("reviewStatus", "not-required"),
    )
    expected = [
        s.wire
        for s in sessions(fake)
        if s.wire["sessionType"] == "automated" and not s.wire["reviewRequired"]
    ]
    assert sids(rows) == sids(expected)


async def test_unscheduled_learners_of_a_course(fake: FakeAPI, client: sp.Client) -> None:
    course = str(fake.data.courses[0]["sid"])
    reports = client.install(install_sid(fake)).reports
    rows = await reports.unscheduled_learners(course_sid=course).collect()

    path = reports_path(fake, "unscheduledLearners")
    assert sent(fake, "/unscheduledLearners", path=path) == (("courseSid", course),)
    expected = set()
    for exam in (e for e in fake.data.exams if e["courseSid"] == course):
        taken = {s.enrollment_sid for s in fake.data.exam_sessions(str(exam["sid"]))}
        for learner in fake.data.course_enrollments(course):
            if learner["role"] == "learner" and learner["sid"] not in taken:
                expected.add((learner["sid"], exam["sid"]))
    assert {(r.extra["enrollmentSid"], r.extra["examSid"]) for r in rows} == expected
    assert all(isinstance(r, sp.UnscheduledLearner) for r in rows)
    # The rows do not name their install: it comes from the request path.
    assert {r.install_sid for r in rows} == {install_sid(fake)}
    assert "installSid" not in rows[0].to_dict()


async def test_exam_volume_with_exam_dates_and_sorting(fake: FakeAPI, client: sp.Client) -> None:
    opened = datetime(2024, 12, 1, tzinfo=UTC)
    closed = datetime(2025, 2, 1, tzinfo=UTC)
    reports = client.install(install_sid(fake)).reports
    rows = await reports.exam_volume(
        exam_date_range=(opened, closed), sort_keys="examOpenDate", sort_order="desc"
    ).collect()

    path = f"/v1/installs/{install_sid(fake)}/examVolume"
    assert sent(fake, "/examVolume", path=path) == (
        ("sortKeys", "examOpenDate"),
        ("sortOrder", "DESC"),
        ("examOpenDate", "2024-12-01T00:00:00.000Z"),
        ("examCloseDate", "2025-02-01T00:00:00.000Z"),
    )
    mine = [e for e in fake.data.exams if e["installSid"] == install_sid(fake)]
    assert sorted(r.extra["examSid"] for r in rows) == sorted(e["sid"] for e in mine)
    opens = [r.extra["examOpenDate"] for r in rows]
    assert opens == sorted(opens, reverse=True)
    assert all(isinstance(r, sp.ReportRow) for r in rows)
    assert sum(r.extra["totalSessions"] for r in rows) == len(sessions(fake))


async def test_exams_by_week(fake: FakeAPI, client: sp.Client) -> None:
    start, end = datetime(2024, 12, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC)
    reports = client.install(install_sid(fake)).reports
    weeks = await reports.exams_by_week(
        start_date=start, end_date=end, group_by="examOpenDate"
    ).collect()

    path = f"/v1/installs/{install_sid(fake)}/examsByWeek"
    assert sent(fake, "/examsByWeek", path=path) == (
        ("groupBy", "examOpenDate"),
        ("startDate", "2024-12-01T00:00:00.000Z"),
        ("endDate", "2025-01-01T00:00:00.000Z"),
    )
    mine = [e for e in fake.data.exams if e["installSid"] == install_sid(fake)]
    assert sum(w.extra["examCount"] for w in weeks) == len(mine)
    assert [w.extra["weekStart"] for w in weeks] == sorted(w.extra["weekStart"] for w in weeks)


async def test_service_distribution(fake: FakeAPI, client: sp.Client) -> None:
    reports = client.install(install_sid(fake)).reports
    rows = await reports.service_distribution(
        service_types="automated", statuses=["Closed", "Cancelled"]
    ).collect()

    path = reports_path(fake, "serviceDistribution")
    assert sent(fake, "/serviceDistribution", path=path) == (
        ("serviceTypes", "automated"),
        ("statuses", "Closed"),
        ("statuses", "Cancelled"),
    )
    expected = {
        s.sid: s
        for s in sessions(fake)
        if s.status in ("Closed", "Cancelled") and s.wire["sessionType"] == "automated"
    }
    assert sids(rows) == sorted(expected) and expected
    for row in rows:
        assert isinstance(row, sp.ServiceDistributionRow)
        assert row.service_type == "automated" and row.billable == (row.status == "Closed")
        assert isinstance(row.exam, dict) and isinstance(row.course_offering, dict)
        # No examSid at the top level: the ref takes it from the exam object.
        assert "examSid" not in row.to_dict()
        assert row.session_ref == ref_of(expected[str(row.sid)])


async def test_appointment_volume_is_one_object(fake: FakeAPI, client: sp.Client) -> None:
    dates = sorted(when(s.wire["appointmentDate"]) for s in sessions(fake))
    start, end = dates[2], dates[-2]
    reports = client.install(install_sid(fake)).reports
    peaks = await reports.appointment_volume(appointment_date_range=(start, end))

    assert sent(fake, "/appointmentVolume", path=reports_path(fake, "appointmentVolume")) == (
        ("appointmentDateRangeStart", wire_time(start)),
        ("appointmentDateRangeEnd", wire_time(end)),
    )
    assert isinstance(peaks, sp.ReportRow) and peaks.install_sid == install_sid(fake)
    assert peaks.extra["total"] == sum(1 for d in dates if start <= d < end)
    assert "peak" in repr(peaks)


async def test_exam_type_stats(fake: FakeAPI, client: sp.Client) -> None:
    stats = await client.install(install_sid(fake)).reports.exam_type_stats()
    assert sent(fake, "/aggregatedStats", path=reports_path(fake, "aggregatedStats")) == ()
    assert stats.extra["startDate"] == fake.data.reference_time
    assert {t["type"] for t in stats.extra["examTypes"]} <= {"automated", "b-virtual", "proctoru"}


async def test_modality_distribution_of_one_exam(fake: FakeAPI, client: sp.Client) -> None:
    exam = sessions(fake)[0].exam_sid
    modes = await client.install(install_sid(fake)).reports.modality_distribution(exam_sid=exam)
    path = reports_path(fake, "modalityDistribution")
    assert sent(fake, "/modalityDistribution", path=path) == (("examSid", exam),)
    assert modes.extra["total"] == len(fake.data.exam_sessions(exam))


async def test_proctor_volume(fake: FakeAPI, client: sp.Client) -> None:
    reports = client.install(install_sid(fake)).reports
    volume = await reports.proctor_volume(exam_session_status="in-progress")
    assert sent(fake, "/proctorAccountVolume", path=reports_path(fake, "proctorAccountVolume")) == (
        ("examSessionStatus", "in-progress"),
    )
    assert volume.extra["total"] == sum(1 for s in sessions(fake) if s.status == "In Progress")
    default = await reports.proctor_volume()
    assert default.extra["examSessionStatus"] == "Closed"


async def test_exam_overview_requires_and_sends_sort_by(fake: FakeAPI, client: sp.Client) -> None:
    reports = client.install(install_sid(fake)).reports
    rows = await reports.exam_overview(sort_by="examTitle", needs_proctor=False).collect()
    assert sent(fake, "/examOverview", path=reports_path(fake, "examOverview")) == (
        ("sortBy", "examTitle"),
        ("needsProctor", "false"),
    )
    titles = [r.extra["examTitle"] for r in rows]
    assert titles == sorted(titles) and all(r.extra["needsProctorSessions"] == 0 for r in rows)


async def test_audit_churn_and_session_requests(fake: FakeAPI, client: sp.Client) -> None:
    reports = client.install(install_sid(fake)).reports
    audit = await reports.audit(sort_order="DESC").collect()
    assert sent(fake, "/audit", path=reports_path(fake, "audit")) == (("sortOrder", "DESC"),)
    closed = [s for s in sessions(fake) if s.status == "Closed"]
    assert [r.extra["sid"] for r in audit] == [s.sid for s in reversed(closed)]
    assert audit[0].session_ref == ref_of(closed[-1])

    churn = await reports.churn(current_status="Closed", has_closed=True).collect()
    assert sent(fake, "/churn", path=reports_path(fake, "churn")) == (
        ("hasClosed", "true"),
        ("currentStatus", "Closed"),
    )
    assert churn and all(r.extra["currentStatus"] == "Closed" for r in churn)
    with pytest.raises(sp.DecodeError, match="Record has no sessionSid"):
        _ = churn[0].session_ref

    exam = sessions(fake)[0].exam_sid
    threads = await reports.session_requests(exam_sid=exam, sort_keys="lastMessageDate").collect()
    assert sent(fake, "/sessionRequests", path=reports_path(fake, "sessionRequests")) == (
        ("examSid", exam),
        ("sortKeys", "lastMessageDate"),
    )
    waiting = {
        s.sid: s
        for s in fake.data.exam_sessions(exam)
        if s.status in ("Needs Proctor", "Pending Approval", "Scheduled")
    }
    assert {r.session_ref for r in threads} == {ref_of(s) for s in waiting.values()}


async def test_reports_stay_inside_their_install(fake: FakeAPI, client: sp.Client) -> None:
    other = str(fake.data.installs[1]["sid"])
    rows = await client.install(other).reports.appointments().collect()
    assert sids(rows) == sorted(s.sid for s in fake.data.install_sessions(other))
    assert {r.session_ref.install_sid for r in rows} == {other}
