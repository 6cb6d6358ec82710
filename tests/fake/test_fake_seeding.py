"""Seeding the fake by hand: ``add_session(events=[...], annotations=[...])``, ``add_event``
and ``add_annotation`` fill defaults, check fields, and every route that shows a record
serves the same one (read through the SDK, as a user's test would)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeAPI, FakeSession


def ref_of(session: FakeSession) -> sp.SessionRef:
    return sp.SessionRef(session.install_sid, session.exam_sid, session.sid)


async def test_a_seeded_session_is_served_the_same_by_every_route(
    fake: FakeAPI, smarterproctoring_client: sp.Client
) -> None:
    client = smarterproctoring_client
    seeded = fake.data.add_session(
        status="Closed",
        events=[{"subject": "Browser focus lost"}, {"subject": "Second face", "status": "Closed"}],
        annotations=[{"severity": "red", "title": "Phone in view", "type": "automated"}],
    )
    extra = fake.data.add_event(seeded, subject="Left the room", extra={"roomCamera": "B"})
    handle = client.session(ref_of(seeded))

    events = await handle.events().collect()
    assert [e.subject for e in events] == ["Browser focus lost", "Second face", "Left the room"]
    assert [e.status for e in events] == ["Open", "Closed", "Open"]  # the default, and one set
    assert all(e.sid and e.sid.startswith("ER") and e.created_date for e in events)
    assert events[-1].extra["roomCamera"] == "B"
    assert (await handle.event(str(extra["sid"]))).to_dict() == events[-1].to_dict()

    notes = await handle.annotations().collect()
    assert [(a.severity, a.title, a.type) for a in notes] == [("red", "Phone in view", "automated")]
    assert (await handle.annotation(str(notes[0].sid))).to_dict() == notes[0].to_dict()
    (v2,) = await handle.annotations_v2().collect()
    assert v2.extra["sid"] == notes[0].sid

    details = await handle.get()
    assert details.status == "Closed" and details.to_dict()["sessionReportCount"] == 3
    install = client.install(seeded.install_sid)
    (row,) = [
        r
        async for r in install.reports.appointments(status="Closed", exam_sid=seeded.exam_sid)
        if r.sid == seeded.sid
    ]
    assert row.to_dict()["sessionReportCount"] == 3

    report = await install.reports.session_events(exam_sid=seeded.exam_sid).collect()
    mine = [r for r in report if r.session_sid == seeded.sid]
    assert sorted(r.to_dict()["sid"] for r in mine) == sorted(e.sid for e in events if e.sid)
    exam_rows = await install.exam(seeded.exam_sid).events().collect()
    assert {r.to_dict()["sid"] for r in exam_rows} >= {e.sid for e in events}

    by_student = await install.exam(seeded.exam_sid).annotations_by_student(severity="red")
    students = by_student.extra["students"]
    ours = next(s for s in students if seeded.sid in s["sessionSids"])
    assert notes[0].sid in [a["sid"] for a in ours["annotations"]]


async def test_records_go_where_their_created_date_puts_them(fake: FakeAPI) -> None:
    session = fake.data.add_session(events=[{"subject": "late"}])
    late = datetime.fromisoformat(str(session.events[0]["createdDate"]).replace("Z", "+00:00"))
    early = fake.data.add_event(session.sid, subject="early", createdDate=late - timedelta(hours=1))
    assert [e["subject"] for e in session.events] == ["early", "late"]
    assert early["createdDate"].endswith("Z") and early["sessionSid"] == session.sid
    first = fake.data.add_annotation(session, sessionTime=5)
    second = fake.data.add_annotation(session)
    assert [a["sid"] for a in session.annotations] == [first["sid"], second["sid"]]
    assert second["sessionTime"] > first["sessionTime"]


@pytest.mark.parametrize(
    ("fields", "error", "names"),
    [
        ({"subjekt": "typo"}, TypeError, "'subjekt'"),
        ({"sessionSid": "ES" + "0" * 32}, TypeError, "comes from the session"),
        ({"status": "open"}, ValueError, "'status' must be one of"),
        ({"draft": "no"}, TypeError, "'draft' must be bool"),
        ({"subject": None}, ValueError, "'subject' may not be None"),
        ({"sid": "ER-made-up"}, ValueError, "'sid' must be ER"),
        ({"eventTypeSid": "ET" + "f" * 32}, ValueError, "not in data.event_types"),
        ({"createdDate": datetime(2025, 1, 1)}, ValueError, "naive datetime"),
        ({"eventTime": "yesterday"}, ValueError, "not an ISO-8601 date"),
        ({"extra": {"subject": "x"}}, TypeError, "pass them as keywords"),
    ],
)
def test_bad_event_fields_are_refused_naming_the_field(
    fake: FakeAPI, fields: dict[str, object], error: type[Exception], names: str
) -> None:
    session = fake.data.sessions[0]
    before = len(session.events)
    with pytest.raises(error, match=names.replace("(", r"\(")):
        fake.data.add_event(session, **fields)  # type: ignore[arg-type]
    assert len(session.events) == before


@pytest.mark.parametrize(
    ("fields", "error", "names"),
    [
        ({"severity": "orange"}, ValueError, "'severity' must be one of"),
        ({"sessionTime": -1}, ValueError, "'sessionTime' must be >= 0"),
        ({"sessionTime": True}, TypeError, "'sessionTime' must be int or float"),
        ({"title": "x" * 256}, ValueError, "longer than 255"),
        ({"metadata": []}, TypeError, "'metadata' must be dict"),
    ],
)
def test_bad_annotation_fields_are_refused_naming_the_field(
    fake: FakeAPI, fields: dict[str, object], error: type[Exception], names: str
) -> None:
    session = fake.data.sessions[0]
    before = len(session.annotations)
    with pytest.raises(error, match=names):
        fake.data.add_annotation(session, **fields)  # type: ignore[arg-type]
    assert len(session.annotations) == before


def test_bad_sessions_are_refused(fake: FakeAPI) -> None:
    with pytest.raises(ValueError, match="counts >= 0"):
        fake.data.add_session(events=-5)
    with pytest.raises(TypeError, match="status"):
        fake.data.add_session(status=None)  # type: ignore[arg-type]
    other = FakeSession(dict(fake.data.sessions[0].wire), [], [])
    with pytest.raises(ValueError, match="not a session of this data set"):
        fake.data.add_event(other, subject="x")


async def test_hand_written_events_do_not_break_the_session_events_report(
    fake: FakeAPI, smarterproctoring_client: sp.Client
) -> None:
    # A test that skips add_event and writes bare records must still get answers.
    session = fake.data.add_session(status="Closed")
    session.events = [{"sid": "ER" + "a" * 32, "subject": "bare"}]
    install = smarterproctoring_client.install(session.install_sid)
    rows = await install.reports.session_events(exam_sid=session.exam_sid).collect()
    (mine,) = [r for r in rows if r.to_dict()["sid"] == "ER" + "a" * 32]
    assert mine.session_sid == session.sid
    assert fake.requests.by_status.get(500, 0) == 0
    details = await smarterproctoring_client.session(ref_of(session)).get()
    assert details.to_dict()["sessionReportCount"] == 1


def test_aware_datetimes_become_wire_dates(fake: FakeAPI) -> None:
    when = datetime(2025, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=2)))
    record = fake.data.add_event(fake.data.sessions[0], eventTime=when)
    assert record["eventTime"] == "2025-03-01T07:30:00.000Z"
