"""What the hostile tests share on the client side: clients, handles, the child process."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

import smarterproctoring_async as sp

from ._server import AI, ES, EX, Conn, Handler, RawServer, Request

TOKEN = "hostile-token-0123456789abcdef"

#: Fast retries: every test stays well under a second per retried request.
FAST = sp.RetryPolicy(base_delay=0.001, max_delay=0.01)

CHILD = Path(__file__).with_name("_child.py")


def make_client(base_url: str, **options: Any) -> sp.Client:
    """A client of ``base_url``: page size 10, no rate limit, 5 s timeout, fast retries."""
    options.setdefault("rate_limit", None)
    options.setdefault("retry", FAST)
    options.setdefault("timeout", 5.0)
    options.setdefault("page_size", 10)
    return sp.Client(options.pop("token", TOKEN), base_url=base_url, **options)


def session_of(client: sp.Client, es: str = ES, *, ai: str = AI, ex: str = EX) -> sp.Session:
    return client.install(ai).exam(ex).session(es)


def ref(es: str, *, ai: str = AI, ex: str = EX) -> sp.SessionRef:
    return sp.SessionRef(install_sid=ai, exam_sid=ex, session_sid=es)


async def run_child(spec: dict[str, Any], *, timeout: float = 20.0) -> dict[str, Any]:
    """Run ``_child.py`` with ``spec``; its JSON report. Killed after ``timeout`` seconds."""
    spec = {"token": TOKEN, "sids": [AI, EX, ES], **spec}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(CHILD),
        json.dumps(spec),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except asyncio.TimeoutError:
        proc.kill()
        await proc.communicate()
        raise AssertionError(
            f"the client process did not finish within {timeout} s (a blocked event loop?)"
        ) from None
    lines = out.decode().strip().splitlines()
    assert proc.returncode == 0 and lines, (
        f"child failed ({proc.returncode}): {err.decode()[-2000:]}"
    )
    report: dict[str, Any] = json.loads(lines[-1])
    return report


@asynccontextmanager
async def connected(
    handler: Handler, *, max_requests: int = 2_000, **options: Any
) -> AsyncIterator[tuple[RawServer, sp.Client]]:
    """A running :class:`RawServer` with ``handler`` and a client of it (see make_client)."""
    async with (
        RawServer(handler, max_requests=max_requests) as server,
        make_client(server.base_url, **options) as client,
    ):
        yield server, client


class Box:
    """The bytes a :func:`replaying` server sends for the current request."""

    data = b""


@asynccontextmanager
async def replaying() -> AsyncIterator[tuple[RawServer, Box]]:
    """A server answering every request with ``box.data`` as it is at that moment, then
    closing the connection (which also ends a body sent until close)."""
    box = Box()

    async def handle(request: Request, conn: Conn) -> None:
        await conn.send(box.data)
        conn.close()

    async with RawServer(handle, max_requests=1_000_000) as server:
        yield server, box


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The SDK's WARNING (and worse) lines that ``caplog`` holds."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.name.startswith("smarterproctoring_async")
    ]
