"""Paginator.with_options(max_items=, start_offset=) and next_offset: bounded lists and
resumed ones, with no request beyond the pages needed."""

from __future__ import annotations

import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeAPI

from ..conftest import MakeClient, busiest, handle
from ..hostile._helpers import connected, session_of
from ..hostile._server import (
    ES,
    Conn,
    Handler,
    MiniAPI,
    Request,
    answer,
    event,
    events_path,
    json_response,
    page,
)


def offsets(fake: FakeAPI) -> list[int]:
    return [int(dict(r.query).get("offset", "0")) for r in fake.requests]


def limits(fake: FakeAPI) -> list[int]:
    return [int(dict(r.query)["limit"]) for r in fake.requests]


async def test_max_items_stops_after_the_pages_it_needs(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    s = busiest(fake)
    client = make_client(page_size=5)
    everything = await handle(client, s).events().collect()
    assert len(everything) > 20
    fake.requests.clear()
    listing = handle(client, s).events().with_options(max_items=7)
    assert await listing.collect() == everything[:7]
    assert offsets(fake) == [0, 5]  # no page read ahead past the seventh record
    assert limits(fake) == [5, 2]  # and the last page asks only for what is wanted
    assert listing.next_offset == 7


async def test_a_list_read_in_parts_is_the_whole_list(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    s = busiest(fake)
    client = make_client(page_size=4)
    everything = await handle(client, s).events().collect()
    parts: list[sp.EventReport] = []
    resume: int | None = 0
    rounds = 0
    while resume is not None:
        part = handle(client, s).events().with_options(max_items=6, start_offset=resume)
        parts += await part.collect()
        resume, rounds = part.next_offset, rounds + 1
    assert parts == everything
    assert rounds == -(-len(everything) // 6)  # the last part ends the list itself


async def test_next_offset_after_a_consumer_stops_after_a_page(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    client = make_client(page_size=5)
    listing = handle(client, busiest(fake)).events()
    async for first in listing.pages():
        assert len(first.items) == 5
        break
    assert listing.next_offset == 5
    rest = await listing.with_options(start_offset=5).collect()
    assert rest == (await listing.collect())[5:]
    assert listing.next_offset is None  # read to its end


async def test_a_start_past_the_end_is_an_empty_list(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    client = make_client(page_size=5)
    listing = handle(client, busiest(fake)).events().with_options(start_offset=10_000)
    assert await listing.collect() == []
    assert listing.next_offset is None and listing.incomplete is None


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"max_items": 0}, ValueError),
        ({"max_items": -1}, ValueError),
        ({"max_items": "5"}, TypeError),
        ({"max_items": True}, TypeError),
        ({"max_items": 2.0}, TypeError),
        ({"start_offset": -1}, ValueError),
        ({"start_offset": None, "max_items": None}, None),
        ({"start_offset": "0"}, TypeError),
    ],
)
async def test_bad_options_are_refused_before_any_request(
    fake: FakeAPI, make_client: MakeClient, options: dict[str, object], error: type | None
) -> None:
    listing = handle(make_client(), busiest(fake)).events()
    if error is None:
        listing.with_options(**options)  # type: ignore[arg-type]
    else:
        with pytest.raises(error):
            listing.with_options(**options)  # type: ignore[arg-type]
    assert fake.requests == []


async def test_the_original_paginator_is_unchanged(fake: FakeAPI, make_client: MakeClient) -> None:
    listing = handle(make_client(page_size=5), busiest(fake)).events()
    few = listing.with_options(max_items=2)
    assert len(await few.collect()) == 2
    assert len(await listing.collect()) > 2


async def test_max_items_against_another_server() -> None:
    async with connected(MiniAPI({ES: 40}), page_size=10) as (server, client):
        events = await session_of(client).events().with_options(max_items=15).collect()
        asked = [(r.offset, r.limit) for r in server.requests if r.path == events_path()]
    assert len(events) == 15 and asked == [(0, 10), (10, 5)]


async def test_max_items_with_a_server_sending_fewer_than_asked() -> None:
    rows = [event(ES, n) for n in range(40)]

    async def capped(request: Request, conn: Conn) -> None:
        start = request.offset
        sent = rows[start : start + min(request.limit, 4)]  # at most 4 a page
        await conn.send(json_response(page(sent, total=len(rows), offset=start)))

    async with connected(capped, page_size=50) as (server, client):
        events = await session_of(client).events().with_options(max_items=10).collect()
        asked = [(r.offset, r.limit) for r in server.requests if r.path == events_path()]
    assert [e.sid for e in events] == [r["sid"] for r in rows[:10]]
    assert asked == [(0, 10), (4, 6), (8, 2)]


async def test_a_list_answered_whole_is_cut_and_resumed_the_same_way() -> None:
    rows = [event(ES, n) for n in range(5)]

    def whole(request: Request) -> Handler | None:
        return answer(json_response(rows)) if request.path == events_path() else None

    async with connected(MiniAPI({ES: 5}, fault=whole), page_size=10) as (_, client):
        part = session_of(client).events().with_options(start_offset=2, max_items=2)
        got = await part.collect()
        rest = session_of(client).events().with_options(start_offset=part.next_offset)
        after = await rest.collect()
        everything = await session_of(client).events().collect()
    assert got == everything[2:4] and part.next_offset == 4
    assert after == everything[4:] and rest.next_offset is None
