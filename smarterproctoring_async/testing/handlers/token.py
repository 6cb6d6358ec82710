"""Handlers of the token utilities: /v1/check, /v1/ttl and /v1/permissions.

The reference documents none of their responses; these shapes are plausible guesses.
The token itself is checked by the server before any handler runs (403
AUTHENTICATIONFAILED), so a handler here only runs for a valid token.
"""

from __future__ import annotations

from typing import Any

from .base import Call, table

HANDLERS, handles = table()

TOKEN_TTL = 3600  # seconds: the fake's tokens never come closer to expiring than this


@handles("/v1/check")
def check(call: Call) -> Any:
    """Authentication check: ``{"valid": true}``."""
    return {"valid": True}


@handles("/v1/ttl")
def ttl(call: Call) -> Any:
    """The token's time to live in whole seconds: ``{"ttl": 3600}``."""
    return {"ttl": TOKEN_TTL}


@handles("/v1/permissions")
def permissions(call: Call) -> Any:
    """What the token may do: ``{"permissions": [...]}``."""
    return {"permissions": ["reports:read", "sessions:read", "events:read", "annotations:read"]}
