"""The list knobs: ``total_overcount`` (a COUNT that overcounts) and ``grouped_results``
(examsByWeek answering ``results`` keyed by group date)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp
import pytest

from smarterproctoring_async.testing import FakeAPI, generate_data


@pytest.fixture
async def fake() -> AsyncIterator[FakeAPI]:
    async with FakeAPI(generate_data(seed=12, exams=6, sessions_per_exam=1, events=(7, 7))) as api:
        yield api


@pytest.fixture
async def http(fake: FakeAPI) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(headers={"token": fake.token}) as session:
        yield session


async def get(http: aiohttp.ClientSession, url: str, params: Any = None) -> Any:
    async with http.get(url, params=params) as response:
        assert response.status == 200, await response.text()
        return await response.json()


def events_url(fake: FakeAPI) -> str:
    s = fake.data.sessions[0]
    return f"{fake.base_url}/v1/installs/{s.install_sid}/exams/{s.exam_sid}/sessions/{s.sid}/events"


def weeks_url(fake: FakeAPI) -> str:
    return f"{fake.base_url}/v1/installs/{fake.data.installs[0]['sid']}/examsByWeek"


def offset_of(link: str | None) -> int | None:
    return None if link is None else int(dict(parse_qsl(urlsplit(link).query))["offset"])


async def test_total_overcount_inflates_every_total(
    fake: FakeAPI, http: aiohttp.ClientSession
) -> None:
    rows = list(fake.data.sessions[0].events)
    assert len(rows) == 7
    fake.total_overcount = 3
    page = await get(http, events_url(fake), {"offset": "5", "limit": "5"})
    # 10 announced, 7 there: the links follow the announced total, as the COUNT says.
    assert (page["total"], page["count"], page["results"]) == (10, 2, rows[5:])
    assert (offset_of(page["next"]), offset_of(page["last"])) == (None, 5)
    page = await get(http, events_url(fake), {"offset": "4", "limit": "2"})
    assert (page["total"], page["count"], offset_of(page["next"])) == (10, 2, 6)
    past = await get(http, events_url(fake), {"offset": "8", "limit": "1"})
    assert (past["total"], past["count"], past["results"], offset_of(past["next"])) == (
        10,
        0,
        [],
        9,
    )
    weeks = await get(http, weeks_url(fake))
    assert weeks["total"] == weeks["count"] + 3  # every list, not only events
    fake.total_overcount = 0
    assert (await get(http, events_url(fake)))["total"] == 7


@pytest.mark.parametrize("group_by", [None, "examOpenDate", "examCloseDate"])
async def test_grouped_results_key_rows_by_group_date(
    fake: FakeAPI, http: aiohttp.ClientSession, group_by: str | None
) -> None:
    params = {} if group_by is None else {"groupBy": group_by}
    flat = await get(http, weeks_url(fake), params)
    assert len(flat["results"]) >= 2
    fake.grouped_results = True
    grouped = await get(http, weeks_url(fake), params)
    assert list(grouped) == list(flat)
    assert {k: v for k, v in grouped.items() if k != "results"} == {
        k: v for k, v in flat.items() if k != "results"
    }
    assert grouped["results"] == {row["weekStart"][:10]: [row] for row in flat["results"]}
    assert [row for rows in grouped["results"].values() for row in rows] == flat["results"]


async def test_grouped_results_leave_other_lists_alone(
    fake: FakeAPI, http: aiohttp.ClientSession
) -> None:
    fake.grouped_results = True
    page = await get(http, events_url(fake), {"limit": "3"})
    assert page["results"] == list(fake.data.sessions[0].events[:3])
    grouped = await get(http, weeks_url(fake), {"limit": "1", "offset": "1"})
    (only,) = grouped["results"].values()
    assert (grouped["total"], grouped["count"], len(only)) == (2, 1, 1)


def test_rows_of_one_date_share_a_group_in_order() -> None:
    from smarterproctoring_async.testing.server.grouping import by_date

    rows = [
        {"sid": "a", "examOpenDate": "2018-09-26T08:00:00.000Z"},
        {"sid": "b", "examOpenDate": "2018-10-01T08:00:00.000Z"},
        {"sid": "c", "examOpenDate": "2018-09-26T17:30:00.000Z"},
        {"sid": "d", "weekStart": "2018-09-24T00:00:00.000Z", "examOpenDate": "2018-10-01"},
    ]
    assert by_date(rows, "examOpenDate") == {
        "2018-09-26": [rows[0], rows[2]],
        "2018-10-01": [rows[1]],
        "2018-09-24": [rows[3]],
    }
