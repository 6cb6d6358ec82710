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
import random
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
    "annotation",
    "answer",
    "closing",
    "endless_chunked",
    "event",
    "events_path",
    "exam_event",
    "exam_events_path",
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


def exam_events_path(ex: str = EX, *, ai: str = AI) -> str:
    """The exam-level event list: every event of every session of the exam."""
    return f"/v1/installs/{ai}/exams/{ex}/events"


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

_REASONS = {
    200: "OK",
    302: "Found",
    400: "Bad Request",
    404: "Not Found",
    429: "Too Many Requests",
}


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
_EXAM_EVENTS_ROUTE = re.compile(
    r"^/v1/installs/(?P<ai>AI[0-9a-f]{32})/exams/(?P<ex>EX[0-9a-f]{32})/events$"
)
_APPOINTMENTS_ROUTE = re.compile(r"^/v1/installs/(?P<ai>AI[0-9a-f]{32})/reports/appointments$")


def event(es: str, n: int) -> dict[str, Any]:
    """Event report ``n`` of session ``es``: its own SID and a subject naming both.

    The SID holds the first 24 hex digits of the session's: events of sessions whose
    SIDs differ only at the end (``sid("ES", k)``) share SIDs. Use :func:`exam_event`
    where events of several sessions meet in one list.
    """
    return {
        "sid": f"ER{es[2:26]}{n:08x}",
        "subject": f"event {n} of {es}",
        "status": "Open",
        "createdDate": "2024-05-01T10:00:00.000Z",
    }


def exam_event(es: str, n: int) -> dict[str, Any]:
    """Like :func:`event`, but the SID holds the last 24 hex digits of the session's:
    unique across the sessions of a test (as real event SIDs are)."""
    return {**event(es, n), "sid": f"ER{es[-24:]}{n:08x}"}


def annotation(es: str, n: int) -> dict[str, Any]:
    """Annotation ``n`` of session ``es`` (an ``AN`` SID unique across sessions)."""
    return {
        "sid": f"AN{es[-24:]}{n:08x}",
        "severity": "green",
        "title": f"note {n} of {es}",
        "createdDate": "2024-05-01T10:05:00.000Z",
    }


@dataclass
class MiniAPI:
    """An honest API over ``sessions`` (session SID -> its event count).

    Details, events and annotations of each session, the appointments report (one row
    per session, filtered by ``examSid`` and ``status`` when asked) and each exam's
    exam-level event list are served; pages hold at most ``limit`` records and at most
    ``page_cap``. ``delay`` is added before every answer. ``fault(request)`` may return
    a handler that answers instead (a fault); ``None`` lets the honest answer through.

    By default every session is of exam ``ex`` and Closed, without annotations, and
    the report rows carry no ``appointmentDate``. The other knobs:

    - ``exam_of``/``status_of``/``annotation_counts``: per session, its exam (else
      ``ex``), its status (else ``"Closed"``) and how many annotations it has;
    - ``appointment_dates``: report rows carry an ``appointmentDate``;
    - ``make_event``: the event of a session and an index (:func:`exam_event` for
      SIDs unique across sessions);
    - the exam-level list serves the events of the exam's sessions interleaved (each
      session's in its own order; the interleaving is fixed by ``seed``), each row
      with ``sessionSid``, ``examSid`` and ``installSid``. ``row_session_sid=False``
      leaves ``sessionSid`` out, ``row_session_sid_as``/``row_exam_sid``/
      ``row_install_sid`` put another session's/exam's/install's SID on the rows;
      ``odd_rows(exam, index)`` restricts those changes to the rows it selects (by
      their exam and their index in that exam's list);
    - ``max_limit``: a list request asking more answers 400 INVALIDINPUT naming limit;
    - ``total_cap``: the announced total is at most this; ``total_is_page``: the
      announced total is the length of the page sent.
    """

    sessions: dict[str, int]
    page_cap: int | None = None
    delay: float = 0.0
    ai: str = AI
    ex: str = EX
    fault: Callable[[Request], Handler | None] | None = None
    exam_of: dict[str, str] = field(default_factory=dict)
    status_of: dict[str, str] = field(default_factory=dict)
    annotation_counts: dict[str, int] = field(default_factory=dict)
    appointment_dates: bool = False
    make_event: Callable[[str, int], dict[str, Any]] = event
    seed: int = 0
    row_session_sid: bool = True
    row_session_sid_as: str | None = None
    row_exam_sid: str | None = None
    row_install_sid: str | None = None
    odd_rows: Callable[[str, int], bool] | None = None
    max_limit: int | None = None
    total_cap: int | None = None
    total_is_page: bool = False
    events: dict[str, list[dict[str, Any]]] = field(init=False)
    annotations: dict[str, list[dict[str, Any]]] = field(init=False)
    exam_order: dict[str, list[tuple[str, int]]] = field(init=False)

    def __post_init__(self) -> None:
        make = self.make_event
        self.events = {
            es: [make(es, n) for n in range(count)] for es, count in self.sessions.items()
        }
        self.annotations = {
            es: [annotation(es, n) for n in range(self.annotation_counts.get(es, 0))]
            for es in self.sessions
        }
        rng = random.Random(self.seed)
        self.exam_order = {}
        for ex in dict.fromkeys(self.exam(es) for es in self.sessions):
            # A random merge of the exam's sessions: each session's events stay in order.
            slots = [
                es for es in self.sessions if self.exam(es) == ex for _ in range(self.sessions[es])
            ]
            rng.shuffle(slots)
            taken = dict.fromkeys(self.sessions, 0)
            order: list[tuple[str, int]] = []
            for es in slots:
                order.append((es, taken[es]))
                taken[es] += 1
            self.exam_order[ex] = order

    def exam(self, es: str) -> str:
        return self.exam_of.get(es, self.ex)

    def exams(self) -> list[str]:
        """The exams of the sessions, in the order of their first session."""
        return list(dict.fromkeys(self.exam(es) for es in self.sessions))

    def status(self, es: str) -> str:
        return self.status_of.get(es, "Closed")

    def refs(self) -> list[tuple[str, str, str]]:
        return [(self.ai, self.exam(es), es) for es in self.sessions]

    def details(self, es: str) -> dict[str, Any]:
        return {
            "sid": es,
            "installSid": self.ai,
            "examSid": self.exam(es),
            "status": self.status(es),
        }

    def appointment(self, es: str) -> dict[str, Any]:
        """The appointments report's row of session ``es``."""
        row = {
            "sid": es,
            "examSid": self.exam(es),
            "installSid": self.ai,
            "status": self.status(es),
        }
        if self.appointment_dates:
            row["appointmentDate"] = "2024-05-01T09:00:00.000Z"
        return row

    def exam_rows(self, ex: str) -> list[dict[str, Any]]:
        """The exam-level event list of exam ``ex``, as served (the switches applied)."""
        rows: list[dict[str, Any]] = []
        for index, (es, n) in enumerate(self.exam_order.get(ex, [])):
            row = {**self.events[es][n], "sessionSid": es, "examSid": ex, "installSid": self.ai}
            if self.odd_rows is None or self.odd_rows(ex, index):
                if self.row_session_sid_as is not None:
                    row["sessionSid"] = self.row_session_sid_as
                if not self.row_session_sid:
                    del row["sessionSid"]
                if self.row_exam_sid is not None:
                    row["examSid"] = self.row_exam_sid
                if self.row_install_sid is not None:
                    row["installSid"] = self.row_install_sid
            rows.append(row)
        return rows

    def _page(self, rows: Sequence[Any], request: Request) -> bytes:
        offset, limit = request.offset, request.limit
        if self.max_limit is not None and limit > self.max_limit:
            refusal = {"code": "INVALIDINPUT", "message": f"limit must be <= {self.max_limit}"}
            return json_response(refusal, 400)
        if self.page_cap is not None:
            limit = min(limit, self.page_cap)
        chunk = rows[offset : offset + limit]
        total = len(chunk) if self.total_is_page else len(rows)
        if self.total_cap is not None:
            total = min(total, self.total_cap)
        return json_response(page(chunk, total=total, offset=offset))

    def honest(self, request: Request) -> bytes:
        found = _SESSION_ROUTE.match(request.path)
        if found and found["ai"] == self.ai and found["ex"] in [*self.exams(), self.ex]:
            es = found["es"]
            if es not in self.sessions or self.exam(es) != found["ex"]:
                return json_response({"code": "RESOURCENOTFOUND", "message": "no session"}, 404)
            if found["rest"] == "/events":
                return self._page(self.events[es], request)
            if found["rest"] == "/annotations":
                return self._page(self.annotations[es], request)
            return json_response(self.details(es))
        found = _EXAM_EVENTS_ROUTE.match(request.path)
        if found and found["ai"] == self.ai and found["ex"] in self.exams():
            return self._page(self.exam_rows(found["ex"]), request)
        found = _APPOINTMENTS_ROUTE.match(request.path)
        if found and found["ai"] == self.ai:
            query = request.query
            rows = [
                self.appointment(es)
                for es in self.sessions
                if query.get("examSid", self.exam(es)) == self.exam(es)
                and query.get("status", self.status(es)) == self.status(es)
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
