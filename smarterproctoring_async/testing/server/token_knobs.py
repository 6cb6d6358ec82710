"""The FakeAPI's token knobs (``token``, ``token_ttl``, ``denied_sids``, ``revoke_token``),
kept apart from the server so each reads on its own."""

from __future__ import annotations

from collections.abc import Iterable

from .tokens import TokenState


class TokenKnobs:
    """The token knobs of a FakeAPI, over its ``TokenState`` (``_tokens``)."""

    _tokens: TokenState

    @property
    def token(self) -> str:
        """The one token the fake accepts (in the ``token`` header)."""
        return self._tokens.token

    @token.setter
    def token(self, token: str) -> None:
        self._tokens.token = token

    @property
    def token_ttl(self) -> int:
        """What ``/v1/ttl`` answers now: seconds left, -1 (never expires) or -2 (gone).

        Setting it logs the token in again: seconds from now, -1 or -2 (gone).
        """
        return self._tokens.ttl()

    @token_ttl.setter
    def token_ttl(self, ttl: int) -> None:
        self._tokens.set_ttl(ttl)

    @property
    def denied_sids(self) -> set[str]:
        """SIDs outside the token's scope (a set: add to it, or assign any iterable)."""
        return self._tokens.denied

    @denied_sids.setter
    def denied_sids(self, sids: Iterable[str]) -> None:
        self._tokens.denied = set(sids)

    def revoke_token(self) -> None:
        """Revoke the token, as ``GET /v1/logout`` does: every later request answers 401."""
        self._tokens.revoke()
