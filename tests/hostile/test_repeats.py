"""Records that repeat a SID: only the same record twice in one page counts as data.

Offset paging shifts records when the server inserts while we read, so a record named
by its own SID (``ER…``) may come again on the next page (edited or not in between): the
second copy is dropped quietly, as a shift. Inside one page there is no shift: two
records under one SID are data when they are one record twice (the total counts both),
and an error of the server's when they differ: one WARNING names the SID, and the second
counts as missing, so the list comes up short (an ``IncompleteListError`` by default).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import anyio
import pytest

import smarterproctoring_async as sp

from ._helpers import connected, session_of, warnings
from ._server import ES, Conn, Handler, Request, event, json_response, page, response

SAID = "repeat the sid of another record of the same page"


class HugeText:
    """A JSON number written as its text: ``json.dumps`` cannot write ``1e400`` itself."""

    def __init__(self, text: str) -> None:
        self.text = text


def answer_json(value: Any) -> bytes:
    """A 200 with ``value`` as JSON, each HugeText written as its number."""
    text = json.dumps(value, default=lambda huge: f"<{huge.text}>")
    return response(200, re.sub(r'"<([-+.eE0-9]+)>"', r"\1", text).encode())


def serving(rows: list[dict[str, Any]]) -> Handler:
    """Honest pages of ``rows`` (repeats and all), under the true total."""

    async def handle(request: Request, conn: Conn) -> None:
        start, size = request.offset, request.limit
        chunk = rows[start : start + size]
        await conn.send(answer_json(page(chunk, total=len(rows), offset=start)))

    return handle


def said(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [line for line in warnings(caplog) if SAID in line]


def with_other_content(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "subject": "the same sid, other content"}


@pytest.mark.parametrize(
    "other",
    [{"subject": "other content"}, {"draft": 1}, {"score": HugeText("7e999")}],
    ids=["other-text", "one-for-true", "other-huge-number"],
)
async def test_a_sid_twice_in_a_page_with_other_content_is_said_and_the_list_is_short(
    other: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "smarterproctoring_async")
    rows = [{**event(ES, n), "draft": True, "score": HugeText("1e400")} for n in range(20)]
    rows.insert(3, {**rows[1], **other})
    async with connected(serving(rows)) as (_server, client):
        with anyio.fail_after(5), pytest.raises(sp.IncompleteListError):
            await session_of(client).events().collect()
        (line,) = said(caplog)
        assert rows[1]["sid"] in line and "offset 3" in line
        caplog.clear()
        lenient = client.with_options(on_short_list="warn")
        with anyio.fail_after(5):
            got = await session_of(lenient).events().collect()
    # The first is the one delivered; the other is gone, and not quietly.
    assert [e.sid for e in got] == [r["sid"] for r in rows[:3] + rows[4:]]
    assert got[1].to_dict()["subject"] == rows[1]["subject"]
    assert len(said(caplog)) == 1


async def test_the_same_record_twice_in_a_page_is_dropped_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, "smarterproctoring_async")
    rows = [{**event(ES, n), "score": HugeText("1e400")} for n in range(20)]
    rows.insert(3, dict(reversed(rows[1].items())))  # a twin, its keys in another order
    async with connected(serving(rows)) as (_server, client):
        with anyio.fail_after(5):
            got = await session_of(client).events().collect()
    assert [e.sid for e in got] == [r["sid"] for r in rows[:3] + rows[4:]]
    assert said(caplog) == []


async def test_a_record_edited_between_two_pages_is_a_shift_not_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, "smarterproctoring_async")
    rows = [event(ES, n) for n in range(25)]
    edited = {**rows[9], "status": "Closed"}  # read again on the next page, edited

    async def handle(request: Request, conn: Conn) -> None:
        start, size = request.offset, request.limit
        # One record inserted at the head once the first page is read: the second page
        # starts with the first page's last record, edited meanwhile.
        now = rows if start == 0 else [event(ES, 99), *rows[:9], edited, *rows[10:]]
        chunk = now[start : start + size]
        await conn.send(json_response(page(chunk, total=len(now), offset=start)))

    async with connected(handle) as (_server, client):
        with anyio.fail_after(5):
            got = await session_of(client).events().collect()
    assert [e.to_dict() for e in got] == rows  # the first copy, every record once
    assert said(caplog) == []


async def test_a_deep_twin_is_compared_without_running_out_of_stack() -> None:
    deep: Any = "bottom"
    for _ in range(250):  # 500 levels: two stack frames each would not fit
        deep = {"k": [deep]}
    rows = [{**event(ES, n), "deep": deep if n == 1 else None} for n in range(5)]
    rows.insert(3, dict(rows[1]))  # the same deep record twice in its page
    async with connected(serving(rows)) as (_server, client):
        with anyio.fail_after(5):
            got = await session_of(client).events().collect()
    assert [e.sid for e in got] == [r["sid"] for r in rows[:3] + rows[4:]]
