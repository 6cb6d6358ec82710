"""The per-request headers (the token and a view's extra headers), and what an answer
tells a recorded call; kept apart from the transport so that it stays about HTTP.

The token is not a default header of the HTTP session: a provider may renew it, so
each attempt sends the current one and notes which generation it sent, so that a 401
to an older token is not blamed on the new one.
"""

from __future__ import annotations

from collections.abc import Mapping

from ._observe import Call
from ._raw_response import RECORDER
from ._token_source import TokenSource

__all__ = ["Outgoing"]


class Outgoing:
    """Builds the headers of each attempt of one transport (a client or one view)."""

    __slots__ = ("_cached", "_extra", "tokens")

    def __init__(self, tokens: TokenSource, extra: Mapping[str, str]) -> None:
        self.tokens = tokens
        self._extra = dict(extra)
        self._cached: tuple[int, dict[str, str]] = (-1, {})

    def headers(self, call: Call) -> dict[str, str]:
        """The headers of ``call``'s next attempt; notes the token generation sent."""
        tokens = self.tokens
        generation = call.token_generation = tokens.generation
        if self._cached[0] != generation:  # one dict per token, not one per request
            token = tokens.current
            assert token is not None  # the transport asked the source before sending
            self._cached = (generation, {**self._extra, "token": token})
        return self._cached[1]

    @staticmethod
    def recording() -> bool:
        """Whether a call awaited under ``with_raw_response`` wants the answers' headers."""
        return RECORDER.get() is not None

    @staticmethod
    def note(status: int, headers: Mapping[str, str], elapsed: float) -> None:
        """Tell the recorded call (if any) about an answer it read."""
        recorder = RECORDER.get()
        if recorder is not None:
            recorder.note(status, headers, elapsed)
