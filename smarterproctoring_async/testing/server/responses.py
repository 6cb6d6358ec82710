"""The raw HTTP answers the fake sends: JSON bodies, the API's error shape, Retry-After."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

# The error code names of the API's guide (403 AUTHENTICATIONFAILED, not 401), plus the
# sister API's names for the statuses the proctoring guide does not list.
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


def encode(payload: Any) -> bytes:
    """The JSON bytes of a payload."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON answer."""
    return web.Response(
        status=status, body=encode(payload), content_type="application/json", headers=headers
    )


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None, code: str | None = None
) -> web.Response:
    """A JSON error answer in the API's error shape; ``code`` defaults to the status's."""
    body = {"status": status, "code": code or CODES.get(status, "ERROR"), "message": message}
    return json_response(status, body, headers)


def retry_after_text(value: float | str) -> str:
    """A Retry-After header value: strings verbatim, whole numbers without a decimal point."""
    if isinstance(value, str):
        return value
    return str(int(value)) if float(value).is_integer() else str(value)
