"""Fixtures of the dashboard tests: a dashboard of the fake's first install, on a free
loopback port, and an HTTP client to read it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeAPI

from ..conftest import MakeClient


def install_of(fake: FakeAPI) -> str:
    """The SID of the fake's first install."""
    return str(fake.data.installs[0]["sid"])


@pytest.fixture
async def dashboard(fake: FakeAPI, make_client: MakeClient) -> AsyncIterator[sp.Dashboard]:
    """A dashboard of the fake's first install, serving on a free loopback port."""
    async with sp.Dashboard(make_client(), install_of(fake), port=0) as served:
        yield served


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain HTTP client for reading the page."""
    async with aiohttp.ClientSession() as session:
        yield session
