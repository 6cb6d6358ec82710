"""The one place the SDK does HTTP: the aiohttp session, retries and error mapping.

``Transport.send()`` is ``retry(limiter slot -> concurrency slot -> one attempt
under its timeout -> read the body, bounded -> decode)``. The concurrency slot is
taken before aiohttp's connection pool (sized to match, so it never queues), hence
time spent waiting for a turn never counts against a request's timeout. Retries wrap
the attempt coroutine with ``backoff``; no aiohttp exception gets past this module,
and the public errors raised here carry no exception chain (aiohttp's exceptions hold
the request's headers, token included).

Bounds that hold whatever the server does: a body is read only up to
``max_response_bytes`` (counted after decompression, so a compression bomb stops
early); an error body is read only up to its first 64 KiB; ``RetryPolicy.deadline``
bounds the whole call, limiter waits and pauses included; a ``Retry-After`` longer
than ``max_retry_after`` pauses the limiter and fails every request of it at once.

Redirects are never followed by aiohttp (it would forward the ``token`` header to
any host); this module follows them itself only within the same origin (see
``redirect_target``) and raises :class:`RedirectError` otherwise.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, NoReturn

import aiohttp
import anyio
import backoff

from ._config import ClientConfig
from ._protocol import (
    ERROR_BODY_PREFIX,
    RETRYABLE_STATUSES,
    QueryPairs,
    Request,
    error_for_status,
    loggable_query,
    parse_retry_after,
    redirect_target,
    scrub,
)
from ._ratelimit import Limiter, PausedError
from .errors import (
    ClientStateError,
    DecodeError,
    RateLimitError,
    RedirectError,
    ResponseTooLargeError,
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
#: A 2xx body that is not JSON may have been cut short on the way: one more try, no more.
_DECODE_ATTEMPTS = 2
USER_AGENT = "smarterproctoring-async/0.1"
_NO_HEADERS: Mapping[str, str] = {}


class _Retry(Exception):
    """Carries a public error out of one attempt; ``retry`` says whether to try again."""

    def __init__(self, error: SmarterProctoringError, *, retry: bool) -> None:
        super().__init__(type(error).__name__)
        self.error = error
        self.retry = retry


@dataclass
class _Call:
    """One logical request across its attempts."""

    method: str
    path: str
    query: QueryPairs
    deadline: float | None
    attempt: int = 0
    undecodable: int = 0
    failed: _Retry | None = None  # the first attempt's retryable failure, for backoff

    def remaining(self) -> float | None:
        """Seconds left before the deadline, if there is one."""
        return None if self.deadline is None else self.deadline - time.monotonic()


def _is_final(exc: Exception) -> bool:
    return not (isinstance(exc, _Retry) and exc.retry)


class Transport:
    """Owns the aiohttp session of one client; created and used on one event loop."""

    def __init__(self, config: ClientConfig, limiter: Limiter) -> None:
        self._config = config
        self._limiter = limiter
        self._session: aiohttp.ClientSession | None = None
        self._slots: asyncio.Semaphore | None = None
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
        )(self._retry)

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
        config = self._config
        self._loop = loop
        # asyncio's: a free slot is taken without any await or cancellation checkpoint
        # (the request that follows awaits I/O anyway); this session is asyncio's too.
        self._slots = asyncio.Semaphore(config.max_concurrency)
        connector = aiohttp.TCPConnector(
            limit=config.max_concurrency,
            limit_per_host=0,
            ssl=config.ssl if config.ssl is not None else True,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            # The token is a default header of this session, which only ever requests the
            # configured origin (redirects are followed by hand, within it).
            headers={
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
                "token": config.token,
            },
            timeout=aiohttp.ClientTimeout(total=config.timeout),
            auto_decompress=True,
            raise_for_status=False,
            trust_env=config.trust_env,
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

    async def send(self, request: Request) -> JSONValue:
        """Send one request with retries; return the decoded JSON body."""
        return (await self._send(request))[1]

    async def send_raw(self, request: Request) -> bytes:
        """Like :meth:`send`, but the body's bytes (checked to be JSON), for caching."""
        return (await self._send(request))[0]

    def decode(self, body: bytes, method: str = "GET", path: str = "") -> JSONValue:
        """Parse a JSON body; anything unreadable, however deep, is a DecodeError."""
        try:
            data: JSONValue = _loads(body)
        except (ValueError, RecursionError):
            raise DecodeError(f"{method} {path}: the body is not valid JSON") from None
        return data

    async def _send(self, request: Request) -> tuple[bytes, JSONValue]:
        self.open()
        deadline = self._config.retry.deadline
        call = _Call(
            request.method,
            request.path,
            request.query,
            None if deadline is None else time.monotonic() + deadline,
        )
        try:
            try:
                # Most requests succeed at once: the first attempt runs without the retry
                # machinery, which costs as much per call as a third of the client's work.
                return await self._attempt(call)
            except _Retry as first:
                if _is_final(first):
                    raise
                call.failed = first
            return await self._send_with_retries(call)
        except _Retry as exc:
            error = exc.error
        # Raised outside the handler, so the public error has no __context__ at all.
        raise self._final(call, error)

    async def _retry(self, call: _Call) -> tuple[bytes, JSONValue]:
        """What ``backoff`` calls: the first attempt's failure (so that it counts as the
        first try and is waited after), then a new attempt each time."""
        failed, call.failed = call.failed, None
        if failed is not None:
            raise failed
        return await self._attempt(call)

    def _final(self, call: _Call, error: SmarterProctoringError) -> SmarterProctoringError:
        if isinstance(error, TransportError) and not isinstance(error, TimeoutError):
            error.attempts = call.attempt
            plural = "s" if call.attempt != 1 else ""
            error.args = (f"{error.args[0]} (gave up after {call.attempt} attempt{plural})",)
        if logger.isEnabledFor(logging.WARNING) and call.attempt > 1:
            logger.warning("%s %s: giving up: %s", call.method, call.path, error)
        return error

    async def _attempt(self, call: _Call) -> tuple[bytes, JSONValue]:
        assert self._slots is not None
        policy = self._config.retry
        call.attempt += 1
        try:
            deadline = call.deadline
            waited = await self._limiter.acquire(
                deadline=deadline, max_pause=policy.max_retry_after
            )
            if deadline is None:
                await self._slots.acquire()
            else:  # a cancel scope costs a little: only when there is a deadline to keep
                with anyio.move_on_after(call.remaining()) as scope:
                    await self._slots.acquire()
                if scope.cancelled_caught:
                    raise TimeoutError("no free connection slot before the deadline")
        except PausedError as paused:
            raise _Retry(self._paused(call, paused.remaining), retry=False) from None
        except TimeoutError as late:
            raise _Retry(self._late(call, late), retry=False) from None
        try:
            # Admitted before a 429 paused the limiter but queued for a slot since: wait too.
            waited += await self._limiter.wait_if_paused(
                deadline=deadline, max_pause=policy.max_retry_after
            )
            if self._session is None:
                raise _Retry(ClientStateError("this client is closed"), retry=False)
            started = time.monotonic()
            try:
                status, headers, body = await self._exchange(self._session, call)
            except _Retry as failed:
                self._log(call, type(failed.error).__name__, started, waited)
                raise
        except PausedError as paused:
            raise _Retry(self._paused(call, paused.remaining), retry=False) from None
        except TimeoutError as late:
            raise _Retry(self._late(call, late), retry=False) from None
        finally:
            self._slots.release()
        self._log(call, status, started, waited)
        if 200 <= status < 300:
            return body, self._decode(call, body)
        self._fail(call, status, headers, body)

    def _paused(self, call: _Call, remaining: float) -> RateLimitError:
        error = RateLimitError(
            429,
            None,
            f"the server asked to pause for {remaining:.0f} s more, longer than "
            f"max_retry_after ({self._config.retry.max_retry_after:g} s); not sent",
            method=call.method,
            path=call.path,
        )
        error.retry_after = remaining
        error.pause_exceeded = True
        return error

    def _late(self, call: _Call, cause: TimeoutError) -> TimeoutError:
        return TimeoutError(
            f"{call.method} {call.path}: deadline of {self._config.retry.deadline:g} s "
            f"reached after {call.attempt - 1} attempt(s): {cause}"
        )

    def _log(self, call: _Call, outcome: int | str, started: float, waited: float) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            query = f"?{loggable_query(call.query)}" if call.query else ""
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
    ) -> tuple[int, Mapping[str, str], bytes]:
        """One attempt: request, follow safe redirects, read the body within its bounds."""
        url: str = self._config.base_url + call.path
        params: QueryPairs | None = call.query
        remaining = call.remaining()
        if remaining is not None and remaining <= 0:
            raise _Retry(self._late(call, TimeoutError("no time left")), retry=False)
        limit = self._config.timeout if remaining is None else min(self._config.timeout, remaining)
        # The session's own timeout holds unless a deadline asks for less (passing
        # timeout=None would mean no timeout at all to aiohttp).
        extra: dict[str, Any] = {}
        if remaining is not None:
            extra["timeout"] = aiohttp.ClientTimeout(total=limit)
        try:
            for _ in range(_MAX_REDIRECTS + 1):
                async with session.request(
                    call.method,
                    url,
                    params=params or None,
                    allow_redirects=False,
                    proxy=self._config.proxy,
                    **extra,
                ) as response:
                    status = response.status
                    if status not in _REDIRECTS:
                        ok = 200 <= status < 300
                        body = await self._read(response, call, ok=ok)
                        # Only a failure's headers are read (Retry-After); the copy keeps
                        # their case-insensitive lookup.
                        return status, _NO_HEADERS if ok else response.headers.copy(), body
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
                f"{call.method} {call.path}: no complete answer within {limit:g} s"
            )
            raise _Retry(error, retry=True) from None
        except aiohttp.ClientSSLError as exc:
            raise _Retry(self._connect_error(call, exc, "TLS failed: "), retry=False) from None
        except aiohttp.ClientConnectorError as exc:
            raise _Retry(self._connect_error(call, exc, ""), retry=True) from None
        except aiohttp.ClientError as exc:
            failed = TransportError(f"{call.method} {call.path}: {type(exc).__name__}")
            raise _Retry(failed, retry=True) from None
        except _Retry:
            raise
        except Exception as exc:  # a broken answer the HTTP library chokes on some other way
            failed = TransportError(
                f"{call.method} {call.path}: unusable answer ({type(exc).__name__})"
            )
            raise _Retry(failed, retry=False) from None

    async def _read(self, response: aiohttp.ClientResponse, call: _Call, *, ok: bool) -> bytes:
        """The body, up to ``max_response_bytes`` (an error body: its first 64 KiB)."""
        limit = self._config.max_response_bytes if ok else ERROR_BODY_PREFIX
        announced = response.content_length
        if ok and announced is not None:
            if announced > limit:
                raise _Retry(
                    self._too_large(call, f"announces {announced} bytes, more"), retry=False
                )
            if "Content-Encoding" not in response.headers:
                # The parser stops at the announced length: one read, no chunk loop (a
                # compressed body can inflate past it, so it takes the loop).
                return await response.read()
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_any():
            size += len(chunk)
            if size > limit:
                if not ok:  # enough to say what went wrong
                    chunks.append(chunk)
                    break
                raise _Retry(self._too_large(call, "grew longer"), retry=False)
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self, call: _Call, what: str) -> ResponseTooLargeError:
        limit = self._config.max_response_bytes
        return ResponseTooLargeError(
            f"{call.method} {call.path}: the body {what} than max_response_bytes ({limit}); "
            "raise Client(max_response_bytes=...) if this answer is legitimate",
            limit=limit,
        )

    def _connect_error(
        self, call: _Call, exc: aiohttp.ClientConnectorError, what: str
    ) -> TransportError:
        os_error = getattr(exc, "os_error", None)
        if isinstance(os_error, OSError) and os_error.errno:
            reason = os.strerror(os_error.errno)
        else:
            reason = scrub(str(os_error or exc)[:200], self._config.token)
        host, port = exc.host, exc.port
        error = TransportError(
            f"{call.method} {call.path}: {what}cannot reach {host}:{port}: {reason}"
        )
        error.host, error.port, error.reason = host, port, reason
        return error

    def _decode(self, call: _Call, body: bytes) -> JSONValue:
        try:
            return self.decode(body, call.method, call.path)
        except DecodeError as error:
            call.undecodable += 1
            raise _Retry(error, retry=call.undecodable < _DECODE_ATTEMPTS) from None

    def _fail(self, call: _Call, status: int, headers: Mapping[str, str], body: bytes) -> NoReturn:
        policy = self._config.retry
        retry_after = parse_retry_after(headers.get("Retry-After"), datetime.now(timezone.utc))
        error = error_for_status(
            status,
            body,
            method=call.method,
            path=call.path,
            retry_after=retry_after,
            secret=self._config.token,
        )
        if status not in RETRYABLE_STATUSES:
            raise _Retry(error, retry=False)
        if status == 429:
            self._limiter.slow_down()
        if retry_after is not None:
            # Even a pause too long to wait for holds every request of this limiter back:
            # they fail at once instead of being sent against the server's wish.
            self._limiter.pause(retry_after)
            if retry_after > policy.max_retry_after:
                if isinstance(error, RateLimitError):
                    error.pause_exceeded = True
                raise _Retry(error, retry=False)
        elif status == 429:
            # No Retry-After: still hold every request back, by the backoff step.
            self._limiter.pause(min(policy.max_delay, policy.base_delay * 2 ** (call.attempt - 1)))
        raise _Retry(error, retry=True)
