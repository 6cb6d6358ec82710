"""Grouped pages: a route taking ``groupBy`` may send ``results`` as an object of groups.

Such a page is read as its rows, flattened in the order sent, each decoded as one
record that knows its group (``group_key``); ``offset``, ``limit`` and ``total``
count rows. A plain ``results`` list on the same route reads as usual; an object of
groups anywhere else is a DecodeError.
"""

from __future__ import annotations

import asyncio
import json
from importlib import resources
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import smarterproctoring_async as sp
from smarterproctoring_async import resources as handles_package
from smarterproctoring_async._endpoint import Endpoint
from smarterproctoring_async._envelope import GroupedRow, read_envelope
from smarterproctoring_async._pagination import Paginator
from smarterproctoring_async._protocol import Request
from smarterproctoring_async.models import JSONValue, decoder
from smarterproctoring_async.resources import reports

AI = "AI" + "a" * 32
ROUTE = "/v1/installs/{installSid}/examsByWeek"
PATH = f"/v1/installs/{AI}/examsByWeek"


def _dated(count: int, dates: int) -> list[tuple[str, dict[str, JSONValue]]]:
    """``count`` rows spread over ``dates`` dates, in order (a date's rows adjacent)."""
    return [(f"2018-09-{10 + n * dates // max(count, 1):02d}", {"n": n}) for n in range(count)]


def _grouped(rows: list[tuple[str, dict[str, JSONValue]]]) -> dict[str, JSONValue]:
    groups: dict[str, JSONValue] = {}
    for key, row in rows:
        members = groups.setdefault(key, [])
        assert isinstance(members, list)
        members.append(row)
    return groups


# -- the envelope ----------------------------------------------------------------------


def test_a_grouped_page_is_read_as_its_rows_in_order_with_their_keys() -> None:
    body = {
        "total": "5",  # rows, from the query; "count" is the number of groups
        "count": 2,
        "offset": 0,
        "results": {"2018-09-26": [{"n": 0}, {"n": 1}, {"n": 2}], "2018-10-03": [{"n": 3}]},
    }
    envelope = read_envelope(body, grouped=True)
    assert envelope.total == 5 and envelope.paged
    assert list(envelope.items) == [
        GroupedRow("2018-09-26", {"n": 0}),
        GroupedRow("2018-09-26", {"n": 1}),
        GroupedRow("2018-09-26", {"n": 2}),
        GroupedRow("2018-10-03", {"n": 3}),
    ]
    assert read_envelope({"results": {}}, grouped=True).items == []


def test_a_plain_list_on_a_grouped_route_reads_as_usual() -> None:
    envelope = read_envelope({"total": 2, "results": [{"n": 0}, {"n": 1}]}, grouped=True)
    assert list(envelope.items) == [{"n": 0}, {"n": 1}]


def test_an_object_of_groups_on_another_route_is_a_decode_error() -> None:
    with pytest.raises(sp.DecodeError, match="object of groups, and this route takes no groupBy"):
        read_envelope({"total": 1, "results": {"2018-09-26": [{"n": 0}]}})


@pytest.mark.parametrize("group", [{"n": 0}, "row", 3, None])
def test_a_group_that_is_not_a_list_is_a_decode_error_naming_it(group: object) -> None:
    with pytest.raises(sp.DecodeError, match="group '2018-09-26' of 'results' is"):
        read_envelope({"results": {"2018-09-26": group}}, grouped=True)


# -- the decoder ------------------------------------------------------------------------


def test_a_grouped_row_decodes_to_its_record_knowing_its_group() -> None:
    row = {"examSid": "EX" + "b" * 32, "examCount": "4"}
    record = decoder(sp.Record, {"install_sid": AI})(GroupedRow("2018-09-26", row))
    assert record.group_key == "2018-09-26"
    assert record.install_sid == AI  # the request's, as for a plain row
    assert record.to_dict() == row  # the row as sent: the key is not added to it
    assert record.extra == row
    assert decoder(sp.Record)(GroupedRow("k", row)).group_key == "k"


def test_a_plain_row_or_a_model_built_in_code_has_no_group() -> None:
    assert decoder(sp.Record)({"n": 1}).group_key is None
    assert sp.Record(install_sid=AI).group_key is None


@pytest.mark.parametrize("row", [[1], "row", None])
def test_a_grouped_row_that_is_not_an_object_still_fails(row: object) -> None:
    with pytest.raises(sp.DecodeError, match="Record: expected a JSON object"):
        decoder(sp.Record)(GroupedRow("2018-09-26", row))


# -- the request and the declaration ---------------------------------------------------


def test_the_request_carries_grouped_to_every_page_outside_its_identity() -> None:
    request = Request("GET", PATH, (("groupBy", "examOpenDate"),), ROUTE, True)
    paged = request.page(10, 5)
    assert paged.grouped and paged.route == ROUTE
    assert request == Request("GET", PATH, (("groupBy", "examOpenDate"),))  # the cache key
    assert hash(request) == hash(Request("GET", PATH, (("groupBy", "examOpenDate"),)))


def test_the_grouped_routes_are_the_swagger_routes_taking_group_by() -> None:
    routes = json.loads(
        resources.files("smarterproctoring_async").joinpath("_swagger_routes.json").read_text()
    )["routes"]
    declared = [
        value
        for module in vars(handles_package).values()
        if hasattr(module, "__dict__")
        for value in vars(module).values()
        if isinstance(value, Endpoint)
    ]
    takes_group_by = {
        e.route
        for e in declared
        if any(p["name"] == "groupBy" for p in routes[e.route]["parameters"])
    }
    assert takes_group_by == {e.route for e in declared if e.grouped} == {ROUTE}
    assert reports.EXAMS_BY_WEEK.grouped and reports.EXAMS_BY_WEEK.paginated


# -- the paginator ----------------------------------------------------------------------


class Weeks:
    """A server of dated rows, grouping each page's rows by date, as the maker's
    date-wise template does: ``offset``/``limit`` select rows, ``total`` counts rows,
    ``count`` the groups of the page."""

    def __init__(
        self, rows: list[tuple[str, dict[str, JSONValue]]], cap: int | None, grouped: bool
    ) -> None:
        self.rows, self.cap, self.grouped = rows, cap, grouped
        self.requests: list[tuple[int, int]] = []

    async def fetch(self, request: Request) -> JSONValue:
        query = dict(request.query)
        offset, limit = int(query["offset"]), int(query["limit"])
        self.requests.append((offset, limit))
        await asyncio.sleep(0)
        taken = self.rows[offset : offset + (limit if self.cap is None else min(limit, self.cap))]
        results: JSONValue = _grouped(taken) if self.grouped else [row for _, row in taken]
        count = len(results)
        return {"total": str(len(self.rows)), "count": count, "offset": offset, "results": results}


def _paginator(server: Weeks, page_size: int) -> Paginator[Any]:
    request = Request("GET", PATH, (("groupBy", "examOpenDate"),), ROUTE, True)
    return Paginator(
        server.fetch, request, decoder(sp.Record, {"install_sid": AI}), page_size=page_size
    )


@settings(max_examples=80, deadline=None)
@given(
    count=st.integers(0, 60),
    dates=st.integers(1, 8),
    page_size=st.integers(1, 12),
    cap=st.none() | st.integers(1, 12),
    grouped=st.booleans(),
)
def test_every_row_of_a_grouped_list_once_in_order_offsets_counting_rows(
    count: int, dates: int, page_size: int, cap: int | None, grouped: bool
) -> None:
    rows = _dated(count, dates)
    server = Weeks(rows, cap, grouped)
    got = asyncio.run(_paginator(server, page_size).collect())
    assert [r.to_dict() for r in got] == [row for _, row in rows]
    expected_keys = [key if grouped else None for key, _ in rows]
    assert [r.group_key for r in got] == expected_keys
    # Each offset asked is a row count reached: pages start where rows left off.
    served = min(page_size, cap or page_size)
    assert {offset for offset, _ in server.requests} <= set(range(0, count + served + 1, served))


def test_a_page_splitting_a_group_gives_each_part_its_key() -> None:
    rows = [("2018-09-26", {"n": n}) for n in range(3)] + [("2018-10-03", {"n": 3})]
    server = Weeks(rows, None, grouped=True)
    got = asyncio.run(_paginator(server, 2).collect())
    assert [(r.group_key, r.extra["n"]) for r in got] == [
        ("2018-09-26", 0),
        ("2018-09-26", 1),
        ("2018-09-26", 2),
        ("2018-10-03", 3),
    ]
    # Rows 0-1, 2-3, then the confirming read past a full page that reached the total.
    assert sorted(offset for offset, _ in server.requests) == [0, 2, 4]
