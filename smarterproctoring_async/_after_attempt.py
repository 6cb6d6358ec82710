"""Carrying out what follows a failed attempt, apart from the HTTP library.

:class:`Aftermath` turns what an attempt got into the decision of
:func:`~smarterproctoring_async._retry_rules.decide` and acts on it: it pauses or
slows the rate limiter, asks whether the token still works when a 401/403 needs it,
tells the hook, and raises :class:`Retry` carrying the public error, with whether to
try again. The transport raises nothing else out of an attempt.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, NoReturn

from ._config import ClientConfig
from ._error_body import read_error_body
from ._observe import Call, Hook
from ._protocol import parse_retry_after
from ._ratelimit import Limiter
from ._retry_rules import Decision, Failure, Outcome, decide, error_for_status, late_error
from ._retry_rules import paused_error as _paused_error
from ._token_check import TokenCheck
from .errors import (
    AuthenticationError,
    RateLimitError,
    SmarterProctoringError,
    TimeoutError,
    TransportError,
)

__all__ = ["Aftermath", "Retry", "is_final"]


class Retry(Exception):
    """Carries a public error out of one attempt; ``retry`` says whether to try again."""

    def __init__(self, error: SmarterProctoringError, *, retry: bool) -> None:
        super().__init__(type(error).__name__)
        self.error = error
        self.retry = retry


def is_final(exc: Exception) -> bool:
    """Whether a failed attempt ends the call (backoff's ``giveup``)."""
    return not (isinstance(exc, Retry) and exc.retry)


class Aftermath:
    """What a transport does after an attempt that did not succeed."""

    def __init__(
        self,
        config: ClientConfig,
        limiter: Limiter,
        hook: Hook,
        check_token: Callable[[], Awaitable[object]],
    ) -> None:
        self._config = config
        self._limiter = limiter
        self.hook = hook
        self._check_token = check_token

    def decide(self, call: Call, *, failure: Failure | None = None, **answer: Any) -> Decision:
        """The decision for ``call``'s latest attempt (an answer's status, body and
        ``retry_after``, or a ``failure`` kind)."""
        outcome = Outcome(
            failure=failure,
            route=call.route,
            attempt=call.attempt,
            remaining=call.remaining(),
            undecodable=call.undecodable,
            **answer,
        )
        return decide(outcome, self._config.retry)

    def failed(self, call: Call, error: SmarterProctoringError, failure: Failure) -> NoReturn:
        """No usable answer (``failure``): retry or give up with ``error``."""
        self.carry_out(call, error, self.decide(call, failure=failure))

    async def error_status(
        self,
        call: Call,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
        token_check: TokenCheck,
    ) -> None:
        """An error status: its typed error, after a token check when it takes one.

        Returns (instead of raising) only when a token provider has just renewed the
        token after a 401 the old token earned: the attempt is then made once more.
        """
        tokens = self._config.tokens
        said = read_error_body(body, tokens.current)
        retry_after = parse_retry_after(headers.get("Retry-After"), datetime.now(timezone.utc))
        decision = self.decide(call, status=status, body=said, retry_after=retry_after)
        cls = None
        if decision.action == "confirm_token":
            renew = tokens.renewable and not call.renewed
            if renew and call.token_generation != tokens.generation:
                call.renewed = True  # sent with a token renewed since: try the new one
                return
            # Renewed while this request queued for the check: no check of its own.
            stale = (lambda: call.token_generation != tokens.generation) if renew else None
            cls = await token_check.verdict(self._check_token, unless=stale)
            if renew and (cls is AuthenticationError or call.token_generation != tokens.generation):
                # The token itself is refused (not a resource out of its scope), or was
                # renewed during the check: ask the provider (once for all the requests
                # refused together), forget the verdict on the old token, send once more.
                call.renewed = True
                await tokens.renew(call.token_generation)
                token_check.forget()
                return
            if token_check.why is not None:
                said = replace(said, message=f"{said.message or status} ({token_check.why})")
        error = error_for_status(
            status,
            said,
            method=call.method,
            path=call.path,
            route=call.route,
            retry_after=retry_after,
            cls=cls,
        )
        self.carry_out(call, error, decision)

    def carry_out(self, call: Call, error: SmarterProctoringError, decision: Decision) -> NoReturn:
        """Apply the decision's pause and slow-down, then raise :class:`Retry`."""
        if decision.slow_down:
            self._limiter.slow_down()
        if decision.pause is not None:
            # Even a pause too long to wait for holds every request of this limiter back:
            # they fail at once instead of being sent against the server's wish.
            self._limiter.pause(decision.pause)
            self.hook.paused(call, call.status, decision.pause, decision.why)
        if decision.pause_exceeded and isinstance(error, RateLimitError):
            error.pause_exceeded = True
        raise Retry(error, retry=decision.action == "retry")

    def given_up(self, call: Call, error: SmarterProctoringError) -> SmarterProctoringError:
        """The error raised to the caller; a connection failure says how often it tried."""
        if isinstance(error, TransportError) and not isinstance(error, TimeoutError):
            error.attempts = call.attempt
            plural = "s" if call.attempt != 1 else ""
            error.args = (f"{error.args[0]} (gave up after {call.attempt} attempt{plural})",)
        return error

    def paused(self, call: Call, remaining: float) -> NoReturn:
        """Not sent: the limiter's pause outlasts ``max_retry_after``."""
        max_pause = self._config.retry.max_retry_after
        error = _paused_error(call.method, call.path, call.route, remaining, max_pause)
        raise Retry(error, retry=False)

    def late(self, call: Call, cause: object) -> NoReturn:
        """Not sent: the deadline would pass first."""
        deadline = self._config.retry.deadline
        error = late_error(call.method, call.path, deadline, call.attempt - 1, cause)
        raise Retry(error, retry=False)
