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

What it did is counted in the client's :class:`~smarterproctoring_async.stats.ClientStats`
(per route template), traced when OpenTelemetry is configured (``_tracing``) and logged
on the ``smarterproctoring_async`` logger: DEBUG per attempt (the filled path, query
values that could name a person masked), INFO per retry and per pause, WARNING when a
retried request gives up; INFO and above name the route template, never the SIDs.

A client and its views (``client.with_options``) each have a Transport (own timeout and
retry policy) over one shared :class:`Pool`: the aiohttp session and its slots.

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
from ._tracing import Tracing, end_request
from .errors import (
    ClientStateError,
    DecodeError,
    RateLimitError,
    RedirectError,
    ResponseTooLargeError,
    SmarterProctoringError,
    TimeoutError,
    TransportError,
    raise_alone,
)
from .models import JSONValue
from .stats import ClientStats, EndpointStats

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
    route: str
    counts: EndpointStats
    attempt: int = 0
    sent: int = 0  # attempts that reached the server (not refused by a pause or deadline)
    status: int = 0  # the latest answer's
    waited: float = 0.0  # for the rate limiter, over every attempt
    undecodable: int = 0
    failed: _Retry | None = None  # the first attempt's retryable failure, for backoff

    def remaining(self) -> float | None:
        """Seconds left before the deadline, if there is one."""
        return None if self.deadline is None else self.deadline - time.monotonic()


def _is_final(exc: Exception) -> bool:
    return not (isinstance(exc, _Retry) and exc.retry)


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


class Pool:
    """The aiohttp session and its request slots, created on the loop that first uses them.

    Shared by a client and every view of it; only the client closes it.
    """

    def __init__(self, config: ClientConfig) -> None:
        self.config = config
        self.session: aiohttp.ClientSession | None = None
        self.slots: asyncio.Semaphore | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.closed = False

    def open(self, *, view: bool = False) -> None:
        """Create the HTTP session on the running event loop (idempotent on that loop)."""
        loop = asyncio.get_running_loop()
        if self.closed:
            if view:
                raise ClientStateError(
                    "the client this view was made with with_options() is closed"
                )
            raise ClientStateError("this client is closed; create a new Client")
        if self.loop is not None:
            if self.loop is not loop:
                raise ClientStateError(
                    "this client was opened on another event loop (a re-run notebook cell "
                    "or another test?); create the client inside the loop that uses it"
                )
            return
        config = self.config
        self.loop = loop
        # asyncio's: a free slot is taken without any await or cancellation checkpoint
        # (the request that follows awaits I/O anyway); this session is asyncio's too.
        self.slots = asyncio.Semaphore(config.max_concurrency)
        connector = aiohttp.TCPConnector(
            limit=config.max_concurrency,
            limit_per_host=0,
            ssl=config.ssl if config.ssl is not None else True,
        )
        self.session = aiohttp.ClientSession(
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

    def check_loop(self) -> None:
        """Refuse to be closed from another event loop than the one that opened it."""
        if self.loop is not None and self.loop is not asyncio.get_running_loop():
            raise ClientStateError(
                "this client was opened on another event loop; close it from that loop"
            )

    async def aclose(self) -> None:
        """Close the HTTP session; further requests raise ClientStateError."""
        self.check_loop()
        self.closed = True
        session, self.session = self.session, None
        if session is not None:
            await session.close()


class Transport:
    """Sends the requests of one client, or of one view of it, over a shared :class:`Pool`.

    ``pool=None`` makes a client's own transport (which owns and closes the pool).
    """

    def __init__(
        self,
        config: ClientConfig,
        limiter: Limiter,
        *,
        stats: ClientStats | None = None,
        tracing: Tracing | None = None,
        pool: Pool | None = None,
    ) -> None:
        self._config = config
        self._limiter = limiter
        self.stats = stats if stats is not None else ClientStats()
        self.tracing = tracing if tracing is not None else Tracing(config.base_url)
        self._owner = pool is None
        self.pool = pool if pool is not None else Pool(config)
        self._closed = False
        # The session's own timeout is its client's; a view with another one passes its
        # own with every request.
        self._timeout: aiohttp.ClientTimeout | None = None
        if config.timeout != self.pool.config.timeout:
            self._timeout = aiohttp.ClientTimeout(total=config.timeout)
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
            on_backoff=self._retrying,
        )(self._retry)

    @property
    def _session(self) -> aiohttp.ClientSession | None:
        """The shared HTTP session, once open (tests look at its connector)."""
        return self.pool.session

    def open(self) -> None:
        """Create the shared HTTP session on the running event loop (idempotent)."""
        if self._closed:
            raise ClientStateError("this view of the client is closed; use the client itself")
        self.pool.open(view=not self._owner)

    async def aclose(self) -> None:
        """Close the HTTP session, or for a view, only the view (the client stays open)."""
        if self._owner:
            await self.pool.aclose()
        else:
            self.pool.check_loop()
            self._closed = True

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
        route = request.route
        call = _Call(
            request.method,
            request.path,
            request.query,
            None if deadline is None else time.monotonic() + deadline,
            route,
            self.stats.for_route(route),
        )
        if self.tracing.tracer() is None:
            return await self._send_call(call)
        offset = next((value for name, value in call.query if name == "offset"), None)
        span = self.tracing.start_request(call.method, route, offset)
        try:
            result = await self._send_call(call)
        except BaseException as exc:
            if span is not None:
                failure = exc if isinstance(exc, Exception) else None
                end_request(
                    span, status=call.status, sent=call.sent, waited=call.waited, error=failure
                )
            raise
        if span is not None:
            end_request(span, status=call.status, sent=call.sent, waited=call.waited, error=None)
        return result

    async def _send_call(self, call: _Call) -> tuple[bytes, JSONValue]:
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
        # The public error has no __context__: aiohttp's exceptions hold request details.
        raise_alone(self._final(call, error))

    async def _retry(self, call: _Call) -> tuple[bytes, JSONValue]:
        """What ``backoff`` calls: the first attempt's failure (so that it counts as the
        first try and is waited after), then a new attempt each time."""
        failed, call.failed = call.failed, None
        if failed is not None:
            raise failed
        return await self._attempt(call)

    def _retrying(self, details: Any) -> None:
        """``backoff``'s report before it waits: count the retry and log one line."""
        call: _Call = details["args"][0]
        cause = retry_cause(details["exception"].error)
        retries = call.counts.retries
        retries[cause] = retries.get(cause, 0) + 1
        if logger.isEnabledFor(logging.INFO):
            logger.info(
                "%s %s: %s on attempt %d of %d; retrying in %.3fs",
                call.method,
                call.route or "(unnamed route)",
                cause,
                call.attempt,
                self._config.retry.max_attempts,
                details["wait"],
            )

    def _final(self, call: _Call, error: SmarterProctoringError) -> SmarterProctoringError:
        call.counts.failures += 1
        if isinstance(error, TransportError) and not isinstance(error, TimeoutError):
            error.attempts = call.attempt
            plural = "s" if call.attempt != 1 else ""
            error.args = (f"{error.args[0]} (gave up after {call.attempt} attempt{plural})",)
        gave_up = call.attempt > 1 or isinstance(error, RateLimitError)
        if gave_up and logger.isEnabledFor(logging.WARNING):
            # The cause, not the message: messages name the filled path, with its SIDs.
            logger.warning(
                "%s %s: giving up after %d attempt(s): %s (%s)",
                call.method,
                call.route or "(unnamed route)",
                call.attempt,
                type(error).__name__,
                retry_cause(error),
            )
        return error

    async def _attempt(self, call: _Call) -> tuple[bytes, JSONValue]:
        pool = self.pool
        slots = pool.slots
        assert slots is not None
        policy = self._config.retry
        call.attempt += 1
        try:
            deadline = call.deadline
            waited = await self._limiter.acquire(
                deadline=deadline, max_pause=policy.max_retry_after
            )
            if deadline is None:
                await slots.acquire()
            else:  # a cancel scope costs a little: only when there is a deadline to keep
                with anyio.move_on_after(call.remaining()) as scope:
                    await slots.acquire()
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
            session = pool.session
            if session is None or self._closed:
                raise _Retry(ClientStateError("this client is closed"), retry=False)
            counts = call.counts
            counts.requests += 1
            counts.limiter_wait += waited
            call.sent += 1
            call.waited += waited
            started = time.monotonic()
            try:
                status, headers, body = await self._exchange(session, call)
            except _Retry as failed:
                self._log(call, type(failed.error).__name__, started, waited)
                raise
            counts.bytes_received += len(body)
            call.status = status
        except PausedError as paused:
            raise _Retry(self._paused(call, paused.remaining), retry=False) from None
        except TimeoutError as late:
            raise _Retry(self._late(call, late), retry=False) from None
        finally:
            slots.release()
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
        elif self._timeout is not None:
            extra["timeout"] = self._timeout
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
            call.counts.rate_limited += 1
            self._limiter.slow_down()
        if retry_after is not None:
            # Even a pause too long to wait for holds every request of this limiter back:
            # they fail at once instead of being sent against the server's wish.
            self._pause(call, status, retry_after, "Retry-After")
            if retry_after > policy.max_retry_after:
                if isinstance(error, RateLimitError):
                    error.pause_exceeded = True
                raise _Retry(error, retry=False)
        elif status == 429:
            # No Retry-After: still hold every request back, by the backoff step.
            step = min(policy.max_delay, policy.base_delay * 2 ** (call.attempt - 1))
            self._pause(call, status, step, "no Retry-After: the backoff step")
        raise _Retry(error, retry=True)

    def _pause(self, call: _Call, status: int, seconds: float, why: str) -> None:
        self._limiter.pause(seconds)
        counts = call.counts
        counts.pauses += 1
        counts.pause_seconds += seconds
        if logger.isEnabledFor(logging.INFO):
            logger.info(
                "%s %s: %d on attempt %d; pausing every request of the rate limiter for %.2fs (%s)",
                call.method,
                call.route or "(unnamed route)",
                status,
                call.attempt,
                seconds,
                why,
            )
