"""Short lists without a network: the option, the bar a list is held to, and the order.

Against a server over HTTP: tests/hostile/test_counts_and_order.py.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from importlib import resources

import pytest

import smarterproctoring_async as sp
from smarterproctoring_async._pagination import Paginator
from smarterproctoring_async._protocol import Request
from smarterproctoring_async._walk import OnShortList
from smarterproctoring_async.models import JSONValue
from smarterproctoring_async.stats import ClientStats

Row = dict[str, JSONValue]
#: A server's answer to one page request: (rows, total), from offset, limit and the
#: number of the request.
Serve = Callable[[int, int, int], tuple[list[Row], int]]

ROUTE = "/v1/things/{thingSid}/rows"


def paginator(serve: Serve, on_short_list: OnShortList, stats: ClientStats) -> Paginator[Row]:
    asked = 0

    async def fetch(request: Request) -> JSONValue:
        nonlocal asked
        asked += 1
        query = dict(request.query)
        found, total = serve(int(query["offset"]), int(query["limit"]), asked)
        await asyncio.sleep(0)
        return {"results": list(found), "total": total}

    request = Request("GET", "/v1/things/TH1/rows", (), ROUTE)
    return Paginator(
        fetch,
        request,
        lambda raw: raw,  # type: ignore[arg-type,return-value]
        page_size=10,
        on_short_list=on_short_list,
        stats=stats,
    )


def honest(rows: list[Row], *, total: Callable[[int], int] | None = None) -> Serve:
    def serve(offset: int, limit: int, asked: int) -> tuple[list[Row], int]:
        return rows[offset : offset + limit], len(rows) if total is None else total(asked)

    return serve


def numbered(count: int) -> list[Row]:
    return [{"n": n} for n in range(count)]


@pytest.mark.parametrize("bad", ["ignore", "RAISE", "", None, 1, True])
def test_a_bad_on_short_list_is_refused_at_once(bad: object) -> None:
    with pytest.raises(sp.ConfigurationError, match="on_short_list"):
        sp.Client("t", base_url="http://127.0.0.1:1", on_short_list=bad)  # type: ignore[arg-type]
    if bad is not None:  # None keeps the client's
        client = sp.Client("t", base_url="http://127.0.0.1:1")
        with pytest.raises(sp.ConfigurationError, match="on_short_list"):
            client.with_options(on_short_list=bad)  # type: ignore[arg-type]


async def test_raise_is_the_default() -> None:
    async def fetch(request: Request) -> JSONValue:
        offset = int(dict(request.query)["offset"])
        return {"results": [{"n": 1}] if offset == 0 else [], "total": 4}

    pager = Paginator(fetch, Request("GET", "/x"), lambda raw: raw, page_size=10)
    with pytest.raises(sp.IncompleteListError, match="on_short_list='warn'"):
        await pager.collect()


async def test_the_bar_is_the_smallest_total_announced(caplog: pytest.LogCaptureFixture) -> None:
    # The first COUNT overcounted by 3, every later one is right: 30 rows are all there is.
    serve = honest(numbered(30), total=lambda asked: 33 if asked == 1 else 30)
    pager = paginator(serve, "raise", ClientStats())
    assert len(await pager.collect()) == 30
    assert pager.incomplete is None


async def test_a_row_repeated_inside_its_page_is_data_not_a_shift() -> None:
    # Two identical rows with nothing to tell them apart: one is delivered, both counted.
    rows = numbered(19)
    rows.insert(14, {"n": 13})
    pager = paginator(honest(rows), "raise", ClientStats())
    assert len(await pager.collect()) == 19


async def test_a_repeat_across_pages_is_a_shift() -> None:
    # The row that ended page one is sent again at the head of page two; row 10 never is.
    rows = numbered(20)

    def serve(offset: int, limit: int, asked: int) -> tuple[list[Row], int]:
        order = [*rows[:9], rows[10], rows[9], *rows[11:]] if offset else rows
        return order[offset : offset + limit], 20

    stats = ClientStats()
    pager = paginator(serve, "warn", stats)
    assert len(await pager.collect()) == 19
    assert pager.incomplete is not None
    assert (pager.incomplete.expected, pager.incomplete.received) == (20, 19)
    assert stats.endpoints[ROUTE].short_lists == stats.short_lists == 1


async def test_the_mark_is_the_latest_iterations(caplog: pytest.LogCaptureFixture) -> None:
    overcount = True

    def serve(offset: int, limit: int, asked: int) -> tuple[list[Row], int]:
        rows = numbered(12)
        return rows[offset : offset + limit], 15 if overcount else 12

    stats = ClientStats()
    pager = paginator(serve, "warn", stats)
    with caplog.at_level(logging.WARNING, "smarterproctoring_async"):
        assert len(await pager.collect()) == 12
        assert pager.incomplete is not None and pager.incomplete.expected == 15
        overcount = False
        assert len(await pager.collect()) == 12
    assert pager.incomplete is None
    assert stats.short_lists == 1
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1


# A sort key identifies a record only if no two rows can share it. Every value the API's
# Swagger offers for ``sortKeys``, and why it does not: none does, so the SDK cannot ask
# for a stable order and counts instead (see the _pagination module documentation). A
# value missing here (a Swagger refresh) fails the test below: if it is unique (``sid``),
# append it after the caller's keys where the list request is built, and test that.
NOT_UNIQUE = {
    # Dates and times: tied rows share them (createdDate is stored to the second).
    "createdDate", "examOpenDate", "examCloseDate", "scheduleOpenDate", "lastMessageDate",
    "confirmedDate", "confirmedDateExpiration", "reviewedDate", "updatedDate",
    # Names, titles and other attributes many rows share.
    "title", "courseCode", "courseTitle", "examTitle", "instructorName", "firstName",
    "lastName", "activeExamCount", "typeId", "details", "score", "duration",
    "reviewerComment", "reviewedBy", "createdById", "updatedBy",
    # SIDs of a parent: many courses per offering; v2 annotations are listed per session.
    "offeringSid", "sessionSid",
}  # fmt: skip


def test_no_route_offers_a_sort_key_that_identifies_a_record() -> None:
    table = resources.files("smarterproctoring_async").joinpath("_swagger_routes.json")
    routes = json.loads(table.read_text())["routes"]
    offered: dict[str, set[str]] = {}
    for route, spec in routes.items():
        for param in spec["parameters"]:
            if param["name"] == "sortKeys":
                for key in param["items"]["enum"]:
                    offered.setdefault(key, set()).add(route)
    assert offered, "no route takes sortKeys: the table changed shape"
    unknown = {key: sorted(found) for key, found in offered.items() if key not in NOT_UNIQUE}
    assert unknown == {}, f"sort keys to classify (unique ones belong in every list): {unknown}"
