"""Handlers of the token utilities: /v1/check, /v1/ttl, /v1/permissions and /v1/logout.

The reference documents none of their responses; these are the shapes of the maker's
authentication module (see ``server.tokens``). The server refuses a missing, wrong,
expired or revoked token before any handler runs (401 ``"5000"``), so a handler here
only runs for a live token.
"""

from __future__ import annotations

from typing import Any

from ..server.tokens import TokenState, policy
from .base import Call, table

HANDLERS, handles = table()


def _state(call: Call) -> TokenState:
    if call.tokens is None:
        raise RuntimeError("the token utilities need the server's TokenState in the Call")
    return call.tokens


@handles("/v1/check")
def check(call: Call) -> Any:
    """``{"validated": true, "token": {...claims...}}``; the token's expiry slides back."""
    state = _state(call)
    state.touch()
    return {"validated": True, "token": state.claims()}


@handles("/v1/ttl")
def ttl(call: Call) -> Any:
    """``{"ttl": N}``: whole seconds the token has left; -1 if it never expires."""
    return {"ttl": _state(call).ttl()}


@handles("/v1/permissions")
def permissions(call: Call) -> Any:
    """``{"iam": {...}}``: the token's IAM policy document."""
    state = _state(call)
    return {"iam": policy([str(i["sid"]) for i in call.data.installs], state.denied)}


@handles("/v1/logout")
def logout(call: Call) -> Any:
    """``{"tokenDeleted": true}``; every later request with the token answers 401."""
    _state(call).revoke()
    return {"tokenDeleted": True}
