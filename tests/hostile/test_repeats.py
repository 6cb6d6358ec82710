"""Records that repeat a SID: only the record delivered before may be dropped quietly.

Offset paging shifts records when the server inserts while we read, so a record named
by its own SID (``ER…``) may come twice: the second copy is dropped. A record under a
SID already delivered but with other content is something else (a server bug, an edit
between two reads): it is never dropped silently. It is said in a WARNING naming the
SID, and it does not count as delivered, so the list comes up short (an
``IncompleteListError`` by default).
"""

from __future__ import annotations

import logging
from typing import Any

import anyio
import pytest

import smarterproctoring_async as sp
from smarterproctoring_async import _walk

from ._helpers import connected, session_of, warnings
from ._server import ES, Conn, Handler, Request, event, json_response, page

SAID = "repeat the sid of one delivered before"


def serving(rows: list[dict[str, Any]]) -> Handler:
    """Honest pages of ``rows`` (repeats and all), under the true total."""

    async def handle(request: Request, conn: Conn) -> None:
        start, size = request.offset, request.limit
        chunk = rows[start : start + size]
        await conn.send(json_response(page(chunk, total=len(rows), offset=start)))

    return handle


def said(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [line for line in warnings(caplog) if SAID in line]


def with_other_content(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "subject": "the same sid, other content"}


@pytest.mark.parametrize("where", [3, 12], ids=["same-page", "next-page"])
async def test_a_sid_repeated_with_other_content_is_said_and_the_list_is_short(
    where: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "smarterproctoring_async")
    rows = [event(ES, n) for n in range(20)]
    rows.insert(where, with_other_content(rows[1]))
    async with connected(serving(rows)) as (_server, client):
        with anyio.fail_after(5), pytest.raises(sp.IncompleteListError):
            await session_of(client).events().collect()
        (line,) = said(caplog)
        assert rows[1]["sid"] in line and f"offset {where}" in line
        caplog.clear()
        lenient = client.with_options(on_short_list="warn")
        with anyio.fail_after(5):
            got = await session_of(lenient).events().collect()
    # The first copy is the one delivered; the other is gone, and not quietly.
    assert [e.to_dict() for e in got] == rows[:where] + rows[where + 1 :]
    assert len(said(caplog)) == 1


async def test_an_exact_repeat_is_dropped_quietly(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "smarterproctoring_async")
    rows = [event(ES, n) for n in range(20)]
    rows.insert(3, dict(rows[1]))  # a twin inside its page: data, which the total counts
    async with connected(serving(rows)) as (_server, client):
        with anyio.fail_after(5):
            got = await session_of(client).events().collect()
    assert [e.to_dict() for e in got] == rows[:3] + rows[4:]
    assert said(caplog) == []


async def test_a_repeat_too_long_after_its_first_copy_to_compare_is_said(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_walk, "COPY_WINDOW", 5)  # copies of the 5 newest records only
    caplog.set_level(logging.WARNING, "smarterproctoring_async")
    rows = [event(ES, n) for n in range(30)]
    rows.append(dict(rows[0]))  # the same record, but 30 records later
    async with connected(serving(rows)) as (_server, client):
        lenient = client.with_options(on_short_list="warn")
        with anyio.fail_after(5):
            got = await session_of(lenient).events().collect()
    assert [e.to_dict() for e in got] == rows[:30]
    (line,) = said(caplog)
    assert rows[0]["sid"] in line and "offset 30" in line
