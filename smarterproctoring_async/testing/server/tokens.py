"""The fake's one token, kept the way the maker's authentication module keeps tokens.

That module stores each token in Redis under a sliding expiry: ``/v1/ttl`` answers the
key's TTL (-1: it never expires, -2: it is gone), ``/v1/check`` pushes the expiry back
to the full window and answers the token's JWT claims, ``/v1/permissions`` answers the
token's IAM policy document, and ``/v1/logout`` deletes the key. A token whose key is
gone is refused everywhere (401, code "5000").
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Collection, Iterable
from time import monotonic
from typing import Any

from ..data.records import now_ms

NEVER = -1
"""``token_ttl``: the token never expires."""
GONE = -2
"""``token_ttl``: the token is gone (expired or revoked)."""
DEFAULT_TTL = 3600
"""Seconds a fresh token lives, and the window ``/v1/check`` slides its expiry back to."""


class TokenState:
    """The fake's token: its expiry, revocation, scope, claims and permissions.

    ``denied`` holds the SIDs outside the token's scope: a request whose path names one
    is refused although the token itself is fine.
    """

    def __init__(self, token: str, ttl: int = DEFAULT_TTL, denied: Iterable[str] = ()) -> None:
        self.token = token
        self.denied: set[str] = set(denied)
        self.created_ms = now_ms()
        self.window = DEFAULT_TTL
        self._deadline: float | None = None
        self._gone = False
        self.set_ttl(ttl)

    def set_ttl(self, ttl: int) -> None:
        """Set the TTL as a new login would: seconds from now, ``NEVER`` or ``GONE``.

        A positive TTL is also the window ``/v1/check`` slides the expiry back to.
        """
        if (
            isinstance(ttl, bool)
            or not isinstance(ttl, int)
            or (ttl < 0 and ttl not in (NEVER, GONE))
        ):
            raise ValueError(f"token_ttl must be seconds (>= 0), -1 or -2, not {ttl!r}")
        self._gone = ttl in (GONE, 0)
        self._deadline = None
        if ttl > 0:
            self.window = ttl
            self._deadline = monotonic() + ttl

    def ttl(self) -> int:
        """Whole seconds left (rounded, as Redis does), ``NEVER`` or ``GONE``."""
        if self._gone:
            return GONE
        if self._deadline is None:
            return NEVER
        left = self._deadline - monotonic()
        if left <= 0:
            self._gone = True
            return GONE
        return max(1, int(left + 0.5))

    def accepts(self, token: str | None) -> bool:
        """Whether a request with ``token`` is authenticated."""
        return token == self.token and self.ttl() != GONE

    def out_of_scope(self, path: str) -> bool:
        """Whether a segment of ``path`` is a denied SID."""
        return bool(self.denied) and not self.denied.isdisjoint(path.split("/"))

    def touch(self) -> None:
        """``/v1/check``: the expiry slides back to the full window (never: stays never)."""
        # The module's EXPIRE would start a clock on a never-expiring key too; kept at -1
        # here so that a test asking for a token that never expires gets one.
        if self._deadline is not None and self.ttl() != GONE:
            self._deadline = monotonic() + self.window

    def revoke(self) -> None:
        """``/v1/logout``: the token is gone from now on."""
        self._gone = True

    def claims(self) -> dict[str, Any]:
        """The token's JWT payload if it is a JWT, else claims such a payload would hold."""
        decoded = jwt_payload(self.token)
        if decoded is not None:
            return decoded
        return {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"fake-token:{self.token}")),
            "create_time": self.created_ms,
            "timeout": self.window,
        }


def jwt_payload(token: str) -> dict[str, Any] | None:
    """The JSON object in a JWT's middle segment, None if ``token`` is not such a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    segment = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        payload = json.loads(base64.urlsafe_b64decode(segment.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        return None
    return payload if isinstance(payload, dict) else None


def policy(install_sids: Iterable[str], denied: Collection[str]) -> dict[str, Any]:
    """An IAM policy document as the maker's IAM module stores it (regexes included).

    Read on every install; denied on each SID of ``denied`` (a scoped token).
    """
    statements = [_statement("Allow", [f"ssrn:ss:sp:::install/{sid}/*" for sid in install_sids])]
    if denied:
        statements.append(_statement("Deny", [f"ssrn:ss:sp:::*/{sid}" for sid in sorted(denied)]))
    return {"Statement": statements}


def _statement(effect: str, resources: list[str]) -> dict[str, Any]:
    # processIamData adds the regexes it matches with; the stored document has them.
    return {
        "Effect": effect,
        "Action": ["CanRead"],
        "Resource": resources,
        "ResourceRegex": [r.replace("*", "([0-9A-Za-z_]+/?)*", 1) for r in resources],
        "ActionRegex": ["CanRead"],
    }
