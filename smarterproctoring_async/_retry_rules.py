"""The one retry decision: what to do after an attempt, as a pure function.

:func:`decide` looks at what came back (the status and what the body said, or the
kind of failure when nothing usable came back), the attempt number and the time left
before the deadline, and returns a :class:`Decision`: try again, confirm that the
token still works, or give up with which error class; with it, whether to pause every
request of the rate limiter (and for how long) and whether to slow it down. The
transport only carries the decision out, so the whole policy is tested as a table,
without a network (``tests/test_retry_rules.py``).
"""

from __future__ import annotations

import builtins
import os
import socket
from dataclasses import dataclass, field
from typing import Literal

from ._config import RetryPolicy
from ._error_body import ErrorBody, read_error_body, server_failure
from .errors import (
    APIError,
    AuthenticationError,
    DecodeError,
    InvalidInputError,
    NotFoundError,
    RateLimitError,
    RedirectError,
    ResponseTooLargeError,
    ServerError,
    ServerFailureError,
    SmarterProctoringError,
    TimeoutError,
    TransportError,
)

__all__ = [
    "CHECK_ROUTE",
    "Decision",
    "Failure",
    "Outcome",
    "decide",
    "error_class",
    "error_for_status",
    "late_error",
    "os_reason",
    "paused_error",
    "too_large_error",
    "transport_error",
]

#: The token check route: its own 401/403 settles the question (no check of the check).
CHECK_ROUTE = "/v1/check"
#: An attempt needs at least this long to have a chance; with less left, it is not sent.
MIN_ATTEMPT_SECONDS = 0.05
#: A 2xx body that is not JSON may have been cut short on the way: one more try, no more.
DECODE_ATTEMPTS = 2

_RETRYABLE = frozenset({408, 429, 500, 502, 503, 504})

#: When no usable answer came back, why: these are retried, except ``tls`` (a
#: certificate does not fix itself), ``refused`` (a redirect or an answer the SDK will
#: not use) and ``too_large`` (the same request gets the same body).
Failure = Literal["timeout", "connection", "tls", "undecodable", "refused", "too_large"]
_RETRIED_FAILURES = frozenset({"timeout", "connection", "undecodable"})


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: an HTTP status (and its body), or a failure kind."""

    status: int = 0
    body: ErrorBody = field(default_factory=ErrorBody)
    failure: Failure | None = None
    retry_after: float | None = None
    route: str = ""
    attempt: int = 1
    #: Seconds left before the call's deadline (``None``: no deadline).
    remaining: float | None = None
    #: How many 2xx bodies of this call could not be decoded, this one included.
    undecodable: int = 0


@dataclass(frozen=True)
class Decision:
    """What the transport does next."""

    action: Literal["retry", "confirm_token", "give_up"]
    #: The error raised when giving up (also when a retry is refused later on).
    error: type[SmarterProctoringError] | None = None
    #: Hold every request of the rate limiter back this long (a 429's or a
    #: ``Retry-After``'s pause), whatever the action.
    pause: float | None = None
    #: The pause is longer than ``max_retry_after``: the error says so.
    pause_exceeded: bool = False
    #: A 429: lower the limiter's rate.
    slow_down: bool = False
    #: Where the pause comes from, for the log line.
    why: str = ""


def error_class(status: int, body: ErrorBody) -> type[APIError]:
    """The error an HTTP error status stands for, before any retry or token check."""
    if status == 400:
        return ServerFailureError if server_failure(status, body) else InvalidInputError
    if status in (401, 403):
        return AuthenticationError
    if status == 404:
        return NotFoundError
    if status == 429:
        return RateLimitError
    if 500 <= status < 600:
        return ServerError
    if 300 <= status < 400:
        return RedirectError
    return APIError


def decide(outcome: Outcome, policy: RetryPolicy) -> Decision:
    """The decision after one attempt (see the module documentation)."""
    if outcome.failure is not None:
        return _after_failure(outcome, policy)
    status = outcome.status
    if 200 <= status < 300:
        return Decision("give_up")  # not a failure: nothing to decide
    cls = error_class(status, outcome.body)
    if cls is AuthenticationError:
        # A scoped token answers 401 on what it may not see: ask whether the token
        # itself still works, unless this was that very question.
        if outcome.route == CHECK_ROUTE:
            return Decision("give_up", AuthenticationError)
        return Decision("confirm_token", AuthenticationError)
    retryable = status in _RETRYABLE or cls is ServerFailureError
    if not retryable:
        return Decision("give_up", cls)
    pause: float | None = None
    why = ""
    if outcome.retry_after is not None:
        pause, why = outcome.retry_after, "Retry-After"
    elif status == 429:
        # No Retry-After: still hold every request back, by the backoff step.
        pause = min(policy.max_delay, policy.base_delay * 2 ** (outcome.attempt - 1))
        why = "no Retry-After: the backoff step"
    slow = status == 429
    if outcome.retry_after is not None and outcome.retry_after > policy.max_retry_after:
        return Decision("give_up", cls, pause, pause_exceeded=True, slow_down=slow, why=why)
    action: Literal["retry", "give_up"] = "retry"
    if not _time_for_another(outcome, policy, pause or 0.0):
        action = "give_up"
    return Decision(action, cls, pause, slow_down=slow, why=why)


def _after_failure(outcome: Outcome, policy: RetryPolicy) -> Decision:
    failure = outcome.failure
    cls: type[SmarterProctoringError]
    if failure == "timeout":
        cls = TimeoutError
    elif failure == "undecodable":
        cls = DecodeError
        if outcome.undecodable >= DECODE_ATTEMPTS:
            return Decision("give_up", cls)
    else:
        cls = TransportError
    if failure not in _RETRIED_FAILURES or not _time_for_another(outcome, policy, 0.0):
        return Decision("give_up", cls)
    return Decision("retry", cls)


def _time_for_another(outcome: Outcome, policy: RetryPolicy, pause: float) -> bool:
    """Whether another attempt may start: attempts left, and time left after ``pause``."""
    if outcome.attempt >= policy.max_attempts:
        return False
    remaining = outcome.remaining
    return remaining is None or remaining - pause >= MIN_ATTEMPT_SECONDS


def error_for_status(
    status: int,
    body: bytes | ErrorBody,
    *,
    method: str,
    path: str,
    route: str = "",
    retry_after: float | None = None,
    secret: str | None = None,
    cls: type[APIError] | None = None,
) -> APIError:
    """The typed error for an error status, from whatever body the server sent.

    ``cls`` overrides the class :func:`error_class` would pick (after a token check).
    """
    said = body if isinstance(body, ErrorBody) else read_error_body(body, secret)
    error = (cls or error_class(status, said))(
        status,
        said.code,
        said.message or f"HTTP {status}",
        method=method,
        path=path,
        parameters=said.parameters,
        route=route,
    )
    if isinstance(error, RateLimitError):
        error.retry_after = retry_after
    return error


def paused_error(
    method: str, path: str, route: str, remaining: float, max_retry_after: float
) -> RateLimitError:
    """A request not sent because the limiter's pause outlasts ``max_retry_after``."""
    error = RateLimitError(
        429,
        None,
        f"the server asked to pause for {remaining:.0f} s more, longer than "
        f"max_retry_after ({max_retry_after:g} s); not sent",
        method=method,
        path=path,
        route=route,
    )
    error.retry_after = remaining
    error.pause_exceeded = True
    return error


def late_error(
    method: str, path: str, deadline: float | None, attempts: int, cause: object
) -> TimeoutError:
    """The call's deadline came before another attempt could end."""
    return TimeoutError(
        f"{method} {path}: deadline of {deadline:g} s reached after {attempts} attempt(s): {cause}"
    )


def too_large_error(method: str, path: str, what: str, limit: int) -> ResponseTooLargeError:
    """A body over ``max_response_bytes``."""
    return ResponseTooLargeError(
        f"{method} {path}: the body {what} than max_response_bytes ({limit}); "
        "raise Client(max_response_bytes=...) if this answer is legitimate",
        limit=limit,
    )


def transport_error(
    method: str, path: str, host: str | None, port: int | None, reason: str
) -> TransportError:
    """No usable answer: the true ``reason``, and where, when it was a connection."""
    where = f"{host}:{port}: " if host is not None else ""
    error = TransportError(f"{method} {path}: {where}{reason}")
    error.host, error.port, error.reason = host, port, reason
    return error


def os_reason(error: OSError) -> str:
    """An operating system error in plain words (a DNS failure's errno is not errno's,
    and a TLS failure's errno names nothing)."""
    if isinstance(error, socket.gaierror):
        return "name not resolved"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, ConnectionResetError):
        return "connection reset"
    if isinstance(error, builtins.TimeoutError):
        return "connect timed out"
    if error.errno and error.errno > 0:
        return os.strerror(error.errno).lower()
    return str(error) or type(error).__name__
