"""The raw HTTP answers the fake sends: JSON bodies and Retry-After values (the error
bodies are ``errors.py``'s)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web


def encode(payload: Any) -> bytes:
    """The JSON bytes of a payload."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON answer."""
    return web.Response(
        status=status, body=encode(payload), content_type="application/json", headers=headers
    )


def retry_after_text(value: float | str) -> str:
    """A Retry-After header value: strings verbatim, whole numbers without a decimal point."""
    if isinstance(value, str):
        return value
    return str(int(value)) if float(value).is_integer() else str(value)
