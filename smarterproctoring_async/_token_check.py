"""Whether the token itself still works, asked of ``/v1/check`` at most once a minute.

Tokens are scoped: a 401 or 403 may mean "not on this resource" while the token works
everywhere else. The transport asks this object before it calls such an answer fatal.
Concurrent failures share one check (they queue behind it and read its verdict), and
a verdict is reused for :data:`CHECK_INTERVAL` seconds, so a bulk run over thousands
of forbidden items costs one check a minute, not one per item.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import anyio

from .errors import AuthenticationError, PermissionDeniedError, SmarterProctoringError

__all__ = ["CHECK_INTERVAL", "TokenCheck"]

#: Seconds a verdict of ``/v1/check`` is reused.
CHECK_INTERVAL = 60.0


class TokenCheck:
    """The latest verdict on the token, shared by a client and its views."""

    def __init__(self) -> None:
        self._lock = anyio.Lock()
        self._at = -CHECK_INTERVAL
        self._why: str | None = None  # None: the token works; else why it does not

    async def verdict(
        self,
        ask: Callable[[], Awaitable[object]],
        *,
        unless: Callable[[], bool] | None = None,
    ) -> type[PermissionDeniedError] | type[AuthenticationError]:
        """The error class a 401/403 stands for: ``PermissionDeniedError`` when the
        token checks out, else ``AuthenticationError`` (see :attr:`why`).

        ``ask`` sends ``GET /v1/check`` and returns its decoded answer. ``unless()``,
        true once the lock is taken, skips the check (the token was renewed meanwhile:
        the caller sends again rather than act on a verdict).
        """
        async with self._lock:
            if unless is not None and unless():
                return PermissionDeniedError
            if time.monotonic() - self._at >= CHECK_INTERVAL:
                self._why = await _ask(ask)
                self._at = time.monotonic()
            return AuthenticationError if self._why is not None else PermissionDeniedError

    def forget(self) -> None:
        """Drop the verdict (the token was renewed): the next 401 asks again."""
        self._at = -CHECK_INTERVAL
        self._why = None

    @property
    def why(self) -> str | None:
        """Why the latest check found the token unusable (``None`` if it works)."""
        return self._why


async def _ask(ask: Callable[[], Awaitable[object]]) -> str | None:
    try:
        answer = await ask()
    except AuthenticationError:
        return "the token check (/v1/check) refused the token too"
    except SmarterProctoringError as error:
        # Unknown is not "works": the 401 stands as fatal, as it would without a check.
        return f"the token check (/v1/check) failed: {type(error).__name__}"
    if isinstance(answer, dict) and answer.get("validated") is True:
        return None
    return "the token check (/v1/check) did not say the token is validated"
