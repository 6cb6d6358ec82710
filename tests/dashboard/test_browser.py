"""The dashboard in a real browser (Debian's Chromium through Playwright) against the
fake: every chart renders, no console error, no request leaves loopback, a failing
report is a box on the page, and a reload within the cache TTL asks the API nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeAPI, Fault

from ._browser import ARGS, CHROMIUM, require_browser, screenshot_paths
from ._pages import PANEL_IDS

LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}


class Watched:
    """A browser page and what it did: console errors and every URL it asked for."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        self.urls: list[str] = []
        self.blocked: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.urls.append(r.url))

    async def route(self, route: Any) -> None:
        # Anything not on loopback is refused here, and recorded, before it leaves.
        url = route.request.url
        host = urlsplit(url).hostname or ""
        if url.startswith("data:") or host in LOOPBACK:
            await route.continue_()
        else:
            self.blocked.append(url)
            await route.abort()

    def left_loopback(self) -> list[str]:
        outside = [u for u in self.urls if not u.startswith("data:")]
        return self.blocked + [u for u in outside if urlsplit(u).hostname not in LOOPBACK]


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    require_browser()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def watched(browser: Any) -> AsyncIterator[Watched]:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    seen = Watched(page)
    await page.route("**/*", seen.route)
    try:
        yield seen
    finally:
        await context.close()


async def test_every_chart_renders_with_no_error_and_nothing_beyond_loopback(
    dashboard: sp.Dashboard, watched: Watched
) -> None:
    assert dashboard.url is not None
    answer = await watched.page.goto(dashboard.url)
    assert answer is not None and answer.status == 200
    for key in PANEL_IDS:
        panel = watched.page.locator(f"section#{key}")
        assert await panel.locator(".age").count() == 1, key
        assert await panel.locator(".error").count() == 0, key
        if key != "unscheduled-learners":
            marks = panel.locator("svg rect, svg circle")
            assert await panel.locator("svg").count() >= 1, key
            assert await marks.count() >= 1, key
            box = await panel.locator("svg").first.bounding_box()
            assert box is not None and box["width"] > 100 and box["height"] > 20, key
    count = await watched.page.locator("#unscheduled-count").inner_text()
    assert int(count.replace(",", "")) > 0
    # The stylesheet applied (CSP allows 'self'): the panels are laid out as a grid.
    display = await watched.page.locator(".panels").evaluate("e => getComputedStyle(e).display")
    assert display == "grid"
    assert watched.errors == []
    assert watched.left_loopback() == []
    for path in screenshot_paths():
        path.parent.mkdir(parents=True, exist_ok=True)
        await watched.page.screenshot(path=str(path), full_page=True)


async def test_a_failing_report_shows_on_the_page_instead_of_breaking_it(
    dashboard: sp.Dashboard, watched: Watched, fake: FakeAPI
) -> None:
    fake.add_fault(Fault("status", route="/proctorAccountVolume", status=403, times=None))
    assert dashboard.url is not None
    await watched.page.goto(dashboard.url)
    box = watched.page.locator("section#proctor-volume .error")
    assert await box.count() == 1
    assert "could not be fetched" in await box.inner_text()
    assert await watched.page.locator("section#proctor-volume svg").count() == 0
    assert await watched.page.locator("section#exam-volume svg").count() == 1
    assert await watched.page.locator("svg").count() >= len(PANEL_IDS) - 2
    assert watched.errors == []


async def test_reloading_within_the_ttl_asks_the_api_nothing(
    dashboard: sp.Dashboard, watched: Watched, fake: FakeAPI
) -> None:
    assert dashboard.url is not None
    await watched.page.goto(dashboard.url)
    asked = fake.requests.total
    assert asked >= len(PANEL_IDS)
    await watched.page.reload()
    await watched.page.reload()
    assert await watched.page.locator("section#exam-volume svg").count() == 1
    assert fake.requests.total == asked
    assert watched.errors == []
