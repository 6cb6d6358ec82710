"""Totals that lie and orders that shift: a short list is never silent.

The API counts ``total`` with its own COUNT query (which can count rows the page
query never returns) and sorts with no unique tie-breaker, so tied rows can swap
across a page boundary between two requests. Either way fewer records arrive than
announced: an ``IncompleteListError`` by default, one WARNING (counted, and marked on
the paginator) with ``on_short_list="warn"``.
"""

from __future__ import annotations

import logging
from typing import Any

import anyio
import pytest

import smarterproctoring_async as sp

from ._helpers import TOKEN, connected, session_of, warnings
from ._server import ES, Conn, Handler, Request, event, json_response, page

EVENTS = "/v1/installs/{installSid}/exams/{examSid}/sessions/{sessionSid}/events"


def rows(count: int) -> list[dict[str, Any]]:
    return [event(ES, n) for n in range(count)]


def overcounting(real: list[dict[str, Any]], extra: int) -> Handler:
    """Honest pages of ``real``, under a total that counts ``extra`` rows more."""

    async def handle(request: Request, conn: Conn) -> None:
        start, size = request.offset, request.limit
        chunk = real[start : start + size]
        await conn.send(json_response(page(chunk, total=len(real) + extra, offset=start)))

    return handle


def swapping(real: list[dict[str, Any]]) -> Handler:
    """A stable total, and an order whose tie at each page boundary flips per query.

    The page at offset ``o`` is read from an order where rows ``o - 1`` and ``o``
    swapped places (tied on a ``createdDate`` stored to the second): it starts with
    the row the previous page ended with, and row ``o`` is sent by no page at all.
    """

    async def handle(request: Request, conn: Conn) -> None:
        start, size = request.offset, request.limit
        order = list(real)
        if 0 < start < len(order):
            order[start - 1], order[start] = order[start], order[start - 1]
        chunk = order[start : start + size]
        await conn.send(json_response(page(chunk, total=len(real), offset=start)))

    return handle


def sids(items: list[Any]) -> list[str | None]:
    return [item.sid for item in items]


async def read_into(got: list[Any], client: sp.Client) -> None:
    """Every record of the session's events, appended as it comes (kept on an error)."""
    async for item in session_of(client).events():
        got.append(item)


# ------------------------------------------------------------------ a COUNT that overcounts


@pytest.mark.parametrize("page_size", [10, "auto"])
async def test_an_overcounted_total_raises_after_every_real_row(page_size: int | str) -> None:
    real = rows(23)
    got: list[Any] = []
    async with connected(overcounting(real, 3), max_requests=50, page_size=page_size) as (
        _server,
        client,
    ):
        with anyio.fail_after(5), pytest.raises(sp.IncompleteListError) as info:
            await read_into(got, client)
    assert sids(got) == [r["sid"] for r in real]
    assert (info.value.expected, info.value.received) == (26, 23)
    message = str(info.value)
    assert "26" in message and "23" in message and "on_short_list='warn'" in message
    assert client.stats.short_lists == 0


@pytest.mark.parametrize("page_size", [10, "auto"])
async def test_an_overcounted_total_with_warn_delivers_every_row_and_says_so_once(
    page_size: int | str, caplog: pytest.LogCaptureFixture
) -> None:
    real = rows(23)
    caplog.set_level(logging.DEBUG, "smarterproctoring_async")
    async with connected(
        overcounting(real, 3), max_requests=50, page_size=page_size, on_short_list="warn"
    ) as (_server, client):
        pager = session_of(client).events()
        with anyio.fail_after(5):
            got = await pager.collect()
    assert sids(got) == [r["sid"] for r in real]
    (line,) = warnings(caplog)
    assert line.startswith(f"GET {EVENTS}: ") and "26" in line and "23" in line
    assert ES not in line and TOKEN not in line
    assert client.stats.short_lists == 1
    assert client.stats.endpoints[EVENTS].short_lists == 1
    assert client.stats.as_dict()["short_lists"] == 1
    assert isinstance(pager.incomplete, sp.IncompleteListError)
    assert (pager.incomplete.expected, pager.incomplete.received) == (26, 23)


async def test_a_view_may_warn_while_its_client_raises(caplog: pytest.LogCaptureFixture) -> None:
    real = rows(23)
    async with connected(overcounting(real, 3), max_requests=50) as (_server, client):
        view = client.with_options(on_short_list="warn")
        with anyio.fail_after(5):
            assert len(await session_of(view).events().collect()) == 23
            with pytest.raises(sp.IncompleteListError):
                await session_of(client).events().collect()
    assert len(warnings(caplog)) == 1
    assert client.stats.short_lists == 1  # the view counts into its client's stats


# ------------------------------------------------------------------ rows swapping at boundaries


# 30 rows end with a confirming empty page, 25 with a short last page: both ends check.
@pytest.mark.parametrize("count", [30, 25])
async def test_rows_swapping_across_page_boundaries_raise_by_default(count: int) -> None:
    real = rows(count)
    got: list[Any] = []
    async with connected(swapping(real), max_requests=50) as (_server, client):
        with anyio.fail_after(5), pytest.raises(sp.IncompleteListError) as info:
            await read_into(got, client)
    # Rows 10 and 20 were never sent; rows 9 and 19 were sent twice and delivered once.
    lost = {real[10]["sid"], real[20]["sid"]}
    assert sids(got) == [r["sid"] for r in real if r["sid"] not in lost]
    assert (info.value.expected, info.value.received) == (count, count - 2)
    assert "on_short_list='warn'" in str(info.value)


@pytest.mark.parametrize("count", [30, 25])
async def test_rows_swapping_with_warn_are_delivered_and_reported(
    count: int, caplog: pytest.LogCaptureFixture
) -> None:
    real = rows(count)
    async with connected(swapping(real), max_requests=50, on_short_list="warn") as (
        _server,
        client,
    ):
        pager = session_of(client).events()
        with anyio.fail_after(5):
            got = await pager.collect()
    assert len(got) == len(set(sids(got))) == count - 2
    (line,) = warnings(caplog)
    assert line.startswith(f"GET {EVENTS}: ") and f" {count} " in line and f" {count - 2};" in line
    assert ES not in line
    assert client.stats.short_lists == 1
    assert pager.incomplete is not None
    assert (pager.incomplete.expected, pager.incomplete.received) == (count, count - 2)


async def test_an_honest_list_is_not_short(caplog: pytest.LogCaptureFixture) -> None:
    real = rows(30)
    async with connected(overcounting(real, 0), max_requests=50, on_short_list="warn") as (
        _server,
        client,
    ):
        pager = session_of(client).events()
        with anyio.fail_after(5):
            assert len(await pager.collect()) == 30
    assert warnings(caplog) == []
    assert pager.incomplete is None and client.stats.short_lists == 0


def growing(real: list[dict[str, Any]], added: int) -> Handler:
    """Honest pages of ``real``; once the first page is read, ``added`` records are
    inserted at the head (the list grows ahead of the reader), or, when ``added`` is
    negative, as many are deleted from the 16th on (it shrinks, ahead of the reader)."""

    async def handle(request: Request, conn: Conn) -> None:
        start, size = request.offset, request.limit
        head = [event(ES, 1000 + n) for n in range(added)]
        now = real if start == 0 else head + real[:15] + real[15 + max(0, -added) :]
        chunk = now[start : start + size]
        await conn.send(json_response(page(chunk, total=len(now), offset=start)))

    return handle


@pytest.mark.parametrize("added", [0, 3, -3])
async def test_a_list_growing_ahead_of_the_reader_says_what_it_could_not_deliver(
    added: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "smarterproctoring_async")
    real = rows(25)
    async with connected(growing(real, added), page_size=10) as (_server, client):
        with anyio.fail_after(5):
            got = await session_of(client).events().collect()
            first = await session_of(client).events().with_options(max_items=12).collect()
    gone = real[15 : 15 - added] if added < 0 else []
    assert sids(got) == [r["sid"] for r in real if r not in gone]  # every one still there
    assert len(first) == 12
    lines = warnings(caplog)
    if added > 0:  # the full read, not the one that stopped at 12 on purpose
        (line,) = lines
        assert "grew from 25 to 28" in line and "3 of them were not delivered" in line
    else:
        assert lines == []  # nothing added: nothing to say (a shrink is no growth)
