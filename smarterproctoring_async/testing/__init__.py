"""A fake SmarterProctoring reporting API for tests, benchmarks and demos.

``FakeAPI`` is a real HTTP server on 127.0.0.1 (aiohttp.web) that answers every GET route
of the API maker's Swagger file like the real API, errors included, in the shapes of the
maker's framework (hapi, joi, its error module): a missing, wrong, expired or revoked
``token`` header answers 401 ``{"code": "5000", "message": "You are unauthorized to
access or perform this action on this resource.", "status": 401}``; path SIDs and query
parameters are checked against the Swagger parameters, a refusal being a Boom 400
``{"statusCode": 400, "error": "Bad Request", "message": "child \"limit\" fails because
[\"limit\" must be a number]", "validation": {"source": "query", "keys": ["limit"]}}``
(source ``params`` for a path SID); an unknown SID answers 404 ``{"code": "1200",
"message": "Data not found", "status": 404, "more_info": ...}``, an unknown route a Boom
404, 5xx and 429 Boom bodies. ``error_style="named"`` brings back the guide's
``{"status", "code", "message"}`` bodies (403 ``AUTHENTICATIONFAILED``, 400
``INVALIDINPUT``, 404 ``RESOURCENOTFOUND``). Lists have the real pagination envelope.
It serves a generated, deterministic data set (``FakeData``) and logs the requests it
gets (``FakeAPI.requests``). It shares no decoding, URL-building or transport code with
the client, so it does not share the client's bugs.

The token utilities answer as the maker's authentication module does: ``/v1/check``
``{"validated": true, "token": {...JWT claims...}}`` (sliding the token's expiry back),
``/v1/ttl`` ``{"ttl": N}`` (-1: never expires, -2: gone), ``/v1/permissions`` ``{"iam":
{...policy...}}``, and ``/v1/logout`` revokes the token.

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

Knobs are plain attributes that may change while the fake runs (``FakeAPI`` lists them
all): ``latency`` (seconds added to every answer), ``page_cap`` (most records a page
holds), ``max_limit`` (a larger ``limit`` is refused with a 400 naming ``limit``) and
``limit_refusal`` (its wording), ``total_overcount`` (added to every list's ``total``),
``grouped_results`` (examsByWeek answers ``results`` keyed by date), ``rate_limit`` and
``rate_burst`` (a server-side token bucket answering 429 with ``Retry-After``),
``error_style``, ``token_ttl`` (-1 never expires, -2 gone; ``revoke_token()`` logs out)
and ``denied_sids`` (SIDs outside the token's scope: 401 ``"5000"`` although the token
is valid). ``add_fault`` injects errors (also the 400s of a failing server,
``statement_timeout`` and ``database_error``), resets, malformed or truncated bodies,
stalls and redirects; ``insert_while_paging`` adds records while a client pages;
``close_session_after`` makes a session terminal after a delay and
``review_session_after`` completes its proctor review. ``fake.requests`` keeps the last
``request_log_size`` requests (10,000 by default) and exact counters over all of them
(``total``, ``by_route``, ``by_status``, ``by_fault``, ``max_in_flight``). ``python -m
smarterproctoring_async.testing`` runs the fake in its own process (its options set the
same knobs) and prints ``READY <base_url> <token>``, then one line of JSON with SIDs to
use (``summary``).

The fake answers only on the event loop that started it: reading ``base_url`` from
another loop while that one is idle raises ``FakeLoopError`` at once, instead of leaving
a client waiting for answers that never come.

Seeding: ``generate_data(seed=..., installs=..., exams=..., sessions_per_exam=...,
events=(min, max), annotations=(min, max))`` is deterministic; change the result before
(or while) serving it with ``data.add_session(status=..., events=..., annotations=...)``
(counts, or lists of field mappings), ``data.add_event(session, **fields)``,
``data.add_annotation(session, **fields)`` (fields checked, the rest filled in; see
``data.seeding``), ``data.set_status(...)``, ``data.set_review(...)``, or by editing its
records, which are plain dicts in wire form (see ``smarterproctoring_async.testing.data``).

Layout: ``server/`` (the HTTP side: app, routing, errors, tokens, faults, request log,
paging), ``data/`` (the generator and the data set), ``handlers/`` (one module per part
of the client's ``resources/``), ``pytest_plugin`` (fixtures).
"""

from .data import FakeData, FakeSession, generate_data
from .server import FakeAPI, FakeLoopError, Fault, RequestLog, RequestRecord

__all__ = [
    "FakeAPI",
    "FakeData",
    "FakeLoopError",
    "FakeSession",
    "Fault",
    "RequestLog",
    "RequestRecord",
    "generate_data",
]
