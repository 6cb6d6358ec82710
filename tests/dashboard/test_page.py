"""The dashboard page over HTTP, against the fake: every panel, its age, the cache,
the security headers and the refusals that come before any request."""

from __future__ import annotations

import asyncio
import csv
import io

import aiohttp
import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.dashboard._panels import PANELS
from smarterproctoring_async.testing import FakeAPI, Fault

from ..conftest import MakeClient
from ._pages import PANEL_IDS, section
from .conftest import install_of


async def page_of(http: aiohttp.ClientSession, url: str) -> tuple[int, str, dict[str, str]]:
    async with http.get(url) as response:
        return response.status, await response.text(), dict(response.headers)


def test_every_panel_reads_a_report_of_the_registry() -> None:
    assert [p.report for p in PANELS] == list(PANEL_IDS)
    assert all(p.report in sp.REPORTS for p in PANELS)


async def test_every_panel_draws_its_chart_and_says_how_old_it_is(
    dashboard: sp.Dashboard, http: aiohttp.ClientSession, fake: FakeAPI, make_client: MakeClient
) -> None:
    assert dashboard.url is not None
    status, html, _ = await page_of(http, dashboard.url)
    assert status == 200
    for key in PANEL_IDS:
        shown = section(html, key)
        assert 'class="age">fetched ' in shown, key
        assert 'class="error"' not in shown, key
        if key != "unscheduled-learners":
            assert "<svg" in shown and ("<rect" in shown or "<circle" in shown), key
    learners = section(html, "unscheduled-learners")
    expected = (
        await make_client().install(install_of(fake)).reports.unscheduled_learners().collect()
    )
    assert expected
    assert f'<span id="unscheduled-count">{len(expected)}</span> rows' in learners
    assert 'href="unscheduled-learners.csv"' in learners
    assert fake.token not in html


async def test_reloading_within_the_ttl_sends_no_request(
    dashboard: sp.Dashboard, http: aiohttp.ClientSession, fake: FakeAPI
) -> None:
    assert dashboard.url is not None
    await page_of(http, dashboard.url)
    asked = fake.requests.total
    assert asked >= len(PANEL_IDS)
    await page_of(http, dashboard.url)
    await page_of(http, dashboard.url + "unscheduled-learners.csv")
    assert fake.requests.total == asked


async def test_a_report_is_asked_again_once_its_ttl_is_over(
    fake: FakeAPI, make_client: MakeClient, http: aiohttp.ClientSession
) -> None:
    async with sp.Dashboard(make_client(), install_of(fake), port=0, cache_ttl=0.2) as served:
        assert served.url is not None
        await page_of(http, served.url)
        asked = fake.requests.total
        await asyncio.sleep(0.3)
        await page_of(http, served.url)
        assert fake.requests.total == 2 * asked


async def test_a_failing_report_is_an_error_box_and_the_rest_renders(
    dashboard: sp.Dashboard, http: aiohttp.ClientSession, fake: FakeAPI
) -> None:
    fake.add_fault(Fault("status", route="/modalityDistribution", status=404, times=None))
    assert dashboard.url is not None
    status, html, _ = await page_of(http, dashboard.url)
    assert status == 200
    broken = section(html, "modality-distribution")
    assert 'class="error"' in broken and "NotFoundError" in broken and "<svg" not in broken
    for key in PANEL_IDS:
        if key not in ("modality-distribution", "unscheduled-learners"):
            assert "<svg" in section(html, key), key


async def test_the_page_forbids_remote_loads_and_framing(
    dashboard: sp.Dashboard, http: aiohttp.ClientSession
) -> None:
    assert dashboard.url is not None
    for path in ("", "style.css", "unscheduled-learners.csv", "nowhere"):
        _, _, headers = await page_of(http, dashboard.url + path)
        policy = headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
        assert headers["X-Content-Type-Options"] == "nosniff"


async def test_a_request_naming_another_host_is_refused(
    dashboard: sp.Dashboard, http: aiohttp.ClientSession, fake: FakeAPI
) -> None:
    # DNS rebinding: a page of evil.example resolving to 127.0.0.1 sends Host: evil.example.
    assert dashboard.url is not None
    async with http.get(dashboard.url, headers={"Host": "evil.example"}) as response:
        assert response.status == 421
    assert fake.requests.total == 0
    async with http.post(dashboard.url) as response:
        assert response.status == 405


async def test_the_csv_has_every_learner(
    dashboard: sp.Dashboard, http: aiohttp.ClientSession, fake: FakeAPI, make_client: MakeClient
) -> None:
    assert dashboard.url is not None
    async with http.get(dashboard.url + "unscheduled-learners.csv") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/csv")
        assert "attachment" in response.headers["Content-Disposition"]
        text = await response.text()
    rows = list(csv.DictReader(io.StringIO(text)))
    expected = (
        await make_client().install(install_of(fake)).reports.unscheduled_learners().collect()
    )
    assert [r["email"] for r in rows] == [e.to_dict()["email"] for e in expected]


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.1", "example.com", "::"])
async def test_a_host_beyond_loopback_needs_listen_anywhere(
    host: str, fake: FakeAPI, make_client: MakeClient
) -> None:
    with pytest.raises(sp.ConfigurationError, match="listen_anywhere"):
        sp.Dashboard(make_client(), install_of(fake), host=host)
    assert fake.requests.total == 0


@pytest.mark.parametrize(
    ("option", "value"), [("port", -1), ("port", 70000), ("cache_ttl", 0), ("cache_ttl", True)]
)
async def test_bad_settings_are_refused_before_any_request(
    option: str, value: object, fake: FakeAPI, make_client: MakeClient
) -> None:
    with pytest.raises(sp.ConfigurationError, match=option):
        sp.Dashboard(make_client(), install_of(fake), **{option: value})  # type: ignore[arg-type]
    with pytest.raises(sp.InvalidSidError):
        sp.Dashboard(make_client(), "not-a-sid")
    assert fake.requests.total == 0


async def test_listen_anywhere_serves_all_addresses(
    fake: FakeAPI, make_client: MakeClient, http: aiohttp.ClientSession
) -> None:
    client = make_client()
    async with sp.Dashboard(
        client, install_of(fake), host="0.0.0.0", port=0, listen_anywhere=True
    ) as served:
        assert served.url is not None and served.url.startswith("http://0.0.0.0:")
        port = served.url.rsplit(":", 1)[1]
        async with http.get(f"http://127.0.0.1:{port}") as response:
            # Not loopback-only: any Host is answered.
            assert response.status == 200
