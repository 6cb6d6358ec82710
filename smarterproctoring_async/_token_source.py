"""Where the token comes from: a fixed string, or a provider asked again after a 401.

``Client(token=...)`` takes a ``str`` or a callable (plain or async) returning one, for
a token kept in a secret store and rotated. The provider is called before the first
request, and again when a 401 turns out to mean that the token itself no longer works
(``/v1/check`` refuses it too); that request is then sent once more with the new
token. Requests that meet the same stale token at once share one call of the provider
(a lock and a generation number: whoever comes second finds the token already renewed).

What a provider raises reaches the caller as it is (not wrapped): it is the secret
store's own error, and the SDK cannot tell what went wrong better than it does. What
it returns is checked as a ``str`` token is, and a message never repeats it.
"""

from __future__ import annotations

import inspect
import logging
import threading
import time
import weakref
from collections import Counter, deque
from collections.abc import Awaitable, Callable

import anyio

from ._secrets import HELD, forms, show
from .errors import ConfigurationError

__all__ = ["FAILURE_SHARED", "TokenProvider", "TokenSource", "checked_token", "hold", "release"]

#: A callable returning the token, or an awaitable of it (an ``async def``).
TokenProvider = Callable[[], str | Awaitable[str]]

_log = logging.getLogger("smarterproctoring_async")
#: Seconds a provider's failure answers the other requests refused with the same token.
FAILURE_SHARED = 1.0


def checked_token(token: object, where: str) -> str:
    """``token`` if it is a usable token, else ConfigurationError naming ``where`` it came
    from (never the value)."""
    if not isinstance(token, str):
        raise ConfigurationError(f"the API token must be a str, got {type(token).__name__}{where}")
    if not token.strip():
        raise ConfigurationError(f"no API token{where}")
    if not (token.isascii() and token.isprintable()) or token != token.strip():
        # Found now rather than as a ValueError from the HTTP library at the request.
        raise ConfigurationError(
            "the API token may hold only printable ASCII characters, without spaces "
            f"around it{where}"
        )
    return token


_LOCK = threading.Lock()
_HELD: Counter[str] = Counter()  # each form of a live source's tokens, by how many hold it


def _change(known: tuple[str, ...], by: int) -> None:
    with _LOCK:
        for form in known:
            _HELD[form] += by
            if _HELD[form] <= 0:
                del _HELD[form]
        show(tuple(_HELD))


def hold(known: tuple[str, ...]) -> None:
    """Hide these forms of a token from every SDK message, until :func:`release`."""
    _change(known, +1)


def release(known: tuple[str, ...]) -> None:
    """Undo one :func:`hold` (a source gone, or a token renewed long ago)."""
    _change(known, -1)


def _release_all(held: deque[tuple[str, ...]]) -> None:
    for known in held:
        release(known)


class TokenSource:
    """The token a client and its views send, and how to renew it (shared by them all)."""

    __slots__ = (
        "__weakref__",
        "_failure",
        "_lock",
        "_provider",
        "current",
        "generation",
        "secret_forms",
    )

    def __init__(self, token: str | None, provider: TokenProvider | None = None) -> None:
        #: The token to send; ``None`` until a provider was first asked.
        self.current = token
        #: Bumped at each renewal: a 401 to an older generation is not the new token's.
        self.generation = 0
        self._provider = provider
        self._lock: anyio.Lock | None = None
        # (generation, when, what) of the provider's latest call, if it raised.
        self._failure: tuple[int, float, Exception] | None = None
        #: Its tokens as a message may quote them: hidden from every SDK message for as
        #: long as it lives (released by the finalizer, which must not hold ``self``).
        self.secret_forms: deque[tuple[str, ...]] = deque()
        self._hold(token)
        weakref.finalize(self, _release_all, self.secret_forms)

    def _hold(self, token: str | None) -> None:
        known = forms(token) if token is not None else ()
        if known and known not in self.secret_forms:
            hold(known)
            self.secret_forms.append(known)
            if len(self.secret_forms) > HELD:
                release(self.secret_forms.popleft())

    def __repr__(self) -> str:
        kind = "provider" if self._provider is not None else "fixed"
        return f"<TokenSource {kind}>"

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("a token source cannot be pickled: it holds the API token")

    @property
    def renewable(self) -> bool:
        """Whether a 401 may be answered by asking the provider again."""
        return self._provider is not None

    async def ready(self) -> str:
        """The token, asking the provider the first time."""
        token = self.current
        if token is None:
            await self.renew(self.generation)
            token = self.current
            assert token is not None
        return token

    async def renew(self, seen: int) -> None:
        """Ask the provider for a new token, unless generation ``seen`` was renewed
        already.

        Requests refused together share one call: a new token, or what the provider
        raised, re-raised to the requests of that generation for :data:`FAILURE_SHARED`
        seconds (after that, the provider is asked again: its store may be back)."""
        if self._lock is None:
            self._lock = anyio.Lock()
        async with self._lock:
            if self.generation != seen and self.current is not None:
                return  # another request renewed it while this one waited
            failed = self._failure
            if failed and failed[0] == seen and time.monotonic() - failed[1] < FAILURE_SHARED:
                raise failed[2]
            assert self._provider is not None
            first = self.current is None
            try:
                found = self._provider()
                if inspect.isawaitable(found):
                    found = await found
                token = checked_token(found, " (returned by the token provider)")
            except Exception as failure:
                self._failure = (seen, time.monotonic(), failure)
                raise
            self._failure = None
            self._hold(token)
            self.current = token
            self.generation += 1
            if not first:
                _log.info("the token was refused (401); the token provider gave a new one")
