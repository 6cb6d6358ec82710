"""Where the API's framework is loose, against the hostile server: counts sent as digit
strings, values that fit no rule, and ``results`` grouped by date on a groupBy route.

Lenient where the framework is loose, loud everywhere else: an odd value is kept in
``extra`` and never fails a page; an object of groups on a route that takes no
``groupBy`` is a DecodeError naming the path.
"""

from __future__ import annotations

import math
import pickle
from typing import Any

import anyio
import pytest

import smarterproctoring_async as sp
from smarterproctoring_async import _json

from ._helpers import connected
from ._server import AI, EX, Conn, Request, json_response, page, response, sid

APPOINTMENTS = f"/v1/installs/{AI}/reports/appointments"
EXAMS_BY_WEEK = f"/v1/installs/{AI}/examsByWeek"
EXAM_VOLUME = f"/v1/installs/{AI}/examVolume"


def appointment(n: int, **fields: Any) -> dict[str, Any]:
    """An appointments-report row as the server writes it."""
    return {"sid": sid("ES", n), "installSid": AI, "examSid": sid("EX", 1), **fields}


def weeks(count: int) -> list[tuple[str, dict[str, Any]]]:
    """``count`` exam rows, three per opening date, each with its date."""
    return [
        (f"2018-09-{10 + n // 3:02d}", {"examSid": sid("EX", n), "sessionCount": str(n)})
        for n in range(count)
    ]


def grouped_page(rows: list[tuple[str, dict[str, Any]]], offset: int, total: int) -> dict[str, Any]:
    """A page of the maker's date-wise template: ``results`` keyed by date, ``count`` the
    dates of the page, ``total`` the rows (an uncast SQL count: a string)."""
    results: dict[str, list[dict[str, Any]]] = {}
    for key, row in rows:
        results.setdefault(key, []).append(row)
    return {"total": str(total), "count": len(results), "offset": offset, "results": results}


async def test_a_count_sent_as_digits_is_a_number_and_an_odd_one_does_not_fail_the_page() -> None:
    rows = [
        appointment(1, sessionReportCount="3"),
        appointment(2, sessionReportCount="abc", reviewRequired="maybe"),
        appointment(3, sessionReportCount=4, exam={"sid": sid("EX", 1), "totalSessions": "12"}),
    ]

    async def handler(request: Request, conn: Conn) -> None:
        assert request.path == APPOINTMENTS
        body = page(rows[request.offset : request.offset + request.limit], total="3")
        await conn.send(json_response(body))

    async with connected(handler) as (_server, client):
        with anyio.fail_after(5):
            got = await client.install(AI).reports.appointments().collect()
    assert [a.session_report_count for a in got] == [3, None, 4]
    assert got[1].extra == {"sessionReportCount": "abc", "reviewRequired": "maybe"}
    assert got[1].review_required is None
    assert got[2].exam is not None and got[2].exam.total_sessions == 12
    assert [a.to_dict() for a in got] == rows  # as sent, strings and all


async def test_a_grouped_exams_by_week_is_read_row_by_row_across_pages() -> None:
    rows = weeks(13)

    async def handler(request: Request, conn: Conn) -> None:
        assert request.path == EXAMS_BY_WEEK
        taken = rows[request.offset : request.offset + request.limit]
        await conn.send(json_response(grouped_page(taken, request.offset, len(rows))))

    async with connected(handler, page_size=5) as (server, client):
        with anyio.fail_after(5):
            got = await client.install(AI).reports.exams_by_week(group_by="examCloseDate").collect()
    assert [r.to_dict() for r in got] == [row for _, row in rows]
    assert [r.group_key for r in got] == [key for key, _ in rows]
    assert all(r.install_sid == AI for r in got)
    # Offsets count rows, not dates: 0, 5, 10 (then 13 rows, the total, are read).
    assert sorted(r.offset for r in server.requests) == [0, 5, 10]
    assert {r.query["groupBy"] for r in server.requests} == {"examCloseDate"}


async def test_a_plain_exams_by_week_list_reads_as_before() -> None:
    rows = [row for _, row in weeks(7)]

    async def handler(request: Request, conn: Conn) -> None:
        taken = rows[request.offset : request.offset + request.limit]
        await conn.send(json_response(page(taken, total=len(rows), offset=request.offset)))

    async with connected(handler, page_size=5) as (_server, client):
        with anyio.fail_after(5):
            got = await client.install(AI).reports.exams_by_week().collect()
    assert [r.to_dict() for r in got] == rows
    assert {r.group_key for r in got} == {None}


@pytest.mark.parametrize(
    ("path", "call"),
    [
        (APPOINTMENTS, lambda reports: reports.appointments()),
        (EXAM_VOLUME, lambda reports: reports.exam_volume()),
    ],
    ids=["appointments", "examVolume"],
)
async def test_an_object_of_groups_on_a_route_without_group_by_is_an_error_naming_it(
    path: str, call: Any
) -> None:
    async def handler(request: Request, conn: Conn) -> None:
        body = {"total": "1", "count": 1, "results": {"2018-09-26": [appointment(1)]}}
        await conn.send(json_response(body))

    async with connected(handler) as (server, client):
        with anyio.fail_after(5), pytest.raises(sp.DecodeError) as caught:
            await call(client.install(AI).reports).collect()
    message = str(caught.value)
    assert f"GET {path}" in message and "takes no groupBy" in message
    assert len(server.requests) == 1  # a shape error is not retried


async def test_a_grouped_page_whose_group_is_not_a_list_names_the_path_and_group() -> None:
    async def handler(request: Request, conn: Conn) -> None:
        body = {"total": "2", "results": {"2018-09-26": {"examSid": sid("EX", 1)}}}
        await conn.send(json_response(body))

    async with connected(handler) as (_server, client):
        with anyio.fail_after(5), pytest.raises(sp.DecodeError) as caught:
            await client.install(AI).reports.exams_by_week().collect()
    assert f"GET {EXAMS_BY_WEEK}" in str(caught.value)
    assert "group '2018-09-26' of 'results' is dict" in str(caught.value)


async def test_an_escaped_lone_surrogate_reaches_the_record_as_sent() -> None:
    # Valid JSON that orjson (the fast extra) refuses: read by the standard library.
    rows = [appointment(1, notes="a\ud800b", reviewRequired=True)]

    async def handler(request: Request, conn: Conn) -> None:
        await conn.send(json_response(page(rows[request.offset :], total=1)))

    async with connected(handler) as (_server, client):
        with anyio.fail_after(5):
            got = await client.install(AI).reports.appointments().collect()
    assert [a.to_dict() for a in got] == rows
    assert got[0].extra["notes"] == "a\ud800b"


async def test_integers_beyond_64_bits_reach_the_record_exactly() -> None:
    # orjson (the fast extra) turns them into floats: such a body is read by the
    # standard library instead, so the wire form keeps every digit.
    huge = 2**64
    rows = [
        appointment(1, sessionReportCount=huge, deep={"n": [-(2**70), 10**30, 1.5]}),
        appointment(2, sessionReportCount=3, phone="12345678901234567890123"),
    ]

    async def handler(request: Request, conn: Conn) -> None:
        await conn.send(json_response(page(rows[request.offset :], total=2)))

    async with connected(handler) as (_server, client):
        with anyio.fail_after(5):
            got = await client.install(AI).reports.appointments().collect()
    assert [a.to_dict() for a in got] == rows
    deep: Any = got[0].to_dict()["deep"]
    assert type(deep["n"][1]) is int


async def test_the_details_take_the_sids_of_their_path_only_where_the_record_has_none() -> None:
    other = sid("EX", 9)
    bodies = {
        sid("ES", 1): {"sid": sid("ES", 1), "status": "Closed"},  # no SIDs of the path
        sid("ES", 2): {"sid": sid("ES", 2), "installSid": None, "examSid": other},
        sid("ES", 3): {"sid": sid("ES", 3), "installSid": {"sid": AI}, "examSid": EX},
    }

    async def handler(request: Request, conn: Conn) -> None:
        await conn.send(json_response(bodies[request.path.rsplit("/", 1)[1]]))

    async with connected(handler) as (_server, client):
        exam = client.install(AI).exam(EX)
        with anyio.fail_after(5):
            got = [await exam.session(es).get() for es in bodies]
            bulk = await client.gather_session_results(
                [sp.SessionRef(AI, EX, es) for es in bodies], events=False, annotations=False
            )
    assert [(s.install_sid, s.exam_sid) for s in got] == [(AI, EX), (AI, other), (AI, EX)]
    assert [r.session for r in bulk] == got
    # Filled from the path, yet the record stays as sent; the odd shape is kept in extra.
    assert [s.to_dict() for s in got] == list(bodies.values())
    assert got[2].extra == {"installSid": {"sid": AI}}


@pytest.mark.parametrize("fast", [True, False], ids=["msgspec", "standard-library"])
async def test_a_number_beyond_a_double_keeps_its_text(
    fast: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not fast:
        monkeypatch.setattr(_json, "_loads", _json.standard_json)  # the core install's decoder
    body = b'{"sid": "ES' + b"1" * 32 + b'", "status": "Closed", "score": -1e400, "z": 2.5}'

    async def handler(request: Request, conn: Conn) -> None:
        await conn.send(response(200, body, content_type="application/json"))

    async with connected(handler) as (_server, client):
        with anyio.fail_after(5):
            got = await client.install(AI).exam(EX).session("ES" + "1" * 32).get()
    score = got.extra["score"]
    assert score == -math.inf and isinstance(score, _json.HugeNumber) and score.text == "-1e400"
    assert type(got.extra["z"]) is float
    again = pickle.loads(pickle.dumps(got))
    assert again == got and again.extra["score"].text == "-1e400"
    assert all(pickle.loads(pickle.dumps(score, n)).text == "-1e400" for n in range(6))
