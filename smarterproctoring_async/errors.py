"""Every exception the SDK raises.

Catch :class:`SmarterProctoringError` to catch them all; no aiohttp, cattrs or
JSON exception ever reaches the caller::

    SmarterProctoringError
    ├── APIError                the server answered with an error status
    │   ├── InvalidInputError   400: the server rejected the request (``.parameters``)
    │   ├── AuthenticationError 401 or 403, and the token itself no longer works: fatal
    │   ├── PermissionDeniedError 401 or 403 on one resource, the token still works
    │   ├── NotFoundError       404: a SID that does not exist
    │   ├── RateLimitError      429, still there after the retries
    │   ├── ServerError         5xx, still there after the retries
    │   │   └── ServerFailureError  a 400 that reports the server's own failure
    │   │                           (database error, statement timeout), retried first
    │   └── RedirectError       3xx the SDK refused to follow
    ├── TransportError          no usable answer: connect failure, reset (retried first)
    │   └── TimeoutError        an attempt, a wait or a deadline ran out (also the builtin)
    ├── ResponseTooLargeError   a body over ``max_response_bytes`` (never retried)
    ├── DecodeError             the body is not the JSON shape expected (also ValueError)
    │   └── IncompleteListError a list short of the total its server announced
    ├── InvalidSidError         a SID fails its pattern, before any request (also ValueError)
    ├── InvalidFilterError      a filter argument is refused, before any request (also ValueError)
    ├── ConfigurationError      a Client or RetryPolicy setting is unusable (also ValueError)
    ├── ClientStateError        the client is closed or used from another event loop
    │                           (also RuntimeError)
    ├── RateLimiterUnavailableError  the Redis holding a shared budget cannot be used
    └── StoreError              the sync store (``Store``) cannot be opened, read or written
        └── StoreBusyError      another sync holds the store's lock for that install/shard

No message, ``repr``, attribute or pickle of these exceptions contains the API token
or a database password,
and the errors raised to callers carry no ``__context__`` or ``__cause__`` chain (the
HTTP library's exceptions hold the request headers, token included).
"""

from __future__ import annotations

import builtins
from typing import NoReturn

from ._secrets import hide

__all__ = [
    "APIError",
    "AuthenticationError",
    "ClientStateError",
    "ConfigurationError",
    "DecodeError",
    "IncompleteListError",
    "InvalidFilterError",
    "InvalidInputError",
    "InvalidSidError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RateLimiterUnavailableError",
    "RedirectError",
    "ResponseTooLargeError",
    "ServerError",
    "ServerFailureError",
    "SmarterProctoringError",
    "StoreBusyError",
    "StoreError",
    "TimeoutError",
    "TransportError",
]


class SmarterProctoringError(Exception):
    """Base class of every error raised by this package.

    Its text never holds a token the process was given: whatever server text a
    message quotes, each token in it reads ``[token]``.
    """

    def __init__(self, *args: object) -> None:
        super().__init__(*(hide(arg) if isinstance(arg, str) else arg for arg in args))


class APIError(SmarterProctoringError):
    """The API answered a request with an error status.

    ``code`` is the API's error code as the body gave it, always a ``str``: a numeric
    code such as ``"4000"`` or ``"1208"`` (the maker's framework) or a name such as
    ``"RESOURCENOTFOUND"`` (its guide), else ``None``. ``message`` is the server's own
    message, scrubbed of the token and cut to 200 characters. ``parameters`` names the
    request parameters the server said were wrong (a Boom ``validation.keys``), else
    ``()``. ``method`` and ``path`` name the request (no query, no host, never the
    token); ``route`` is its template (``/v1/installs/{installSid}/...``) when known.
    """

    def __init__(
        self,
        status: int,
        code: str | None,
        message: str,
        *,
        method: str = "GET",
        path: str = "",
        parameters: tuple[str, ...] = (),
        route: str = "",
    ) -> None:
        message, parameters = hide(message), tuple(hide(name) for name in parameters)
        code = hide(code) if code else code
        self.status = status
        self.code = code
        self.message = message
        self.method = method
        self.path = path
        self.parameters = parameters
        self.route = route
        label = f"{status} {code}" if code else str(status)
        super().__init__(f"{method} {path} -> {label}: {message}")

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only arguments would otherwise be lost when pickling (multiprocessing).
        # The instance's attributes (retry_after, ...) ride along as the state.
        return (
            _rebuild_api_error,
            (type(self), self.status, self.code, self.message, self.method, self.path),
            dict(self.__dict__),
        )


def _rebuild_api_error(
    cls: type[APIError], status: int, code: str | None, message: str, method: str, path: str
) -> APIError:
    return cls(status, code, message, method=method, path=path)


class InvalidInputError(APIError):
    """400: the server says the request is invalid.

    ``parameters`` names the offending query or path parameters when the server said
    which (for instance ``("limit",)``), else ``()``.
    """


class AuthenticationError(APIError):
    """401 or 403, and the token itself no longer works: wrong, expired or revoked.

    The client asks ``/v1/check`` before it says so (see
    :class:`PermissionDeniedError`). Retrying cannot help, so every bulk method
    (session, exam and install) ends with this error itself, at the first one.
    """


class PermissionDeniedError(APIError):
    """401 or 403 on one resource, while ``/v1/check`` says the token still works.

    Tokens are scoped (an IAM policy per token): an exam outside the token's scope
    answers 401 although every other call succeeds. Confined to the item: a bulk
    method records it as that result's ``error`` and goes on.
    """


class NotFoundError(APIError):
    """404: a SID in the path does not exist (``code`` as the server sent it: the
    reference's ``"1200"``, "Data not found", or a named code such as ``RESOURCENOTFOUND``)."""


class RateLimitError(APIError):
    """429 that persisted through every retry, or a ``Retry-After`` longer than allowed.

    ``retry_after`` is the server's requested wait in seconds, when it sent one.
    ``pause_exceeded`` is true when that wait is longer than the client's
    ``RetryPolicy.max_retry_after``: every request of the same rate limiter then fails
    at once with this error, without being sent, until the pause is over, and the bulk
    methods stop.
    """

    retry_after: float | None = None
    pause_exceeded: bool = False


class ServerError(APIError):
    """A 5xx status that persisted through every retry."""


class ServerFailureError(ServerError):
    """A 400 whose code or message reports a failure of the server, not of the request.

    The maker's framework answers 400 for any error it did not give a status, database
    errors and statement timeouts included; those are retried like a 5xx first. The
    table of codes and phrasings is in the README's "Guarantees". ``status`` stays 400.
    """


class RedirectError(APIError):
    """A 3xx the SDK would not follow: anywhere but the configured origin (another host,
    another port, or https downgraded to http).

    The token travels in a header, so following such a redirect could hand it to a
    third party; the SDK refuses instead.
    """


class TransportError(SmarterProctoringError):
    """No usable HTTP answer: connection refused or reset, body cut short.

    For a failure to connect, ``host``, ``port`` and ``reason`` (the operating
    system's words) say where and why; ``attempts`` is how many attempts were made
    once retries are over. Each is ``None`` when it does not apply.
    """

    host: str | None = None
    port: int | None = None
    reason: str | None = None
    attempts: int | None = None


class TimeoutError(TransportError, builtins.TimeoutError):
    """A request attempt, or a wait such as ``wait_until_terminal``, ran out of time.

    It is also a :class:`builtins.TimeoutError`, so ``except TimeoutError`` works
    whichever name is in scope.
    """


class ResponseTooLargeError(SmarterProctoringError):
    """A response body grew past the client's ``max_response_bytes`` (after decompression).

    Reading stops at the limit, so a huge or endless body (or a compression bomb)
    costs at most that much memory. Not retried: the same request would get the same
    body. ``limit`` is the limit in bytes.
    """

    def __init__(self, message: str, *, limit: int) -> None:
        super().__init__(message)
        self.limit = limit

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_too_large, (str(self), self.limit))


def _rebuild_too_large(message: str, limit: int) -> ResponseTooLargeError:
    return ResponseTooLargeError(message, limit=limit)


class DecodeError(SmarterProctoringError, ValueError):
    """A body that is not the JSON shape expected; names the path, offset or record."""


class IncompleteListError(DecodeError):
    """A list ended with fewer records than the total its server announced.

    An empty page (read twice) before the total, or, at the list's natural end, fewer
    records than the smallest total announced while paging (a COUNT that counts rows
    the pages never return, rows swapping between pages). The records already yielded
    stay yielded; ``expected`` is the server's total, ``received`` how many records this
    iteration got, ``path`` the list's path. ``Client(on_short_list="warn")`` delivers
    what the server sent with a WARNING instead.
    """

    def __init__(self, message: str, *, path: str, expected: int, received: int) -> None:
        super().__init__(message)
        self.path = path
        self.expected = expected
        self.received = received

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_incomplete, (str(self), self.path, self.expected, self.received))


def _rebuild_incomplete(
    message: str, path: str, expected: int, received: int
) -> IncompleteListError:
    return IncompleteListError(message, path=path, expected=expected, received=received)


class InvalidSidError(SmarterProctoringError, ValueError):
    """A SID that fails its documented pattern, raised before any request is made."""


class InvalidFilterError(SmarterProctoringError, ValueError):
    """A filter or option argument the API would refuse, raised before any request."""


class ConfigurationError(SmarterProctoringError, ValueError):
    """A client setting that cannot work (no token, a bad URL, a negative limit)."""


class ClientStateError(SmarterProctoringError, RuntimeError):
    """The client was used after ``aclose()`` or from another event loop than its own."""


class RateLimiterUnavailableError(SmarterProctoringError):
    """The Redis server holding a shared request budget cannot be used.

    Raised by ``RedisRateLimiter`` (and so by every request of a client using it) when
    Redis cannot be reached and no ``fallback`` was configured, or whatever the fallback
    when Redis refuses the limiter (a wrong password, a missing permission). No request
    is sent without the budget's consent: N processes each spending the whole budget
    alone would earn the 429s the shared budget is there to avoid. The message names
    the server by host and port, never by a URL that may hold a password.
    """


class StoreError(SmarterProctoringError):
    """The sync store could not do what was asked: open, upgrade, read or write.

    One line naming the store by a URL without its password, what failed and the
    database's own reason (its first line). A store written by a newer release, or a
    database that is not a store, is refused with this error too. A write that fails
    leaves the store as it was before that session (one transaction per session).
    """


class StoreBusyError(StoreError):
    """Another sync holds the store's lock for this install (or shard) and did not
    release it within the wait.

    ``install_sid`` and ``shard`` (``(I, N)`` or ``None``) say which lock. The lock
    lives in the database (PostgreSQL advisory locks) or beside it (SQLite), so it is
    released when its holder ends, even by SIGKILL.
    """

    def __init__(self, message: str, *, install_sid: str, shard: tuple[int, int] | None) -> None:
        super().__init__(message)
        self.install_sid = install_sid
        self.shard = shard

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_busy, (str(self), self.install_sid, self.shard))


def _rebuild_busy(message: str, install_sid: str, shard: tuple[int, int] | None) -> StoreBusyError:
    return StoreBusyError(message, install_sid=install_sid, shard=shard)


def raise_alone(error: BaseException) -> NoReturn:
    """Raise ``error`` with no ``__context__``, wherever it is raised from.

    Raising outside any ``except`` block is not enough on Python 3.10: an exception
    handled deeper in the await chain can still become the context. A bare re-raise
    keeps the context as it is when re-raised, so it is cleared in between.
    """
    try:
        raise error
    except BaseException:
        error.__context__ = None
        raise
