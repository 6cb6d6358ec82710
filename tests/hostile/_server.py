"""A small hostile HTTP/1.1 server for the SDK's tests, written from scratch.

It shares no code with ``smarterproctoring_async`` nor with its fake API
(``smarterproctoring_async.testing``): paths, SIDs, pages and JSON are spelled out by
hand here, so a test cannot inherit the client's own assumptions about the wire.

:class:`RawServer` is ``asyncio.start_server`` on loopback. It parses each request
head itself, records it (:class:`Request`), and hands the raw connection
(:class:`Conn`) to a handler, which may write any bytes at all: a valid response, a
garbage status line, a body that never ends, a gzip bomb, or nothing before a reset.
Every loop here is bounded, in count and in time; a server stops answering (it drops
each new request) after ``max_requests`` requests, so a client that loops forever
fails quickly instead of hammering the machine.

:class:`MiniAPI` is a handler serving sessions, their event and annotation pages and
the appointments report honestly, with a ``fault`` hook that replaces any answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import ssl as _ssl
import struct
import time
import zlib
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

__all__ = [
    "AI",
    "ES",
    "EX",
    "Conn",
    "Handler",
    "MiniAPI",
    "RawServer",
    "Request",
    "answer",
    "closing",
    "endless_chunked",
    "events_path",
    "gzip_bomb",
    "huge_body",
    "json_response",
    "nested_json",
    "page",
    "reset",
    "response",
    "session_path",
    "sid",
    "stall",
]


def sid(prefix: str, n: int) -> str:
    """A well-formed SID: the 2-letter prefix and ``n`` as 32 lowercase hex digits."""
    return f"{prefix}{n:032x}"


AI = "AI" + "a" * 32
EX = "EX" + "b" * 32
ES = "ES" + "c" * 32


def session_path(es: str = ES, *, ai: str = AI, ex: str = EX) -> str:
    """``/v1/installs/{AI}/exams/{EX}/sessions/{ES}``."""
    return f"/v1/installs/{ai}/exams/{ex}/sessions/{es}"


def events_path(es: str = ES, *, ai: str = AI, ex: str = EX) -> str:
    """The event reports of one session."""
    return session_path(es, ai=ai, ex=ex) + "/events"


# --------------------------------------------------------------------------- requests


@dataclass(frozen=True)
class Request:
    """One request head as it arrived. ``headers`` has lower-cased names."""

    time: float  # time.monotonic() when the head had been read
    method: str
    target: str  # as sent: origin-form (/path?q) or absolute-form (http://h/path?q)
    version: str
    headers: dict[str, str]

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
        """The query pairs (the first value of each name)."""
        pairs = parse_qsl(urlsplit(self.target).query, keep_blank_values=True)
        found: dict[str, str] = {}
        for key, value in pairs:
            found.setdefault(key, value)
        return found

    @property
    def offset(self) -> int:
        return int(self.query.get("offset", "0"))

    @property
    def limit(self) -> int:
        return int(self.query.get("limit", "50"))


class Conn:
    """The client's connection as a handler sees it."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.closed = False

    async def send(self, data: bytes) -> None:
        """Write ``data`` and wait until the socket took it."""
        self.writer.write(data)
        await self.writer.drain()

    def close(self) -> None:
        """An orderly close (FIN) after what was written."""
        self.closed = True
        self.writer.close()

    def reset(self) -> None:
        """Drop the connection with a TCP RST (SO_LINGER 0), unsent data discarded."""
        self.closed = True
        sock = self.writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()


Handler = Callable[[Request, Conn], Awaitable[None]]

_HEAD_LIMIT = 64 * 1024


class RawServer:
    """``async with RawServer(handler) as server``: ``server.port``, ``server.requests``.

    ``connections`` counts accepted connections (also those that never sent a request,
    such as a TLS handshake to a plain server). After ``max_requests`` requests every
    further one is dropped without an answer.
    """

    def __init__(
        self,
        handler: Handler,
        *,
        host: str = "127.0.0.1",
        ssl: _ssl.SSLContext | None = None,
        max_requests: int = 2_000,
    ) -> None:
        self.handler = handler
        self.host = host
        self.ssl = ssl
        self.max_requests = max_requests
        self.port = 0
        self.requests: list[Request] = []
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def base_url(self) -> str:
        scheme = "https" if self.ssl is not None else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    async def __aenter__(self) -> RawServer:
        self._server = await asyncio.start_server(
            self._serve, self.host, 0, ssl=self.ssl, limit=_HEAD_LIMIT
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def stop(self) -> None:
        """Stop listening, abort every open connection and wait for its handler."""
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        self.connections += 1
        conn = Conn(reader, writer)
        try:
            while not conn.closed and len(self.requests) < self.max_requests:
                request = await _read_request(reader)
                if request is None:
                    break
                self.requests.append(request)
                await self.handler(request, conn)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass  # the client went away or sent garbage: that connection is over
        except asyncio.CancelledError:
            pass  # the server is stopping
        finally:
            self._writers.discard(writer)
            writer.transport.abort()
            self._tasks.discard(task)


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    stamp = time.monotonic()
    lines = head.decode("latin-1").split("\r\n")
    method, target, version = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or "0")
    if length:
        await reader.readexactly(min(length, _HEAD_LIMIT))
    return Request(stamp, method, target, version, headers)


# --------------------------------------------------------------------------- responses

_REASONS = {200: "OK", 302: "Found", 404: "Not Found", 429: "Too Many Requests"}


def response(
    status: int,
    body: bytes = b"",
    *,
    headers: Iterable[tuple[str, str]] = (),
    content_type: str | None = "application/json",
    length: int | None = None,
    reason: str | None = None,
) -> bytes:
    """Response bytes with a ``Content-Length`` (``length`` overrides the true one)."""
    lines = [f"HTTP/1.1 {status} {reason or _REASONS.get(status, 'Whatever')}"]
    if content_type is not None:
        lines.append(f"Content-Type: {content_type}")
    lines.append(f"Content-Length: {len(body) if length is None else length}")
    lines.extend(f"{name}: {value}" for name, value in headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def json_response(
    value: Any, status: int = 200, *, headers: Iterable[tuple[str, str]] = ()
) -> bytes:
    return response(status, json.dumps(value).encode(), headers=headers)


def page(
    results: Sequence[Any], *, total: Any = None, offset: int = 0, **extra: Any
) -> dict[str, Any]:
    """A page object; ``total=None`` leaves the field out."""
    body: dict[str, Any] = {"offset": offset, "count": len(results), "results": list(results)}
    if total is not None:
        body["total"] = total
    body.update(extra)
    return body


def nested_json(depth: int) -> bytes:
    """``[[[...]]]``: valid JSON nested ``depth`` levels deep."""
    return b"[" * depth + b"]" * depth


def answer(data: bytes) -> Handler:
    """A handler sending the same bytes to every request (the connection stays open)."""

    async def handle(request: Request, conn: Conn) -> None:
        await conn.send(data)

    return handle


def closing(data: bytes) -> Handler:
    """A handler sending ``data`` and then closing the connection."""

    async def handle(request: Request, conn: Conn) -> None:
        await conn.send(data)
        conn.close()

    return handle


async def reset(request: Request, conn: Conn) -> None:
    """A handler answering nothing: the connection is reset."""
    conn.reset()


def stall(seconds: float, then: Handler) -> Handler:
    """Wait ``seconds`` before handing the request to ``then``."""

    async def handle(request: Request, conn: Conn) -> None:
        await asyncio.sleep(seconds)
        await then(request, conn)

    return handle


def huge_body(size: int, *, announce: bool = True, chunk: int = 1 << 20) -> Handler:
    """A 200 JSON response of ``size`` bytes, sent in chunks: with a ``Content-Length``
    when ``announce``, else delimited by the end of the connection."""
    block = b" " * chunk
    unannounced = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"

    async def handle(request: Request, conn: Conn) -> None:
        await conn.send(response(200, length=size) if announce else unannounced)
        sent = 0
        while sent < size:
            part = block[: min(chunk, size - sent)]
            await conn.send(part)
            sent += len(part)
        conn.close()

    return handle


def endless_chunked(
    *, chunk: int = 64 * 1024, cap: int = 256 << 20, seconds: float = 30.0
) -> Handler:
    """A chunked 200 body that never ends: ``cap`` bytes at most, then silence until
    ``seconds`` passed (the client should have given up long before)."""
    frame = f"{chunk:x}\r\n".encode() + b" " * chunk + b"\r\n"
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )

    async def handle(request: Request, conn: Conn) -> None:
        deadline = time.monotonic() + seconds
        await conn.send(head + b"5\r\n[    \r\n")
        sent = 0
        while sent < cap and time.monotonic() < deadline:
            await conn.send(frame)
            sent += chunk
        await asyncio.sleep(max(0.0, deadline - time.monotonic()))
        conn.close()

    return handle


def gzip_bomb(inflated: int = 1 << 30, *, block: int = 1 << 20) -> bytes:
    """A valid gzip member of about ``inflated / 1000`` bytes that inflates to ``inflated``
    zero bytes (a multiple of ``block``). After a full flush the deflate state is reset,
    so every further block compresses to the very same bytes: built in well under 1 s."""
    zeros = bytes(block)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    unit = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    end = deflate.flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(inflated // block):
        crc = zlib.crc32(zeros, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = struct.pack("<II", crc, inflated & 0xFFFFFFFF)
    return header + unit * (inflated // block) + end + trailer


# --------------------------------------------------------------------------- a mini API

_SESSION_ROUTE = re.compile(
    r"^/v1/installs/(?P<ai>AI[0-9a-f]{32})/exams/(?P<ex>EX[0-9a-f]{32})"
    r"/sessions/(?P<es>ES[0-9a-f]{32})(?P<rest>/events|/annotations)?$"
)
_APPOINTMENTS_ROUTE = re.compile(r"^/v1/installs/(?P<ai>AI[0-9a-f]{32})/reports/appointments$")


def event(es: str, n: int) -> dict[str, Any]:
    """Event report ``n`` of session ``es``: its own SID and a subject naming both."""
    return {
        "sid": f"ER{es[2:26]}{n:08x}",
        "subject": f"event {n} of {es}",
        "status": "Open",
        "createdDate": "2024-05-01T10:00:00.000Z",
    }


@dataclass
class MiniAPI:
    """An honest API over ``sessions`` (session SID -> its event count), all of one exam.

    Details, events and annotations of each session, and the appointments report (one
    row per session) are served; pages hold at most ``limit`` records and at most
    ``page_cap``. ``delay`` is added before every answer. ``fault(request)`` may return
    a handler that answers instead (a fault); ``None`` lets the honest answer through.
    """

    sessions: dict[str, int]
    page_cap: int | None = None
    delay: float = 0.0
    ai: str = AI
    ex: str = EX
    fault: Callable[[Request], Handler | None] | None = None
    events: dict[str, list[dict[str, Any]]] = field(init=False)

    def __post_init__(self) -> None:
        self.events = {
            es: [event(es, n) for n in range(count)] for es, count in self.sessions.items()
        }

    def refs(self) -> list[tuple[str, str, str]]:
        return [(self.ai, self.ex, es) for es in self.sessions]

    def details(self, es: str) -> dict[str, Any]:
        return {"sid": es, "installSid": self.ai, "examSid": self.ex, "status": "Closed"}

    def _page(self, rows: Sequence[Any], request: Request) -> bytes:
        offset, limit = request.offset, request.limit
        if self.page_cap is not None:
            limit = min(limit, self.page_cap)
        chunk = rows[offset : offset + limit]
        return json_response(page(chunk, total=len(rows), offset=offset))

    def honest(self, request: Request) -> bytes:
        found = _SESSION_ROUTE.match(request.path)
        if found and found["ai"] == self.ai and found["ex"] == self.ex:
            es = found["es"]
            if es not in self.sessions:
                return json_response({"code": "RESOURCENOTFOUND", "message": "no session"}, 404)
            if found["rest"] == "/events":
                return self._page(self.events[es], request)
            if found["rest"] == "/annotations":
                return self._page([], request)
            return json_response(self.details(es))
        found = _APPOINTMENTS_ROUTE.match(request.path)
        if found and found["ai"] == self.ai:
            rows = [
                {"sid": es, "examSid": self.ex, "installSid": self.ai, "status": "Closed"}
                for es in self.sessions
            ]
            return self._page(rows, request)
        return json_response({"code": "RESOURCENOTFOUND", "message": "no route"}, 404)

    async def __call__(self, request: Request, conn: Conn) -> None:
        if self.delay:
            await asyncio.sleep(self.delay)
        instead = self.fault(request) if self.fault is not None else None
        if instead is not None:
            await instead(request, conn)
            return
        await conn.send(self.honest(request))
