"""What an outside probe of the dashboard found, each fixed: a number no chart can draw,
a report that never answers, a store that hangs, a second entry, a Host header while
listening anywhere on loopback, malformed requests in the log, numbers in the CSV."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import sqlalchemy as sa

import smarterproctoring_async as sp
from smarterproctoring_async.dashboard import _dashboard, _server
from smarterproctoring_async.testing import FakeAPI

from .._postgres_server import fresh_database
from ..conftest import MakeClient
from ..hostile._server import AI, Conn, RawServer, Request, json_response, page
from ..store._sql import engine_url
from ._pages import section
from .conftest import install_of

HUGE = 10**400  # JSON allows it; no float holds it


def rows_for(path: str) -> object:
    if path.endswith("/examVolume"):
        return page(
            [
                {"examOpenDate": "2025-01-06T08:00:00.000Z", "totalSessions": HUGE},
                {"examOpenDate": "2025-01-13T08:00:00.000Z", "totalSessions": 3},
            ],
            total=2,
        )
    if path.endswith("/proctorAccountVolume"):
        proctors = [  # 1e307 times a bar's width in pixels: inf
            {"proctorSid": "PU3", "sessions": 4},
            {"proctorSid": "PU2", "sessions": 1e307},
            {"proctorSid": "PU1", "sessions": HUGE},
        ]
        return {"proctors": proctors, "total": HUGE}
    if path.endswith("/unscheduledLearners"):
        return page([{"firstName": "Ann", "balance": -5, "ratio": -0.5}], total=1)
    return {}  # fmt: skip


async def handle(request: Request, conn: Conn) -> None:
    if request.path.endswith("/modalityDistribution"):
        await asyncio.sleep(60)  # never answers in time
    await conn.send(json_response(rows_for(request.path)))


@pytest.fixture
async def served(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[sp.Dashboard, str]]:
    monkeypatch.setattr(_dashboard, "DEADLINE", 1.0)
    async with (
        RawServer(handle) as server,
        sp.Client("hostile-token", base_url=server.base_url, rate_limit=None) as client,
        sp.Dashboard(client, AI, port=0, listen_anywhere=True) as dashboard,
    ):
        assert dashboard.url is not None
        yield dashboard, dashboard.url


async def get(url: str, **headers: str) -> tuple[int, str, Any]:
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as answer:
        return answer.status, await answer.text(), answer.headers


async def test_a_huge_number_or_a_silent_report_costs_one_panel_not_the_page(
    served: tuple[sp.Dashboard, str],
) -> None:
    _, url = served
    started = time.monotonic()
    status, html, headers = await get(url)
    assert status == 200 and "default-src 'none'" in headers["Content-Security-Policy"]
    assert time.monotonic() - started < 10  # the 60 s report ended at the deadline
    assert 'class="error"' in section(html, "modality-distribution")
    trend = section(html, "exam-volume")  # the huge point is left out, the rest drawn
    assert "<svg" in trend and "inf" not in trend and 'class="error"' not in trend
    proctors = section(html, "proctor-volume")
    assert "<svg" in proctors and "PU3" in proctors and "inf" not in proctors


async def test_numbers_in_the_csv_are_numbers(served: tuple[sp.Dashboard, str]) -> None:
    _, url = served
    _, text, _ = await get(url + "unscheduled-learners.csv")
    (row,) = csv.DictReader(io.StringIO(text))
    assert row == {"firstName": "Ann", "balance": "-5", "ratio": "-0.5"}


async def test_on_loopback_other_host_names_are_refused_even_when_listening_anywhere(
    served: tuple[sp.Dashboard, str],
) -> None:
    _, url = served
    status, _, headers = await get(url, Host="evil.example")
    assert status == 421 and "Content-Security-Policy" in headers


async def test_a_malformed_request_is_no_traceback_in_the_log(
    served: tuple[sp.Dashboard, str], caplog: pytest.LogCaptureFixture
) -> None:
    _, url = served
    caplog.set_level(logging.DEBUG)
    status, _, _ = await get(url + "?" + "a" * 9000)  # beyond aiohttp's line limit
    assert status in (400, 414)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    assert "Traceback" not in caplog.text


async def test_a_dashboard_cannot_be_entered_twice(served: tuple[sp.Dashboard, str]) -> None:
    dashboard, _ = served
    with pytest.raises(RuntimeError, match="already serving"):
        async with dashboard:
            pass


async def test_a_store_that_hangs_is_a_box_after_a_few_seconds(
    postgres_server_url: str,
    fake: FakeAPI,
    make_client: MakeClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_server, "HEALTH_WAIT", 0.5)
    client, install = make_client(), install_of(fake)
    with fresh_database(postgres_server_url) as url:
        async with sp.Store(url) as store:
            await client.sync(install, store)
            engine = sa.create_engine(engine_url(url))
            try:
                with engine.connect() as holder:  # another session locks the run log
                    holder.execute(sa.text("LOCK TABLE runs IN ACCESS EXCLUSIVE MODE"))
                    async with sp.Dashboard(client, install, store=store, port=0) as served:
                        assert served.url is not None
                        started = time.monotonic()
                        _, html, _ = await get(served.url)
                        assert time.monotonic() - started < 5
                        assert "did not answer within 0.5 s" in section(html, "sync-health")
                        holder.rollback()  # the store answers again
                        await asyncio.sleep(0.5)
                        _, html, _ = await get(served.url)
                        assert "<dt>sessions stored</dt>" in section(html, "sync-health")
            finally:
                engine.dispose()
