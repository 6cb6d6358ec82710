"""Injected faults: what a Fault is and the raw HTTP answers it produces."""

from __future__ import annotations

import json
import socket
import struct
from dataclasses import dataclass
from typing import Any

from aiohttp import web

FAULT_KINDS = ("status", "reset", "html", "malformed", "truncated", "stall", "redirect")
CODES = {
    400: "INVALIDINPUT",
    401: "AUTHENTICATIONFAILED",
    403: "AUTHENTICATIONFAILED",
    404: "RESOURCENOTFOUND",
    405: "UNSUPPORTEDHTTPVERB",
    429: "RATELIMITED",
    500: "INTERNALERROR",
    502: "BADGATEWAY",
    503: "SERVICEUNAVAILABLE",
    504: "GATEWAYTIMEOUT",
}
_DEFAULT_STATUS = {"status": 503, "html": 502, "redirect": 302}


@dataclass(frozen=True)
class Fault:
    """A fault the FakeAPI injects into matching requests (after auth and validation).

    ``route`` matches when it is a suffix of the matched Swagger route template
    ("/events" matches session and exam events; None matches every route). ``times`` is
    how many matching requests get it (None: forever). Kinds:

    - "status": a JSON error body with ``status`` (default 503), plus ``Retry-After``
      when ``retry_after`` is set (seconds, or an HTTP-date string sent verbatim);
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

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {', '.join(FAULT_KINDS)}")
        if self.times is not None and self.times < 0:
            raise ValueError("times must be >= 0 or None")

    def matches(self, template: str) -> bool:
        """Whether this fault applies to a route template."""
        return self.route is None or template.endswith(self.route)

    @property
    def effective_status(self) -> int:
        """The status this fault answers with."""
        status = self.status or _DEFAULT_STATUS.get(self.kind, 200)
        if self.kind == "redirect" and not 300 <= status < 400:
            return 302
        return status


def retry_after_text(value: float | str) -> str:
    """A Retry-After header value: strings verbatim, whole numbers without a decimal point."""
    if isinstance(value, str):
        return value
    return str(int(value)) if float(value).is_integer() else str(value)


def encode(payload: Any) -> bytes:
    """The JSON bytes of a payload."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON answer."""
    return web.Response(
        status=status, body=encode(payload), content_type="application/json", headers=headers
    )


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON error answer in the API's error shape."""
    return json_response(status, {"status": status, "code": code, "message": message}, headers)


def drop(request: web.BaseRequest) -> web.Response:
    """Reset the connection (RST, no response); the returned response is never sent."""
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    return web.Response(status=500)


async def truncated(request: web.BaseRequest, body: bytes) -> web.StreamResponse:
    """Send half of ``body`` under a Content-Length for all of it, then close."""
    response = web.StreamResponse(status=200)
    response.content_type = "application/json"
    response.content_length = len(body)
    await response.prepare(request)
    await response.write(body[: max(1, len(body) // 2)])
    if request.transport is not None:
        request.transport.close()
    return response


def fault_response(fault: Fault, url: str) -> web.Response:
    """The answer of the faults that need no normal body: status, html, malformed, redirect."""
    status = fault.effective_status
    if fault.kind == "status":
        headers = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = retry_after_text(fault.retry_after)
        return error_response(status, CODES.get(status, "ERROR"), "Injected fault", headers)
    if fault.kind == "html":
        page = (
            f"<html><head><title>{status} Error</title></head><body><h1>{status}</h1></body></html>"
        )
        return web.Response(status=status, text=page, content_type="text/html")
    if fault.kind == "malformed":
        body = b"{'total': 1, 'results': [None]} <!-- not JSON -->"
        return web.Response(status=200, body=body, content_type="application/json")
    return web.Response(status=status, headers={"Location": fault.location or url})
