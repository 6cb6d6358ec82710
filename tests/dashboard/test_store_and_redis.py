"""The dashboard's sync health (from a real store after a real sync) and its report
cache shared through a real Redis."""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
from pathlib import Path

import aiohttp
import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeAPI

from ..conftest import MakeClient
from ._pages import section
from .conftest import install_of


async def text_of(url: str) -> str:
    async with aiohttp.ClientSession() as http, http.get(url) as answer:
        assert answer.status == 200
        return await answer.text()


async def test_sync_health_shows_the_last_run_of_the_store(
    fake: FakeAPI, make_client: MakeClient, tmp_path: Path
) -> None:
    install = install_of(fake)
    async with sp.Store(f"sqlite:///{tmp_path / 'sync.db'}") as store:
        summary = await make_client().sync(install, store)
        async with sp.Dashboard(make_client(), install, store=store, port=0) as served:
            assert served.url is not None
            health = section(await text_of(served.url), "sync-health")
        counts = await store.counts(install)
    assert "read from the store at" in health
    assert "ok, started" in health
    assert f"<dt>sessions stored</dt><dd>{counts['sessions']:,}</dd>" in health
    assert f"<dt>requests (last run)</dt><dd>{summary.requests:,}</dd>" in health
    assert "<dt>failed or interrupted runs</dt><dd>0 of 1</dd>" in health
    assert f"<dt>429 answers (last run)</dt><dd>{summary.rate_limited:,}</dd>" in health


async def test_without_a_store_there_is_no_sync_health(dashboard: sp.Dashboard) -> None:
    assert dashboard.url is not None
    assert 'id="sync-health"' not in await text_of(dashboard.url)


async def test_a_store_that_fails_is_an_error_box(
    fake: FakeAPI, make_client: MakeClient, tmp_path: Path
) -> None:
    install, path = install_of(fake), tmp_path / "sync.db"
    async with (
        sp.Store(f"sqlite:///{path}") as store,
        sp.Dashboard(make_client(), install, store=store, port=0) as served,
    ):
        assert served.url is not None
        with contextlib.closing(sqlite3.connect(path)) as other:
            other.execute("DROP TABLE runs")  # another program breaks the store
            other.commit()
        html = await text_of(served.url)
    assert 'class="error"' in section(html, "sync-health")
    assert "<svg" in section(html, "exam-volume")


async def test_dashboards_sharing_redis_ask_the_api_once(
    fake: FakeAPI, make_client: MakeClient, redis_url: str
) -> None:
    install = install_of(fake)
    # A fresh base URL per test run keys fresh entries: nothing left from another test.
    first = sp.Dashboard(make_client(), install, port=0, redis_url=redis_url, cache_ttl=60)
    async with first:
        assert first.url is not None
        await text_of(first.url)
    asked = fake.requests.total
    assert asked >= 7
    second = sp.Dashboard(make_client(), install, port=0, redis_url=redis_url, cache_ttl=60)
    async with second:
        assert second.url is not None
        html = await text_of(second.url)
    assert fake.requests.total == asked
    assert "<svg" in section(html, "modality-distribution")


async def test_an_unreachable_redis_falls_back_to_memory(
    fake: FakeAPI, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    from tests._redis_server import free_port

    url = f"redis://:hunter2@127.0.0.1:{free_port()}/0"
    caplog.set_level(logging.WARNING, logger="smarterproctoring_async.dashboard")
    async with sp.Dashboard(make_client(), install_of(fake), port=0, redis_url=url) as served:
        assert served.url is not None
        html = await text_of(served.url)
        asked = fake.requests.total
        await text_of(served.url)
    assert "<svg" in section(html, "exam-volume")
    assert fake.requests.total == asked  # cached in memory meanwhile
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 1 and "Redis unreachable" in said[0]
    assert "hunter2" not in said[0]


async def test_a_redis_url_redis_cannot_read_is_refused(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    with pytest.raises(sp.ConfigurationError, match="redis_url"):
        async with sp.Dashboard(make_client(), install_of(fake), port=0, redis_url="nope://x"):
            pass
    assert fake.requests.total == 0


#: What a shared Redis may hold under a report's key: not JSON, no fetch time, not an
#: object, a fetch time without a zone (each broke its panel until it expired).
UNREADABLE = [
    b"\x00not json",
    b'{"body": []}',
    b'["body"]',
    b'{"fetched": "2025-01-01", "body": []}',
]


async def test_an_unreadable_body_in_redis_is_fetched_again(
    fake: FakeAPI, make_client: MakeClient, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    import redis.asyncio as redis

    from smarterproctoring_async.dashboard._redis_body_cache import RedisBodyCache
    from smarterproctoring_async.resources.report_registry import REPORTS

    caplog.set_level(logging.WARNING, logger="smarterproctoring_async.dashboard")
    board = sp.Dashboard(make_client(), install_of(fake), port=0, redis_url=redis_url)
    shared = redis.from_url(redis_url)
    async with board:
        assert isinstance(board._cache, RedisBodyCache) and board.url is not None
        names = {board._cache._redis_key(f"{board._key}|{name}"): name for name in REPORTS}
        for index, key in enumerate(names):
            await shared.set(key, UNREADABLE[index % len(UNREADABLE)], px=60_000)
        html = await text_of(board.url)
        warned = {r.args[0] for r in caplog.records if isinstance(r.args, tuple)}
        stored = {names[key]: await shared.get(key) for key in names}
        asked = fake.requests.total
        await text_of(board.url)  # the fresh bodies are read from Redis now
    await shared.aclose()
    assert 'class="error"' not in html
    assert "<svg" in section(html, "exam-volume")
    assert len(warned) >= len(UNREADABLE), warned  # each kind was met and fetched again
    for name in warned:
        assert stored[name] not in UNREADABLE
        assert json.loads(stored[name])["fetched"].endswith("+00:00")
    assert fake.requests.total == asked
