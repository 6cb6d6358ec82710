"""The dashboard against a server that is not the fake (tests/hostile's RawServer):
hostile text in report rows, an answer that is not JSON, rows of unexpected shape."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

import aiohttp
import pytest

import smarterproctoring_async as sp

from ..hostile._server import AI, Conn, RawServer, Request, json_response, page, response
from ._pages import PANEL_IDS, section

SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://evil.example","x")'

BODIES: dict[str, object] = {
    "/examVolume": page([{"examOpenDate": "2025-01-06T08:00:00.000Z", "totalSessions": 4},
                         {"examOpenDate": "2025-01-13T08:00:00.000Z", "totalSessions": 9}],
                        total=2),
    "/examsByWeek": page([{"weekStart": "2025-01-06T00:00:00.000Z", "examCount": 2}], total=1),
    "/appointmentVolume": {"byHour": [{"hour": 9, "count": 2}, {"hour": 10, "count": 5}]},
    "/serviceDistribution": page([{"sid": "ES" + "1" * 32, "serviceType": SCRIPT}], total=1),
    "/proctorAccountVolume": {"proctors": [{"proctorSid": SCRIPT, "sessions": 3}]},
    "/unscheduledLearners": page(
        [{"firstName": FORMULA, "lastName": SCRIPT, "email": "@evil", "note": "-1+2"}], total=1
    ),
}  # fmt: skip


async def handle(request: Request, conn: Conn) -> None:
    for suffix, body in BODIES.items():
        if request.path.endswith(suffix):
            await conn.send(json_response(body))
            return
    # modalityDistribution: a 200 whose body is not JSON at all.
    await conn.send(response(200, b"<html>not json</html>"))


@pytest.fixture
async def served() -> AsyncIterator[tuple[RawServer, str]]:
    async with (
        RawServer(handle) as server,
        sp.Client("hostile-token", base_url=server.base_url, rate_limit=None) as client,
        sp.Dashboard(client, AI, port=0) as dashboard,
    ):
        assert dashboard.url is not None
        yield server, dashboard.url


async def test_hostile_rows_are_text_and_a_broken_report_is_a_box(
    served: tuple[RawServer, str],
) -> None:
    server, url = served
    async with aiohttp.ClientSession() as http, http.get(url) as answer:
        assert answer.status == 200
        html = await answer.text()
    # The page has no script at all: any "<script" is report text that escaped escaping.
    assert "<script" not in html.lower() and "&lt;script&gt;" in html
    broken = section(html, "modality-distribution")
    assert 'class="error"' in broken and "DecodeError" in broken
    for key in PANEL_IDS:
        if key not in ("modality-distribution", "unscheduled-learners"):
            assert "<svg" in section(html, key), key
    assert "hostile-token" not in html
    asked = len(server.requests)
    async with aiohttp.ClientSession() as http, http.get(url) as again:
        await again.text()
    # The broken report is asked again (failures are not cached), the others are not.
    # (The client tries an undecodable answer twice.)
    assert {r.path.rsplit("/", 1)[1] for r in server.requests[asked:]} == {"modalityDistribution"}


async def test_the_csv_defuses_formulas(served: tuple[RawServer, str]) -> None:
    _, url = served
    async with aiohttp.ClientSession() as http, http.get(url + "unscheduled-learners.csv") as got:
        text = await got.text()
    (row,) = csv.DictReader(io.StringIO(text))
    assert row == {"firstName": "'" + FORMULA, "lastName": SCRIPT, "email": "'@evil",
                   "note": "'-1+2"}  # fmt: skip


async def test_the_csv_writes_numbers_as_sent_and_holds_no_lone_surrogate() -> None:
    learner = b'{"a": 1e400, "b": {"c": -1e999}, "d": "x\\ud800y", "n": -5, "f": 0.5}'

    async def odd(request: Request, conn: Conn) -> None:
        if request.path.endswith("/unscheduledLearners"):
            body = b'{"total": 1, "count": 1, "offset": 0, "results": [' + learner + b"]}"
            await conn.send(response(200, body))
        else:
            await handle(request, conn)

    async with (
        RawServer(odd) as server,
        sp.Client("hostile-token", base_url=server.base_url, rate_limit=None) as client,
        sp.Dashboard(client, AI, port=0) as dashboard,
        aiohttp.ClientSession() as http,
        http.get(f"{dashboard.url}unscheduled-learners.csv") as got,
    ):
        assert got.status == 200
        text = (await got.read()).decode("utf-8")  # strict: the whole download is UTF-8
    (row,) = csv.DictReader(io.StringIO(text))
    assert row == {"a": "1e400", "b": '{"c":-1e999}', "d": "x\ufffdy", "n": "-5", "f": "0.5"}
