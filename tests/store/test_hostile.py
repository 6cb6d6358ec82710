"""Hostile server values: the wire keeps them exactly; typed columns hold what they can."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from math import inf

import attrs

import smarterproctoring_async as sp
from smarterproctoring_async._json import decode_body
from smarterproctoring_async.models import decoder

from ._sql import dialect, query

LONE = "\ud800"
NASTY = f"Clo{LONE}sed\x00 \x1b[2J\x07\r\n\u202e\t"
FORMULA = '=HYPERLINK("http://x","y")'
HUGE = 2**70


def hostile(result: sp.SessionResult) -> sp.SessionResult:
    assert result.session is not None
    session = decoder(sp.ExamSession)({
        **result.session.to_dict(),
        "status": NASTY,
        "sessionType": FORMULA,
        "enrollmentSid": "+SUM(A1)",
        "sessionReportCount": HUGE,
        "appointmentDate": "0001-01-01T00:00:00+14:00",  # before year 1 once in UTC
        "reviewCompletedDate": "2024-02-29T23:30:00-05:00",
        "notes": "-2+3",
        "deep": {"k\x00": [LONE, "\udfff\ud800", -HUGE, 1.5e308, "@cmd", None]},
    })  # fmt: skip
    event = decoder(sp.EventReport)({
        "sid": f"ER{LONE}", "subject": f"@SUM\x00{LONE}", "status": "\x1b]0;title\x07",
        "draft": True, "eventTime": "2024-01-01T12:00:00+02:00", "extraCount": HUGE,
    })  # fmt: skip
    note = decoder(sp.Annotation)({
        "sid": "AN\x00", "title": FORMULA, "sessionTime": 10**400, "severity": LONE,
        "metadata": {"a": [LONE, "\x00"]},
    })  # fmt: skip
    return attrs.evolve(result, session=session, events=(event,), annotations=(note,))


def refuse(constant: str) -> object:
    raise ValueError(f"not JSON: {constant}")


def typed(text: str, store_url: str) -> str:
    """What a typed text column holds: lone surrogates (and NUL on PostgreSQL) -> U+FFFD."""
    out = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)
    return out.replace("\x00", "\ufffd") if dialect(store_url) == "postgresql" else out


async def test_hostile_values_are_kept_exactly_in_the_wire(
    store: sp.Store, store_url: str, results: list[sp.SessionResult]
) -> None:
    result = hostile(results[0])
    await store.save(result, version="v", run_id=1)

    [session] = [row async for row in store.rows("sessions")]
    assert result.session is not None
    assert json.loads(session["wire"]) == result.session.to_dict()
    assert json.loads(session["wire"])["deep"]["k\x00"][1] == "\udfff\ud800"
    assert session["wire"].isascii()
    assert session["status"] == typed(NASTY, store_url)
    assert session["session_type"] == FORMULA and session["enrollment_sid"] == "+SUM(A1)"
    assert session["session_report_count"] is None  # beyond 64 bits: NULL, exact in wire
    assert json.loads(session["wire"])["sessionReportCount"] == HUGE
    assert session["appointment_date"] is None
    assert session["review_completed_date"] == datetime(2024, 3, 1, 4, 30, tzinfo=timezone.utc)

    [event] = [row async for row in store.rows("events")]
    assert json.loads(event["wire"]) == result.events[0].to_dict()  # type: ignore[index]
    assert event["subject"] == typed(f"@SUM\x00{LONE}", store_url)
    assert event["sid"] == typed(f"ER{LONE}", store_url)
    assert event["status"] == "\x1b]0;title\x07"
    assert event["event_time"] == datetime(2024, 1, 1, 10, 0, tzinfo=timezone.utc)
    assert event["draft"] is True

    [note] = [row async for row in store.rows("annotations")]
    assert json.loads(note["wire"]) == result.annotations[0].to_dict()  # type: ignore[index]
    assert note["title"] == FORMULA and note["session_time"] is None
    assert note["severity"] == "\ufffd" and note["sid"] == typed("AN\x00", store_url)

    # Straight from the database too, not only through the store's reading code.
    [(wire,)] = query(store_url, "SELECT wire FROM events")
    assert json.loads(wire)["subject"] == f"@SUM\x00{LONE}"


async def test_big_integers_and_odd_numbers_in_typed_columns(
    store: sp.Store, results: list[sp.SessionResult]
) -> None:
    result = results[0]
    assert result.session is not None
    for count, expected in ((2**63 - 1, 2**63 - 1), (-(2**63), -(2**63)), (2**63, None)):
        session = decoder(sp.ExamSession)({**result.session.to_dict(), "sessionReportCount": count})
        await store.save(attrs.evolve(result, session=session), version="v", run_id=1)
        [row] = [row async for row in store.rows("sessions")]
        assert row["session_report_count"] == expected
        assert json.loads(row["wire"])["sessionReportCount"] == count


async def test_a_number_beyond_a_double_stays_json_in_the_wire(
    store: sp.Store, store_url: str, results: list[sp.SessionResult]
) -> None:
    body = b'{"sid": "ER' + b"e" * 32 + b'", "score": 1e400, "low": -2E+999, "text": "Infinity"}'
    event = decoder(sp.EventReport)(decode_body(body))
    await store.save(attrs.evolve(results[0], events=(event,)), version="v", run_id=1)
    [wire] = [row["wire"] async for row in store.rows("events")]
    assert '"score":1e400' in wire and '"low":-2E+999' in wire and '"text":"Infinity"' in wire
    # JSON to the database's own parser (``Infinity`` is not), and to a strict reader.
    check = "wire::jsonb IS NOT NULL" if dialect(store_url) == "postgresql" else "json_valid(wire)"
    assert query(store_url, f"SELECT count(*) FROM events WHERE {check}") == [(1,)]
    assert json.loads(wire, parse_constant=refuse) == {**event.to_dict(), "score": inf, "low": -inf}
