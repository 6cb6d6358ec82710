"""The routes added after the hardening, against the hostile server: unknown shapes are
loud, a status endpoint that cannot answer is not trusted, and the escape hatch pages
with the same guards as every list."""

from __future__ import annotations

import anyio
import pytest

import smarterproctoring_async as sp

from ._helpers import connected, session_of
from ._server import AI, ES, Conn, Request, json_response, page, response, session_path


async def test_annotation_types_of_an_unknown_shape_are_an_error_not_an_empty_list() -> None:
    async def types(request: Request, conn: Conn) -> None:
        await conn.send(json_response({"types": [{"id": "t1"}]}))

    async with connected(types) as (_server, client):
        with pytest.raises(sp.DecodeError, match="results"):
            await client.install(AI).annotation_types()

    async def bare(request: Request, conn: Conn) -> None:
        await conn.send(json_response([{"id": "t1"}, {"id": "t2"}]))

    async with connected(bare) as (_server, client):
        found = await client.install(AI).annotation_types()
        assert [t.extra["id"] for t in found] == ["t1", "t2"]


async def test_a_status_endpoint_that_cannot_answer_falls_back_to_the_details() -> None:
    polls = {"details": 0}

    async def handler(request: Request, conn: Conn) -> None:
        if request.path.endswith("/status"):
            await conn.send(response(200, b"<html>maintenance</html>", content_type="text/html"))
            return
        assert request.path == session_path()
        polls["details"] += 1
        status = "Closed" if polls["details"] >= 3 else "Scheduled"
        await conn.send(json_response({"sid": ES, "status": status}))

    async with connected(handler) as (server, client):
        with anyio.fail_after(5):
            done = await session_of(client).wait_until_terminal(poll_interval=0.01, timeout=5)
        assert done.status == "Closed"
        # The undecodable status answer was read once (then once more: a 2xx that is not
        # JSON is retried once), and never again: every later poll read the details.
        assert sum(r.path.endswith("/status") for r in server.requests) == 2
        assert polls["details"] == 3


async def test_the_escape_hatch_refuses_a_server_that_ignores_offset() -> None:
    rows = [{"sid": f"row{n}"} for n in range(5)]

    async def same_page(request: Request, conn: Conn) -> None:
        await conn.send(json_response(page(rows, total=1000)))

    async with connected(same_page, page_size=5) as (server, client):
        with pytest.raises(sp.DecodeError, match="offset"):
            await client.paginate("/v1/installs/{installSid}/audit", installSid=AI).collect()
        assert len(server.requests) <= 10
