"""Fixtures of the store tests: real sessions fetched from the fake, and open stores."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeAPI, generate_data

from ..conftest import FAST_RETRY


async def fetch_results(fake: FakeAPI) -> list[sp.SessionResult]:
    """Every session of the fake, fetched by the client (details, events, annotations)."""
    async with sp.Client(
        fake.token, base_url=fake.base_url, rate_limit=None, retry=FAST_RETRY
    ) as client:
        refs = [sp.SessionRef(s.install_sid, s.exam_sid, s.sid) for s in fake.data.sessions]
        return await client.gather_session_results(refs)


@pytest.fixture
async def results() -> list[sp.SessionResult]:
    """Twelve real sessions of one install (some with many events, some with none)."""
    data = generate_data(seed=7, exams=3, sessions_per_exam=4, events=(0, 25), annotations=(0, 4))
    async with FakeAPI(data) as fake:
        fetched = await fetch_results(fake)
    assert all(result.ok for result in fetched)
    return fetched


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[sp.Store]:
    """An open, empty store (SQLite file or fresh PostgreSQL database)."""
    async with sp.Store(store_url) as opened:
        yield opened
