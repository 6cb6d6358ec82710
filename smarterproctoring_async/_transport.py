"""The one place the SDK does HTTP: the aiohttp session, retries and error mapping.

``Transport.send()`` is ``retry(limiter slot -> concurrency slot -> one attempt
under its timeout -> read the whole body -> decode)``. The concurrency slot is taken
before aiohttp's connection pool (sized to match, so it never queues), hence time
spent waiting for a turn never counts against a request's timeout. Retries wrap the
attempt coroutine with ``backoff``; no aiohttp exception gets past this module.

Redirects are never followed by aiohttp (it would forward the ``token`` header to
any host); this module follows them itself only to the same host and never from
https to http, and raises :class:`RedirectError` otherwise.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, NoReturn
from urllib.parse import urlencode

import aiohttp
import anyio
import backoff

from ._config import ClientConfig
from ._protocol import (
    RETRYABLE_STATUSES,
    QueryPairs,
    error_for_status,
    parse_retry_after,
    redirect_target,
)
from ._ratelimit import RateLimiter
from .errors import (
    ClientStateError,
    DecodeError,
    RateLimitError,
    RedirectError,
    SmarterProctoringError,
    TimeoutError,
    TransportError,
)
from .models import JSONValue

try:  # the "fast" extra: same results, faster decoding of large pages
    import orjson

    _loads: Callable[[bytes], Any] = orjson.loads
except ImportError:  # pragma: no cover - depends on the environment
    _loads = json.loads

logger = logging.getLogger("smarterproctoring_async")

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_MAX_REDIRECTS = 5
USER_AGENT = "smarterproctoring-async/0.1"


class _Retry(Exception):
    """Carries a public error out of one attempt; ``retry`` says whether to try again."""

    def __init__(self, error: SmarterProctoringError, *, retry: bool) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry = retry


@dataclass
class _Call:
    """One logical request across its attempts."""

    method: str
    path: str
    query: QueryPairs
    attempt: int = 0


def _is_final(exc: Exception) -> bool:
    return not (isinstance(exc, _Retry) and exc.retry)


class Transport:
    """Owns the aiohttp session of one client; created and used on one event loop."""

    def __init__(self, config: ClientConfig, limiter: RateLimiter) -> None:
        self._config = config
        self._limiter = limiter
        self._session: aiohttp.ClientSession | None = None
        self._slots: anyio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        policy = config.retry
        self._send_with_retries = backoff.on_exception(
            backoff.expo,
            _Retry,
            max_tries=policy.max_attempts,
            max_time=policy.deadline,
            giveup=_is_final,
            jitter=backoff.full_jitter,
            factor=policy.base_delay,
            max_value=policy.max_delay,
            logger=None,
        )(self._attempt)

    def open(self) -> None:
        """Create the HTTP session on the running event loop (idempotent on that loop)."""
        loop = asyncio.get_running_loop()
        if self._closed:
            raise ClientStateError("this client is closed; create a new Client")
        if self._loop is not None:
            if self._loop is not loop:
                raise ClientStateError(
                    "this client was opened on another event loop (a re-run notebook cell "
                    "or another test?); create the client inside the loop that uses it"
                )
            return
        self._loop = loop
        self._slots = anyio.Semaphore(self._config.max_concurrency)
        connector = aiohttp.TCPConnector(limit=self._config.max_concurrency, limit_per_host=0)
        self._session = aiohttp.ClientSession(
            connector=connector,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            timeout=aiohttp.ClientTimeout(total=self._config.timeout),
            auto_decompress=True,
            raise_for_status=False,
        )

    async def aclose(self) -> None:
        """Close the HTTP session; further requests raise ClientStateError."""
        if self._loop is not None and self._loop is not asyncio.get_running_loop():
            raise ClientStateError(
                "this client was opened on another event loop; close it from that loop"
            )
        self._closed = True
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def send(self, method: str, path: str, query: QueryPairs = ()) -> JSONValue:
        """Send one request with retries; return the decoded JSON body."""
        self.open()
        try:
            result: JSONValue = await self._send_with_retries(_Call(method, path, query))
        except _Retry as exc:
            raise exc.error from None
        return result

    async def _attempt(self, call: _Call) -> JSONValue:
        assert self._slots is not None
        call.attempt += 1
        waited = await self._limiter.acquire()
        async with self._slots:
            # Admitted before a 429 paused the limiter but queued for a slot since: wait too.
            waited += await self._limiter.wait_if_paused()
            if self._session is None:
                raise _Retry(ClientStateError("this client is closed"), retry=False)
            started = time.monotonic()
            try:
                status, headers, body = await self._exchange(self._session, call)
            except _Retry as failed:
                self._log(call, type(failed.error).__name__, started, waited)
                raise
        self._log(call, status, started, waited)
        if 200 <= status < 300:
            return self._decode(call, body)
        self._fail(call, status, headers, body)

    def _log(self, call: _Call, outcome: int | str, started: float, waited: float) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            query = f"?{urlencode(call.query)}" if call.query else ""
            logger.debug(
                "%s %s%s -> %s attempt=%d elapsed=%.3fs limiter_wait=%.3fs",
                call.method,
                call.path,
                query,
                outcome,
                call.attempt,
                time.monotonic() - started,
                waited,
            )

    async def _exchange(
        self, session: aiohttp.ClientSession, call: _Call
    ) -> tuple[int, dict[str, str], bytes]:
        """One attempt: request, follow safe redirects, read the whole body."""
        url: str = self._config.base_url + call.path
        params: QueryPairs | None = call.query
        try:
            for _ in range(_MAX_REDIRECTS + 1):
                async with session.request(
                    call.method,
                    url,
                    params=params or None,
                    headers={"token": self._config.token},
                    allow_redirects=False,
                ) as response:
                    body = await response.read()
                    if response.status not in _REDIRECTS:
                        return response.status, dict(response.headers), body
                    # The Location already carries its own query; don't add ours again.
                    url, params = redirect_target(url, response.headers.get("Location")), None
            raise _Retry(
                TransportError(f"{call.method} {call.path}: too many redirects"), retry=False
            )
        except RedirectError as exc:
            refused = RedirectError(0, None, exc.message, method=call.method, path=call.path)
            raise _Retry(refused, retry=False) from None
        except asyncio.TimeoutError:
            error = TimeoutError(
                f"{call.method} {call.path}: no complete answer within {self._config.timeout} s"
            )
            raise _Retry(error, retry=True) from None
        except aiohttp.ClientSSLError as exc:
            raise _Retry(
                TransportError(f"{call.method} {call.path}: TLS failed: {exc}"), retry=False
            ) from None
        except aiohttp.ClientError as exc:
            failed = TransportError(f"{call.method} {call.path}: {type(exc).__name__}")
            raise _Retry(failed, retry=True) from None

    def _decode(self, call: _Call, body: bytes) -> JSONValue:
        try:
            data: JSONValue = _loads(body)
        except ValueError:
            # A 200 with a broken body is usually a proxy cutting it short: try again.
            error = DecodeError(f"{call.method} {call.path}: the body is not valid JSON")
            raise _Retry(error, retry=True) from None
        return data

    def _fail(self, call: _Call, status: int, headers: dict[str, str], body: bytes) -> NoReturn:
        policy = self._config.retry
        retry_after = parse_retry_after(headers.get("Retry-After"), datetime.now(timezone.utc))
        error = error_for_status(
            status, body, method=call.method, path=call.path, retry_after=retry_after
        )
        # The server's text is echoed into exception messages: never let it echo the token.
        error.message = error.message.replace(self._config.token, "[token]")
        error.args = (str(error.args[0]).replace(self._config.token, "[token]"),)
        if status not in RETRYABLE_STATUSES:
            raise _Retry(error, retry=False)
        if status == 429:
            self._limiter.slow_down()
        if retry_after is not None:
            if retry_after > policy.max_retry_after:
                if isinstance(error, RateLimitError):
                    error.retry_after = retry_after
                raise _Retry(error, retry=False)
            self._limiter.pause(retry_after)
        elif status == 429:
            # No Retry-After: still hold every request back, by the backoff step.
            self._limiter.pause(min(policy.max_delay, policy.base_delay * 2 ** (call.attempt - 1)))
        raise _Retry(error, retry=True)
