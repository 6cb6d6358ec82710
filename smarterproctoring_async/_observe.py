"""What the transport reports about a request, and the one hook that hears it.

The transport calls a :class:`Hook` at each step of a request (started, sent, answered,
retrying, paused, finished) and knows nothing of what listens. The client's hook,
:class:`Observers`, feeds :class:`~smarterproctoring_async.stats.ClientStats`, the
``smarterproctoring_async`` logger and OpenTelemetry spans (``_tracing``).

Log levels: DEBUG per attempt (the filled path, query values that could name a
person masked); INFO per retry and per pause; WARNING when a request gives up after
retries or on a rate limit. INFO and above name the route template, the status, the
error code and the refused parameter names: never the SIDs, a query value or the
server's own words (which may quote a learner's e-mail or name).
"""

from __future__ import annotations

import contextvars
import logging
import math
import re
import time
from dataclasses import dataclass, field
from typing import Any

from ._protocol import QueryPairs, loggable_query
from ._tracing import Tracing, end_request
from .errors import (
    APIError,
    DecodeError,
    RateLimitError,
    SmarterProctoringError,
    TimeoutError,
    TransportError,
)
from .stats import ClientStats, EndpointStats

__all__ = ["RETRIED", "Call", "Hook", "Observers", "retry_cause", "time_left"]

logger = logging.getLogger("smarterproctoring_async")
#: What a code and a parameter name look like; anything else may be free text.
_CODE = re.compile(r"[0-9]{1,8}|[A-Z][A-Z0-9_]{1,39}")
_PARAMETER = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,39}")


@dataclass(slots=True)
class Call:
    """One logical request across its attempts (one made per request: slots are quicker
    to make and to read)."""

    method: str
    path: str
    query: QueryPairs
    deadline: float | None
    route: str
    counts: EndpointStats
    attempt: int = 0
    sent: int = 0  # attempts that reached the server (not refused by a pause or deadline)
    status: int = 0  # the latest answer's
    waited: float = 0.0  # for the rate limiter, over every attempt
    undecodable: int = 0
    span: Any = field(default=None, repr=False)  # the request's span, when tracing
    token_generation: int = 0  # the token generation its latest attempt sent
    renewed: bool = False  # a 401 already had the token provider renew the token

    def remaining(self) -> float | None:
        """Seconds left before the deadline, if there is one."""
        return None if self.deadline is None else self.deadline - time.monotonic()


#: The call backoff is retrying, so that its time budget is the call's own deadline.
RETRIED: contextvars.ContextVar[Call] = contextvars.ContextVar("smarterproctoring_call")


def time_left() -> float:
    """backoff's ``max_time``: what is left of the retried call's deadline."""
    remaining = RETRIED.get().remaining()
    return math.inf if remaining is None else max(0.0, remaining)


def retry_cause(error: SmarterProctoringError) -> str:
    """Why a request was retried, as ``client.stats`` counts it and logs name it."""
    status = getattr(error, "status", 0)
    if isinstance(status, int) and status > 0:
        return str(status)
    if isinstance(error, TimeoutError):
        return "timeout"
    if isinstance(error, DecodeError):
        return "undecodable"
    if isinstance(error, TransportError):
        return "connection"
    return type(error).__name__


class Hook:
    """What the transport tells about each request; every method does nothing here."""

    def started(self, call: Call) -> None:
        """A logical request begins (before its first attempt)."""

    def sent(self, call: Call, waited: float) -> None:
        """An attempt goes to the server after ``waited`` seconds in the rate limiter."""

    def answered(self, call: Call, outcome: int | str, started: float, size: int) -> None:
        """An attempt ended: a status, or the name of the failure; ``size`` body bytes."""

    def retrying(self, call: Call, error: SmarterProctoringError, wait: float) -> None:
        """The attempt failed with ``error``; another follows in ``wait`` seconds."""

    def paused(self, call: Call, status: int, seconds: float, why: str) -> None:
        """Every request of the rate limiter is held back ``seconds`` (``why``)."""

    def finished(self, call: Call, error: BaseException | None) -> None:
        """The logical request is over: its result, or the error raised to the caller."""


class Observers(Hook):
    """The client's hook: statistics per route, log lines and tracing spans."""

    def __init__(self, stats: ClientStats, tracing: Tracing, max_attempts: int) -> None:
        self.stats = stats
        self.tracing = tracing
        self._max_attempts = max_attempts

    def started(self, call: Call) -> None:
        if self.tracing.tracer() is None:
            return
        offset = next((value for name, value in call.query if name == "offset"), None)
        call.span = self.tracing.start_request(call.method, call.route, offset)

    def sent(self, call: Call, waited: float) -> None:
        counts = call.counts
        counts.requests += 1
        counts.limiter_wait += waited

    def answered(self, call: Call, outcome: int | str, started: float, size: int) -> None:
        call.counts.bytes_received += size
        if outcome == 429:
            call.counts.rate_limited += 1
        if logger.isEnabledFor(logging.DEBUG):
            query = f"?{loggable_query(call.query)}" if call.query else ""
            logger.debug(
                "%s %s%s -> %s attempt=%d elapsed=%.3fs limiter_wait=%.3fs",
                call.method,
                _shown_path(call.path),
                query,
                outcome,
                call.attempt,
                time.monotonic() - started,
                call.waited,
            )

    def retrying(self, call: Call, error: SmarterProctoringError, wait: float) -> None:
        cause = retry_cause(error)
        retries = call.counts.retries
        retries[cause] = retries.get(cause, 0) + 1
        if logger.isEnabledFor(logging.INFO):
            logger.info(
                "%s %s: %s on attempt %d of %d; retrying in %.3fs",
                call.method,
                _route(call),
                cause,
                call.attempt,
                self._max_attempts,
                wait,
            )

    def paused(self, call: Call, status: int, seconds: float, why: str) -> None:
        counts = call.counts
        counts.pauses += 1
        counts.pause_seconds += seconds
        if logger.isEnabledFor(logging.INFO):
            logger.info(
                "%s %s: %d on attempt %d; pausing every request of the rate limiter for %.2fs (%s)",
                call.method,
                _route(call),
                status,
                call.attempt,
                seconds,
                why,
            )

    def finished(self, call: Call, error: BaseException | None) -> None:
        if call.span is not None:
            failure = error if isinstance(error, Exception) else None
            end_request(
                call.span, status=call.status, sent=call.sent, waited=call.waited, error=failure
            )
        if not isinstance(error, SmarterProctoringError):
            return
        call.counts.failures += 1
        gave_up = call.attempt > 1 or isinstance(error, RateLimitError)
        if gave_up and logger.isEnabledFor(logging.WARNING):
            logger.warning(
                "%s %s: giving up after %d attempt(s): %s (%s)%s",
                call.method,
                _route(call),
                call.attempt,
                type(error).__name__,
                retry_cause(error),
                _said(error),
                # Marked: an application that reports the raised error itself (the CLI)
                # can drop this line instead of saying one failure twice.
                extra={"gave_up": True},
            )


def _shown_path(path: str) -> str:
    """The path for a DEBUG line: a segment that needed quoting (a value such as an
    e-mail address or a name put into an unwrapped route) is masked; SIDs are not."""
    if "%" not in path:
        return path
    return "/".join("***" if "%" in segment else segment for segment in path.split("/"))


def _route(call: Call) -> str:
    return call.route or "(unnamed route)"


def _said(error: SmarterProctoringError) -> str:
    """The error's code and refused parameter names: what a WARNING may repeat."""
    if not isinstance(error, APIError):
        return ""
    parts = []
    if error.code and _CODE.fullmatch(error.code):
        parts.append(f"code {error.code}")
    names = [name for name in error.parameters if _PARAMETER.fullmatch(name)]
    if names:
        parts.append("parameters " + ", ".join(names))
    return f" [{'; '.join(parts)}]" if parts else ""
