"""Injected faults: what a Fault is, and ONE table saying how each kind answers.

The server looks a matching fault up after authentication, rate limiting and validation,
and hands the request to its kind's ``respond``, with the server's error style
(``errors.py``); nothing else in the fake knows the kinds. A kind that needs the normal
answer (stall, truncated) asks for it through ``Answer``, so the data may drift
(``insert_while_paging``) only when a page is served.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .errors import app_error, status_body
from .responses import encode, json_response, retry_after_text

Answer = Callable[[bool], Any]
"""The normal payload of the request; its argument says whether the data may drift."""
Respond = Callable[
    ["Fault", web.BaseRequest, str, Answer, str], Awaitable[web.StreamResponse | None]
]
"""How a kind answers (fault, request, its full URL, the normal answer, the error style);
None: the connection was dropped."""


@dataclass(frozen=True)
class Fault:
    """A fault the FakeAPI injects into matching requests (after auth and validation).

    ``route`` matches when it is a suffix of the matched Swagger route template
    ("/events" matches session and exam events; None matches every route). ``times`` is
    how many matching requests get it (None: forever). Kinds:

    - "status": a JSON error body with ``status`` (default 503) in the server's error
      style (a Boom body by default: ``{"statusCode": 503, "error": "Service
      Unavailable", "message": "Injected fault"}``, a 500 saying "An internal server
      error occurred"), plus ``Retry-After`` when ``retry_after`` is set (seconds, or an
      HTTP-date string sent verbatim); ``message`` replaces "Injected fault";
    - "statement_timeout": ``status`` (default 400) with the maker's body for an error
      nobody gave a status, ``{"code": "7000", "message": "canceling statement due to
      statement timeout", "status": 400}`` (``message`` replaces the text);
    - "database_error": ``status`` (default 400) with ``{"code": "1208", "message":
      "Database error occurred", "status": 400}`` (``message`` replaces the text);
    - "reset": the connection is dropped with no response;
    - "html": an HTML error page with ``status`` (default 502);
    - "malformed": 200, application/json, a body that is not JSON;
    - "truncated": 200, the start of the real JSON body, Content-Length announcing all
      of it, then the connection is closed;
    - "stall": sleep ``delay`` seconds, then answer normally;
    - "redirect": ``status`` if 3xx (default 302) to ``location`` (default: the same URL).
    """

    kind: str
    route: str | None = None
    times: int | None = 1
    status: int | None = None
    delay: float = 5.0
    location: str | None = None
    retry_after: float | str | None = None
    message: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {', '.join(KINDS)}")
        if self.times is not None and self.times < 0:
            raise ValueError("times must be >= 0 or None")

    def matches(self, template: str) -> bool:
        """Whether this fault applies to a route template."""
        return self.route is None or template.endswith(self.route)

    @property
    def effective_status(self) -> int:
        """The status this fault answers with (0 for a dropped connection)."""
        kind = KINDS[self.kind]
        status = self.status or kind.status
        if self.kind == "redirect" and not 300 <= status < 400:
            return kind.status
        return status

    async def respond(
        self, request: web.BaseRequest, url: str, answer: Answer, style: str = "framework"
    ) -> web.StreamResponse | None:
        """This fault's answer to ``request`` in error ``style``; None when dropped."""
        return await KINDS[self.kind].respond(self, request, url, answer, style)


async def _status(
    fault: Fault, request: web.BaseRequest, url: str, answer: Answer, style: str
) -> web.Response:
    headers = {}
    if fault.retry_after is not None:
        headers["Retry-After"] = retry_after_text(fault.retry_after)
    status = fault.effective_status
    return json_response(
        status, status_body(status, fault.message or "Injected fault", style), headers
    )


def _failure(code: str, text: str) -> Respond:
    # The maker's error module sends the same body whatever the style: it is the body.
    async def respond(
        fault: Fault, request: web.BaseRequest, url: str, answer: Answer, style: str
    ) -> web.Response:
        status = fault.effective_status
        return json_response(status, app_error(code, status, fault.message or text))

    return respond


async def _reset(
    fault: Fault, request: web.BaseRequest, url: str, answer: Answer, style: str
) -> None:
    # SO_LINGER 0 makes the close an RST: the client sees a reset, not a clean EOF.
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    return None


async def _html(
    fault: Fault, request: web.BaseRequest, url: str, answer: Answer, style: str
) -> web.Response:
    status = fault.effective_status
    page = f"<html><head><title>{status} Error</title></head><body><h1>{status}</h1></body></html>"
    return web.Response(status=status, text=page, content_type="text/html")


async def _malformed(
    fault: Fault, request: web.BaseRequest, url: str, answer: Answer, style: str
) -> web.Response:
    body = b"{'total': 1, 'results': [None]} <!-- not JSON -->"
    return web.Response(status=200, body=body, content_type="application/json")


async def _truncated(
    fault: Fault, request: web.BaseRequest, url: str, answer: Answer, style: str
) -> web.StreamResponse:
    # No drift: the client never got the page, so nothing "moved" while it paged.
    body = encode(answer(False))
    response = web.StreamResponse(status=200)
    response.content_type = "application/json"
    response.content_length = len(body)
    await response.prepare(request)
    await response.write(body[: max(1, len(body) // 2)])
    if request.transport is not None:
        request.transport.close()
    return response


async def _stall(
    fault: Fault, request: web.BaseRequest, url: str, answer: Answer, style: str
) -> web.Response:
    await asyncio.sleep(fault.delay)
    return json_response(200, answer(True))


async def _redirect(
    fault: Fault, request: web.BaseRequest, url: str, answer: Answer, style: str
) -> web.Response:
    return web.Response(status=fault.effective_status, headers={"Location": fault.location or url})


@dataclass(frozen=True)
class _Kind:
    status: int  # the status answered when the Fault names none (0: no answer at all)
    respond: Respond


KINDS: Mapping[str, _Kind] = {
    "status": _Kind(503, _status),
    "statement_timeout": _Kind(
        400, _failure("7000", "canceling statement due to statement timeout")
    ),
    "database_error": _Kind(400, _failure("1208", "Database error occurred")),
    "reset": _Kind(0, _reset),
    "html": _Kind(502, _html),
    "malformed": _Kind(200, _malformed),
    "truncated": _Kind(200, _truncated),
    "stall": _Kind(200, _stall),
    "redirect": _Kind(302, _redirect),
}
FAULT_KINDS = tuple(KINDS)
