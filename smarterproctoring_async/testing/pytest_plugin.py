"""pytest fixtures for suites that test code built on this SDK (loaded automatically).

``smarterproctoring_fake`` is a running :class:`~smarterproctoring_async.testing.FakeAPI`
on 127.0.0.1 with the default generated data; ``smarterproctoring_client`` is a
:class:`~smarterproctoring_async.Client` pointed at it, with fast retries and no
rate limit. Both are function-scoped async fixtures, so each test gets its own, on
its own event loop, under pytest-asyncio in strict or auto mode::

    import smarterproctoring_async as sp

    async def test_sync(smarterproctoring_client, smarterproctoring_fake):
        s = smarterproctoring_fake.data.sessions[0]
        ref = sp.SessionRef(s.install_sid, s.exam_sid, s.sid)
        details = await smarterproctoring_client.session(ref).get()
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .. import Client
    from . import FakeAPI

__all__ = ["smarterproctoring_client", "smarterproctoring_fake"]


try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - the fixtures need pytest-asyncio; without it, none
    pass
else:

    @pytest_asyncio.fixture
    async def smarterproctoring_fake() -> AsyncIterator[FakeAPI]:
        """A running fake API with the default data set (``generate_data(seed=0)``)."""
        from . import FakeAPI  # imported on use: loading the plugin stays cheap

        async with FakeAPI() as fake:
            yield fake

    @pytest_asyncio.fixture
    async def smarterproctoring_client(smarterproctoring_fake: FakeAPI) -> AsyncIterator[Client]:
        """A client of ``smarterproctoring_fake``: no rate limit, retries 10 ms apart."""
        from .. import Client, RetryPolicy

        retry = RetryPolicy(base_delay=0.01, max_delay=0.05)
        async with Client(
            smarterproctoring_fake.token,
            base_url=smarterproctoring_fake.base_url,
            rate_limit=None,
            retry=retry,
        ) as client:
            yield client
