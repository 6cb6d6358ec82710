"""Decoding: lenient where the API varies, strict errors that name the record and field."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.models import decoder
from smarterproctoring_async.testing import FakeAPI

from .conftest import MakeClient, busiest, handle


async def test_session_details_round_trip(fake: FakeAPI, make_client: MakeClient) -> None:
    s = fake.data.sessions[0]
    details = await handle(make_client(), s).get()
    assert details.sid == s.sid
    assert details.install_sid == s.install_sid
    assert details.url == s.wire["URL"]
    assert isinstance(details.created_date, datetime)
    assert details.created_date.tzinfo is not None
    assert details.exam == s.wire["exam"]  # an object, though one reference page shows a string
    assert "proctoringFlags" in details.extra  # undocumented: kept, not lost
    assert details.to_dict() == s.wire
    assert s.wire.get("accessKey", "") not in repr(details) or not s.wire.get("accessKey")


async def test_events_and_annotations_decode(fake: FakeAPI, make_client: MakeClient) -> None:
    s = busiest(fake)
    session = handle(make_client(), s)
    events = await session.events().collect()
    assert [e.to_dict() for e in events] == list(s.events)
    one = await session.event(events[1].sid or "")
    assert one == events[1]
    assert isinstance(one.event_time, datetime)
    notes = await session.annotations().collect()
    assert [n.to_dict() for n in notes] == s.annotations
    if notes:
        assert await session.annotation(notes[0].sid or "") == notes[0]


async def test_string_field_arriving_as_object_or_null(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    s = fake.data.sessions[0]
    s.wire["notes"] = {"text": "see file"}
    s.wire["status"] = None
    s.wire["editDate"] = "yesterday"
    details = await handle(make_client(), s).get()
    assert details.notes is None
    assert details.extra["notes"] == {"text": "see file"}
    assert details.status is None
    assert details.edit_date is None  # a date that does not parse: None, the text in extra
    assert details.extra["editDate"] == "yesterday"
    assert details.to_dict() == s.wire


async def test_a_value_fitting_no_rule_is_kept_in_extra_and_logged(
    fake: FakeAPI, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    s = fake.data.sessions[0]
    s.wire["duration"] = "ninety"
    with caplog.at_level("DEBUG", logger="smarterproctoring_async"):
        details = await handle(make_client(), s).get()
    assert details.duration is None and details.extra["duration"] == "ninety"
    assert details.to_dict() == s.wire
    said = [r.getMessage() for r in caplog.records if "'duration'" in r.getMessage()]
    assert said and "ExamSession" in said[0] and "ninety" not in said[0]  # the kind, not the value


def test_naive_iso_dates_are_utc_and_models_built_in_code_have_a_wire_form() -> None:
    event = sp.EventReport(
        sid="ER" + "a" * 32, event_time=datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    )
    assert event.to_dict() == {"sid": "ER" + "a" * 32, "eventTime": "2025-01-02T03:04:05Z"}
    decoded = decoder(sp.EventReport)({"eventTime": "2025-01-02T03:04:05"})
    assert decoded.event_time == datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def test_models_are_frozen() -> None:
    ref = sp.SessionRef("AI", "EX", "ES")
    with pytest.raises(AttributeError):
        ref.exam_sid = "x"  # type: ignore[misc]
