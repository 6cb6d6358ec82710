"""Pagination against servers that lie: ignored offsets, absurd totals, odd page shapes,
holes, deletions, rows sharing a ``sid``, capped totals, and the stop rule."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import anyio
import pytest

import smarterproctoring_async as sp

from ._helpers import connected, make_client, session_of
from ._server import (
    AI,
    ES,
    EX,
    Conn,
    Handler,
    RawServer,
    Request,
    answer,
    event,
    events_path,
    json_response,
    page,
    sid,
)

TRUE_TOTAL = -1  # serve_rows: send len(rows) as the total


def serve_rows(rows: list[dict[str, Any]], *, total: int | None = TRUE_TOTAL) -> Handler:
    """Honest paging over ``rows`` (offset and limit honoured), with the given total."""

    async def handle(request: Request, conn: Conn) -> None:
        start, size = request.offset, request.limit
        sent = len(rows) if total == TRUE_TOTAL else total
        await conn.send(json_response(page(rows[start : start + size], total=sent, offset=start)))

    return handle


def events(count: int) -> list[dict[str, Any]]:
    return [event(ES, n) for n in range(count)]


def list_requests(server: RawServer, path: str) -> list[Request]:
    return [r for r in server.requests if r.path == path]


# ------------------------------------------------------------------ 1a-1c: ignored offsets


@pytest.mark.parametrize(("total", "most"), [(None, 6), (10**9, 10)], ids=["no-total", "1e9"])
async def test_a_server_ignoring_offset_is_refused(total: int | None, most: int) -> None:
    first_page = json_response(page(events(10), total=total))
    async with connected(answer(first_page), max_requests=200) as (server, client):
        with anyio.fail_after(5), pytest.raises(sp.DecodeError):
            await session_of(client).events().collect()
    assert 1 <= len(server.requests) <= most


@pytest.mark.parametrize("total", [None, 10**9], ids=["no-total", "1e9"])
async def test_rows_without_identity_and_an_ignored_offset_are_refused(total: int | None) -> None:
    # Unscheduled learners have no sid of their own: nothing to recognise a repeat by.
    rows = [{"learnerSid": sid("US", n), "examSid": sid("EX", n)} for n in range(10)]
    async with (
        RawServer(answer(json_response(page(rows, total=total))), max_requests=200) as server,
        make_client(server.base_url) as client,
    ):
        with anyio.fail_after(5), pytest.raises(sp.DecodeError):
            await client.install(AI).reports.unscheduled_learners().collect()
    assert 1 <= len(server.requests) <= 10


# ------------------------------------------------------------------ 1d-1e: page shapes


@pytest.mark.parametrize(
    "bad_page",
    [
        {"total": 30, "offset": 10, "count": 10},
        {"total": 30, "offset": 10, "count": 10, "results": None},
        {"total": 30, "offset": 10, "count": 10, "items": [event(ES, n) for n in range(10, 20)]},
    ],
    ids=["no-results", "results-null", "items"],
)
async def test_a_page_without_results_is_a_decode_error_naming_path_and_offset(
    bad_page: dict[str, Any],
) -> None:
    rows = events(30)

    async def handle(request: Request, conn: Conn) -> None:
        if request.offset == 0:
            await conn.send(json_response(page(rows[:10], total=30)))
        else:
            await conn.send(json_response({**bad_page, "offset": request.offset}))

    async with connected(handle, max_requests=50) as (_server, client):
        with anyio.fail_after(5), pytest.raises(sp.DecodeError) as info:
            await session_of(client).events().collect()
    message = str(info.value)
    assert events_path() in message
    assert re.search(r"offset\D{0,3}10\b", message), message


async def test_a_bare_list_is_taken_whole_once() -> None:
    rows = events(25)
    async with connected(answer(json_response(rows)), max_requests=50) as (server, client):
        with anyio.fail_after(5):
            got = await session_of(client).events().collect()
    assert [e.sid for e in got] == [r["sid"] for r in rows]
    assert len(server.requests) == 1


# ------------------------------------------------------------------ 1f-1g: holes


async def test_one_transient_empty_page_is_read_again() -> None:
    rows = events(100)
    honest = serve_rows(rows)
    empty_sent = False

    async def handle(request: Request, conn: Conn) -> None:
        nonlocal empty_sent
        if request.offset == 30 and not empty_sent:
            empty_sent = True
            await conn.send(json_response(page([], total=100, offset=30)))
        else:
            await honest(request, conn)

    async with connected(handle, max_requests=100) as (_server, client):
        with anyio.fail_after(5):
            got = [e.sid async for e in session_of(client).events()]
    assert empty_sent
    assert got == [r["sid"] for r in rows]


async def test_a_persistent_hole_raises_incomplete_list_after_what_was_read() -> None:
    rows = events(100)
    honest = serve_rows(rows)

    async def handle(request: Request, conn: Conn) -> None:
        if request.offset >= 30:
            await conn.send(json_response(page([], total=100, offset=request.offset)))
        else:
            await honest(request, conn)

    got: list[str | None] = []

    async def read(client: sp.Client) -> None:
        async for item in session_of(client).events():
            got.append(item.sid)

    async with connected(handle, max_requests=100) as (server, client):
        with anyio.fail_after(5), pytest.raises(sp.IncompleteListError) as info:
            await read(client)
    assert got == [r["sid"] for r in rows[:30]]
    assert info.value.expected == 100
    assert info.value.received == 30
    assert info.value.path == events_path()
    assert isinstance(info.value, sp.SmarterProctoringError)
    assert len(server.requests) <= 20


# ------------------------------------------------------------------ 1h: deletions


async def test_deletions_before_the_reader_lose_no_record() -> None:
    rows = events(100)
    deleted = rows[10:15]
    answered: set[int] = set()

    async def handle(request: Request, conn: Conn) -> None:
        start, size = request.offset, request.limit
        await conn.send(
            json_response(page(rows[start : start + size], total=len(rows), offset=start))
        )
        answered.add(start)
        if {0, 10, 20} <= answered and len(rows) == 100:
            del rows[10:15]  # five records the reader has already passed

    async with connected(handle, max_requests=100) as (_server, client):
        with anyio.fail_after(5):
            got = [e.sid async for e in session_of(client).events()]
    assert len(rows) == 95
    counts = Counter(got)
    assert max(counts.values()) == 1, [s for s, n in counts.items() if n > 1]
    missing = [r["sid"] for r in rows if r["sid"] not in counts]
    assert missing == []
    assert set(got) <= {r["sid"] for r in rows} | {r["sid"] for r in deleted}


# ------------------------------------------------------------------ 1i-1j: shared sids, capping


@pytest.mark.parametrize("listing", ["session_events_report", "exam_events"])
async def test_rows_carrying_the_session_sid_are_all_delivered(listing: str) -> None:
    sessions = [sid("ES", k + 1) for k in range(5)]
    rows = [
        {
            "sid": sessions[n % 5],
            "eventSid": sid("ER", n + 1),
            "subject": f"row {n}",
            "installSid": AI,
            "examSid": EX,
            "sessionSid": sessions[n % 5],
        }
        for n in range(150)
    ]
    async with connected(serve_rows(rows), max_requests=100) as (_server, client):
        install = client.install(AI)
        pager = (
            install.reports.session_events()
            if listing == "session_events_report"
            else install.exam(EX).events()
        )
        with anyio.fail_after(5):
            got = await pager.collect()
    assert [r.to_dict()["eventSid"] for r in got] == [r["eventSid"] for r in rows]


async def test_a_capped_total_does_not_hide_records() -> None:
    rows = events(150)
    async with connected(serve_rows(rows, total=100), max_requests=100) as (_server, client):
        with anyio.fail_after(5):
            got = [e.sid async for e in session_of(client).events()]
    assert got == [r["sid"] for r in rows]


# ------------------------------------------------------------------ 1k: the stop rule


@pytest.mark.parametrize(("count", "requests"), [(95, 10), (100, 11)])
async def test_stop_rule_one_confirming_request_only_after_a_full_last_page(
    count: int, requests: int
) -> None:
    rows = events(count)
    async with connected(serve_rows(rows), max_requests=100) as (server, client):
        with anyio.fail_after(5):
            got = [e.sid async for e in session_of(client).events()]
    assert got == [r["sid"] for r in rows]
    offsets = sorted(r.offset for r in list_requests(server, events_path()))
    assert len(offsets) == requests, offsets


async def test_a_page_holding_more_than_its_total_is_read_past() -> None:
    # Pages capped at 5 (fewer than asked) under a total of 3: the total cannot say
    # where the list ends, so the reading goes on to an empty page.
    rows = events(30)

    async def handle(request: Request, conn: Conn) -> None:
        start = request.offset
        shown = rows[start : start + min(request.limit, 5)]
        await conn.send(json_response(page(shown, total=3, offset=start)))

    async with connected(handle, max_requests=100) as (_server, client):
        with anyio.fail_after(10):
            got = await session_of(client).events().collect()
    assert [e.sid for e in got] == [r["sid"] for r in rows]


async def test_a_server_sending_everything_under_a_smaller_total_ends_on_the_repeat() -> None:
    # Read past its total of 10, the next page is the same 20 records: nothing new, so
    # the list ends with the 20 (not a "first page again at every offset" error).
    rows = events(20)
    answer_all = answer(json_response(page(rows, total=10)))
    async with connected(answer_all, max_requests=20) as (server, client):
        with anyio.fail_after(10):
            got = await session_of(client).events().collect()
    assert [e.sid for e in got] == [r["sid"] for r in rows]
    assert len(list_requests(server, events_path())) == 2
