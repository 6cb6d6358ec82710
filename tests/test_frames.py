"""Records and DataFrames of models and bulk results, against the fake API; the repr of
a result."""

from __future__ import annotations

import math
import sys
from collections.abc import AsyncIterator
from datetime import datetime

import pandas as pd
import pytest

import smarterproctoring_async as sp
from smarterproctoring_async import _json, frames
from smarterproctoring_async.models import decoder, wire_names
from smarterproctoring_async.testing import FakeAPI, generate_data

from .conftest import FAST_RETRY, MakeClient, busiest, handle

UTC_NS = "datetime64[ns, UTC]"


def attributes(model: type[sp.Model]) -> list[str]:
    return list(wire_names(model))


@pytest.fixture
async def client(make_client: MakeClient) -> sp.Client:
    return make_client()


async def test_records_keep_every_field_under_its_column(fake: FakeAPI, client: sp.Client) -> None:
    s = busiest(fake)
    events = await handle(client, s).events().collect()
    records = frames.to_records(events)
    assert len(records) == len(events) == len(s.events)
    for record, event, wire in zip(records, events, s.events, strict=True):
        # The parent SIDs first, then documented fields by attribute, then the others
        # by their snake_case wire name.
        assert list(record)[:3] == list(frames.PARENT_COLUMNS)
        assert list(record)[3 : 3 + len(attributes(sp.EventReport))] == attributes(sp.EventReport)
        for attribute, name in wire_names(sp.EventReport).items():
            assert record[attribute] == getattr(event, attribute)
            assert name in wire
        assert record["session_sid"] == wire["sessionSid"] == s.sid
        assert record["edit_date"] == wire["editDate"]
        assert len(record) == len(wire)  # nothing dropped, nothing invented
        when = record["event_time"]
        assert isinstance(when, datetime) and when.tzinfo is not None


async def test_frame_dtypes_come_from_the_annotations(fake: FakeAPI, client: sp.Client) -> None:
    s = busiest(fake)
    events = await handle(client, s).events().collect()
    df = frames.to_dataframe(events)
    assert list(df.columns[:17]) == [*frames.PARENT_COLUMNS, *attributes(sp.EventReport)]
    assert str(df["event_time"].dtype) == UTC_NS
    assert str(df["created_date"].dtype) == UTC_NS
    assert str(df["edit_date"].dtype) == UTC_NS  # undocumented: a date by its values
    assert df["draft"].dtype == "boolean"
    assert df["sid"].dtype == "string" and df["session_sid"].dtype == "string"
    assert list(df["sid"]) == [e["sid"] for e in s.events]
    first = pd.Timestamp(events[0].event_time)
    assert df["event_time"].iloc[0] == first and df["event_time"].iloc[0].tz is not None
    assert list(df["session_sid"]) == [s.sid] * len(events)  # an extra field, kept


def test_columns_are_typed_when_every_value_is_missing() -> None:
    sessions = [sp.ExamSession(sid="ES" + "1" * 32), sp.ExamSession(sid="ES" + "2" * 32)]
    df = frames.to_dataframe(sessions)
    assert str(df["created_date"].dtype) == UTC_NS
    assert df["created_date"].isna().all()
    assert df["session_report_count"].dtype == "Int64"
    assert df["reviewed"].dtype == "boolean"
    assert df["duration"].dtype == "Float64"
    assert df["status"].dtype == "string"
    assert df["series"].dtype == object  # JSON: untyped


def test_extra_fields_never_share_a_column() -> None:
    event = decoder(sp.EventReport)(
        {
            "sid": "ER" + "a" * 32,
            "createdDate": "not a date",  # kept in extra, beside the documented column
            "URL": "https://example.test/1",
            "reviewed_by": "someone",
            "sessionSID": "ES" + "b" * 32,
            "first-name": "Ada",
            "newField": {"nested": [1, 2]},
        }
    )
    record = frames.to_records([event])[0]
    assert record["created_date"] is None
    assert record["created_date_as_sent"] == "not a date"
    assert record["url"] == "https://example.test/1"
    assert record["reviewed_by"] == "someone"
    assert record["session_sid"] == "ES" + "b" * 32
    assert record["first_name"] == "Ada"
    assert record["new_field"] == {"nested": [1, 2]}
    assert record["new_field"] is not event.extra["newField"]  # a copy
    assert next(iter(record)) == "session_sid"  # a parent SID, first
    assert not [name for name in record if "." in name or name != name.lower()]
    df = frames.to_dataframe([event])
    assert str(df["created_date"].dtype) == UTC_NS
    assert df["created_date_as_sent"].iloc[0] == "not a date"
    assert df["created_date_as_sent"].dtype == "string"


def test_undocumented_columns_are_typed_by_their_values() -> None:
    big = 2**70
    rows = [
        {"sid": "ER" + "1" * 32, "editDate": "2025-01-06T15:42:48.000Z", "count": 3,
         "ratio": 1, "ok": True, "when": "2025-01-06T08:00:00+01:00", "note": "a",
         "huge": big, "mixed": 1, "never": None, "zoneless": "2025-01-06T08:00:00",
         "big_or_float": big},
        {"sid": "ER" + "2" * 32, "editDate": None, "count": None, "ratio": 0.5, "ok": None,
         "when": "not a date", "note": None, "huge": 1, "mixed": "one", "never": None,
         "zoneless": "2025-01-07T08:00:00", "big_or_float": 0.5},
    ]  # fmt: skip
    events = [decoder(sp.EventReport)(row) for row in rows]
    df = frames.to_dataframe(events)
    assert str(df["edit_date"].dtype) == UTC_NS
    assert df["edit_date"].iloc[0] == pd.Timestamp("2025-01-06T15:42:48Z")
    assert pd.isna(df["edit_date"].iloc[1])
    assert df["count"].dtype == "Int64" and df["ratio"].dtype == "Float64"
    assert df["ok"].dtype == "boolean"
    # One value that is not a date, or dates without a zone: strings.
    assert df["when"].dtype == "string" and df["zoneless"].dtype == "string"
    assert df["note"].dtype == "string" and df["note"].dtype.na_value is pd.NA
    assert df["huge"].dtype == object and list(df["huge"]) == [big, 1]  # exact
    assert df["big_or_float"].dtype == object and df["big_or_float"].iloc[0] == big
    assert df["mixed"].dtype == object and df["never"].dtype == object
    with_big = decoder(sp.ExamSession)({"sid": "ES" + "3" * 32, "sessionReportCount": big})
    sessions = frames.to_dataframe([with_big, sp.ExamSession(sid="ES" + "4" * 32)])
    assert sessions["session_report_count"].dtype == object
    assert sessions["session_report_count"].iloc[0] == big
    assert sessions["session_report_count"].iloc[1] is None


def test_numbers_a_nullable_dtype_would_change_stay_exact() -> None:
    odd = 2**53 + 1  # no double holds it
    rows = [
        {"sid": "ER" + "1" * 32, "sessionTime": odd, "share": odd, "nan": math.nan,
         "huge": _json.decode_body(b"1e400"), "plain": 0.25},
        {"sid": "ER" + "2" * 32, "sessionTime": 1.5, "share": 0.5, "nan": None,
         "huge": 1.0, "plain": None},
    ]  # fmt: skip
    df = frames.to_dataframe([decoder(sp.Annotation)(row) for row in rows])
    assert df["session_time"].dtype == object and df["session_time"].iloc[0] == odd
    assert df["share"].dtype == object and df["share"].iloc[0] == odd
    assert df["nan"].dtype == object and math.isnan(df["nan"].iloc[0])  # not missing
    assert df["nan"].iloc[1] is None
    assert df["huge"].dtype == object and df["huge"].iloc[0].text == "1e400"
    assert df["plain"].dtype == "Float64"  # what a double holds keeps the nullable dtype
    huge = decoder(sp.Annotation)({"sid": "AN" + "1" * 32, "sessionTime": rows[0]["huge"]})
    times = frames.to_dataframe([huge, sp.Annotation(session_time=0.5)])["session_time"]
    assert times.dtype == object and times.iloc[0].text == "1e400"  # a documented float


def test_dates_beyond_nanoseconds_keep_their_value() -> None:
    far = decoder(sp.Annotation)({"sid": "AN" + "c" * 32, "createdDate": "9999-12-31T00:00:00Z"})
    near = decoder(sp.Annotation)({"sid": "AN" + "d" * 32, "createdDate": "2025-01-02T03:04:05Z"})
    df = frames.to_dataframe([far, near])
    assert str(df["created_date"].dtype) == "datetime64[us, UTC]"
    assert df["created_date"].iloc[0].year == 9999
    assert df["created_date"].iloc[1] == pd.Timestamp("2025-01-02T03:04:05Z")


async def test_nested_models_are_records_and_the_paginator_is_collected(
    fake: FakeAPI, client: sp.Client
) -> None:
    install = client.install(fake.data.sessions[0].install_sid)
    appointments = await install.reports.appointments().collect()
    df = await frames.paginator_to_dataframe(install.reports.appointments())
    assert len(df) == len(appointments) == len(fake.data.sessions)
    exam = df["exam"].iloc[0]
    assert isinstance(exam, dict) and exam["course_name"] == appointments[0].exam.course_name
    assert list(exam)[:2] == ["sid", "course_sid"]
    assert df["exam_sid"].iloc[0] == appointments[0].exam_sid
    assert str(df["appointment_date"].dtype) == UTC_NS


async def test_empty_input_gives_the_model_columns() -> None:
    data = generate_data(seed=4, exams=1, sessions_per_exam=1, events=(0, 0), annotations=(0, 0))
    async with FakeAPI(data) as api, sp.Client(api.token, base_url=api.base_url) as client:
        s = api.data.sessions[0]
        df = await frames.paginator_to_dataframe(handle(client, s).events(), model=sp.EventReport)
        bare = await frames.paginator_to_dataframe(handle(client, s).annotations())
    assert df.empty and list(df.columns) == attributes(sp.EventReport)
    assert str(df["event_time"].dtype) == UTC_NS and df["draft"].dtype == "boolean"
    assert bare.empty and list(bare.columns) == []
    assert frames.to_records([]) == []
    with pytest.raises(TypeError, match="model class"):
        frames.to_dataframe([], model=dict)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="models"):
        frames.to_records([{"sid": "x"}])  # type: ignore[list-item]


async def test_results_tables(fake: FakeAPI, client: sp.Client) -> None:
    sessions = fake.data.sessions[:8]
    refs = [sp.SessionRef(s.install_sid, s.exam_sid, s.sid) for s in sessions]
    missing = sp.SessionRef(refs[0].install_sid, refs[0].exam_sid, "ES" + "0" * 32)
    results = await client.gather_session_results(
        [*refs, missing, object()],  # type: ignore[list-item]
        only_terminal=True,
    )
    tables = frames.results_to_dataframes(results)
    fine = [r for r in results if r.error is None]
    skipped = [r for r in fine if r.skipped]
    assert skipped and len(fine) == len(refs)  # the seed has sessions still open

    assert list(tables.sessions.columns[:6]) == list(frames.SESSION_COLUMNS)
    assert list(tables.sessions["session_sid"]) == [s.sid for s in sessions]
    assert list(tables.sessions["skipped"]) == [r.skipped for r in fine]
    assert tables.sessions["skipped"].dtype == "boolean"
    counts = [None if r.events is None else len(r.events) for r in fine]
    assert [None if pd.isna(n) else n for n in tables.sessions["event_count"]] == counts
    assert list(tables.sessions["status"]) == [r.session and r.session.status for r in fine]
    assert list(tables.sessions["install_sid"]) == [s.install_sid for s in sessions]
    assert not [name for name in tables.sessions.columns if name.endswith("_as_sent")]
    assert str(tables.sessions["appointment_date"].dtype) == UTC_NS

    events = tables.events
    assert list(events.columns[:4]) == [*frames.PARENT_COLUMNS, "sid"]
    wanted = [(r.ref.session_sid, e.sid) for r in fine if r.ref for e in r.events or ()]
    assert list(zip(events["session_sid"], events["sid"], strict=True)) == wanted
    # The events' own session SIDs fill the parent column: the same columns as a list.
    per_session = await handle(client, busiest(fake)).events().to_dataframe()
    assert list(events.columns) == list(per_session.columns)
    assert [str(t) for t in events.dtypes] == [str(t) for t in per_session.dtypes]
    assert list(tables.annotations.columns[:3]) == list(frames.PARENT_COLUMNS)
    assert len(tables.annotations) == sum(len(r.annotations or ()) for r in fine)

    errors = tables.errors
    assert list(errors.columns) == list(frames.ERROR_COLUMNS)
    assert list(errors["error_type"]) == ["NotFoundError", "TypeError"]
    assert errors["session_sid"].iloc[0] == missing.session_sid
    assert pd.isna(errors["session_sid"].iloc[1])  # the input named no session
    assert "SessionRef" in errors["error_message"].iloc[1]

    records = frames.results_to_records(results)
    assert [len(getattr(records, t)) for t in ("sessions", "events", "annotations", "errors")] == [
        len(tables.sessions),
        len(tables.events),
        len(tables.annotations),
        2,
    ]
    assert list(records.events[0]) == list(tables.events.columns)
    assert records.events[0]["sid"] == tables.events["sid"].iloc[0]
    assert repr(records) == (
        f"<SessionTables sessions={len(fine)} events={len(events)} "
        f"annotations={len(tables.annotations)} errors=2>"
    )


def test_results_tables_are_typed_when_empty() -> None:
    tables = frames.results_to_dataframes([])
    assert list(tables.events.columns) == [*frames.PARENT_COLUMNS, *attributes(sp.EventReport)]
    assert str(tables.events["event_time"].dtype) == UTC_NS
    assert list(tables.errors.columns) == list(frames.ERROR_COLUMNS)
    assert tables.sessions["event_count"].dtype == "Int64"


def test_a_session_without_details_has_every_column() -> None:
    ref = sp.SessionRef("AI" + "1" * 32, "EX" + "2" * 32, "ES" + "3" * 32)
    tables = frames.results_to_records([sp.SessionResult(ref=ref, events=())])
    [row] = tables.sessions
    assert list(row)[:7] == [*frames.SESSION_COLUMNS, "status"]
    assert row["event_count"] == 0 and row["annotation_count"] is None
    # The details' own install_sid and exam_sid are the parent columns.
    assert len(row) == len(frames.SESSION_COLUMNS) + len(wire_names(sp.ExamSession)) - 2
    assert all(row[column] is None for column in list(row)[6:])


def test_a_subclass_in_a_results_table_keeps_its_own_fields() -> None:
    ref = sp.SessionRef("AI" + "1" * 32, "EX" + "2" * 32, "ES" + "3" * 32)
    row = sp.SessionEventRow(sid="ER" + "4" * 32, session_sid="ES" + "5" * 32)
    result = sp.SessionResult(ref=ref, events=(row,))
    [record] = frames.results_to_records([result]).events
    assert record["session_sid"] == ref.session_sid
    assert record["session_sid_as_sent"] == "ES" + "5" * 32


def test_a_row_naming_other_parents_keeps_each_beside_as_sent() -> None:
    ref = sp.SessionRef("AI" + "1" * 32, "EX" + "2" * 32, "ES" + "3" * 32)
    event = decoder(sp.EventReport)
    events = (
        event({"sid": "ER" + "4" * 32, "sessionSid": ref.session_sid,
               "session_sid": "ES" + "a" * 32, "SessionSid": "ES" + "b" * 32}),
        event({"sid": "ER" + "5" * 32, "installSid": 12345}),
        event({"sid": "ER" + "6" * 32, "installSid": {"id": 7}}),
    )  # fmt: skip
    results = [sp.SessionResult(ref=ref, events=events)]
    records = frames.results_to_records(results).events
    table = frames.results_to_dataframes(results).events
    for rows in (records, table.to_dict("records")):
        assert rows[0]["session_sid"] == ref.session_sid  # the session the row is of
        assert rows[0]["session_sid_as_sent"] == "ES" + "a" * 32  # and both others
        assert rows[0]["session_sid_as_sent_2"] == "ES" + "b" * 32
        assert [row["install_sid"] for row in rows] == [ref.install_sid] * 3
        assert [row["install_sid_as_sent"] for row in rows[1:]] == [12345, {"id": 7}]
    assert table["install_sid_as_sent"].dtype == object  # not the SIDs' string dtype


def test_a_nested_record_is_named_by_its_own_fields_only() -> None:
    def appointment(exam: dict[str, object]) -> sp.Appointment:
        return decoder(sp.Appointment)({"sid": "ES" + "2" * 32, "exam": exam})

    # An earlier table whose nested record took the column ``odd_note_x`` first...
    frames.to_records([appointment({"oddNoteX": "B"})])
    # ...has no say in how another table names the same field of its own records.
    [row] = frames.to_records([appointment({"odd_note_x": "A"})])
    assert row["exam"]["odd_note_x"] == "A" and "odd_note_x_as_sent" not in row["exam"]


def test_without_pandas_records_work_and_frames_say_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    event = sp.EventReport(sid="ER" + "e" * 32)
    assert frames.to_records([event])[0]["sid"] == event.sid
    with pytest.raises(ImportError, match=r"pip install 'smarterproctoring-async\[pandas\]'"):
        frames.to_dataframe([event])
    with pytest.raises(ImportError, match="pandas"):
        frames.results_to_dataframes([])


async def test_paginator_without_pandas_sends_no_request(
    monkeypatch: pytest.MonkeyPatch, fake: FakeAPI, client: sp.Client
) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    before = fake.requests.total
    with pytest.raises(ImportError, match=r"\[pandas\]"):
        await frames.paginator_to_dataframe(handle(client, fake.data.sessions[0]).events())
    assert fake.requests.total == before


@pytest.fixture
async def long_session() -> AsyncIterator[tuple[FakeAPI, sp.Client]]:
    data = generate_data(seed=6, exams=1, sessions_per_exam=1, events=(2000, 2000))
    async with (
        FakeAPI(data) as api,
        sp.Client(api.token, base_url=api.base_url, page_size=500, retry=FAST_RETRY) as client,
    ):
        yield api, client


async def test_a_result_repr_is_one_short_line(long_session: tuple[FakeAPI, sp.Client]) -> None:
    api, client = long_session
    s = api.data.sessions[0]
    ref = sp.SessionRef(s.install_sid, s.exam_sid, s.sid)
    missing = sp.SessionRef(s.install_sid, s.exam_sid, "ES" + "0" * 32)
    ok, failed = await client.gather_session_results([ref, missing])
    assert ok.events is not None and len(ok.events) == 2000
    text = repr(ok)
    assert len(text) < 300 and "\n" not in text
    assert text == (
        f"<SessionResult {s.install_sid}/{s.exam_sid}/{s.sid} status={s.status!r} "
        f"events=2000 annotations={len(ok.annotations or ())}>"
    )
    assert repr([ok, ok]) == f"[{text}, {text}]"
    assert len(repr(failed)) < 300 and "error=NotFoundError(" in repr(failed)
    assert ok == sp.SessionResult(
        ref=ok.ref, session=ok.session, events=ok.events, annotations=ok.annotations
    )


def test_result_repr_cuts_what_it_does_not_control() -> None:
    ref = sp.SessionRef("AI" + "x" * 500, "EX1", "ES1")
    error = ValueError("line one\nline two " + "y" * 500)
    text = repr(sp.SessionResult(ref=ref, error=error, skipped=True))
    assert len(text) < 300 and "\n" not in text
    assert "skipped" in text and "ValueError('line one line two" in text
    assert repr(sp.SessionResult(ref=None)) == "<SessionResult ref=None>"


def test_every_public_name_has_a_docstring() -> None:
    for name in frames.__all__:
        assert getattr(frames, name).__doc__, name
