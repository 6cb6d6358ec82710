"""A fake SmarterProctoring reporting API for tests, benchmarks and demos.

``FakeAPI`` is a real HTTP server on 127.0.0.1 (aiohttp.web) that answers every GET route
of the API maker's Swagger file like the real API: the ``token`` header (403
``AUTHENTICATIONFAILED``), path SIDs and query parameters checked against the Swagger
parameters (400 ``INVALIDINPUT``), unknown SIDs (404 ``RESOURCENOTFOUND``), and the
real pagination envelope. It serves a generated, deterministic data set (``FakeData``)
and records every request it gets (``FakeAPI.requests``). It shares no code with the
client, so it does not share the client's bugs.

In a pytest-asyncio suite, start one per test and point your code at it::

    import pytest
    from smarterproctoring_async.testing import FakeAPI, Fault, generate_data

    @pytest.fixture
    async def fake_api():
        async with FakeAPI(generate_data(seed=1, sessions_per_exam=5)) as fake:
            yield fake

    async def test_sync_survives_a_flaky_api(fake_api):
        fake_api.add_fault(Fault("status", route="/events", status=503, times=2))
        fake_api.page_cap = 20  # the server returns at most 20 records a page
        session = next(s for s in fake_api.data.sessions if s.status == "Closed")
        synced = await my_sync(fake_api.base_url, fake_api.token, session.sid)
        assert [e["sid"] for e in synced] == [e["sid"] for e in session.events]
        assert any(r.status == 503 for r in fake_api.requests)

Knobs are plain attributes that may change while the fake runs: ``latency`` (seconds
added to every answer), ``page_cap`` (most records a page holds), ``rate_limit`` and
``rate_burst`` (a server-side token bucket answering 429 with ``Retry-After``).
``add_fault`` injects errors, resets, malformed or truncated bodies, stalls and redirects;
``insert_while_paging`` adds records while a client pages; ``close_session_after`` makes
a session terminal after a delay. ``python -m smarterproctoring_async.testing`` runs the
fake in its own process and prints ``READY <base_url> <token>``.
"""

from ._data import FakeData, FakeSession, generate_data
from ._faults import Fault
from ._server import FakeAPI, RequestRecord

__all__ = ["FakeAPI", "FakeData", "FakeSession", "Fault", "RequestRecord", "generate_data"]
