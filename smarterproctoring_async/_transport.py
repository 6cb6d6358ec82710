"""The one place the SDK does HTTP: the aiohttp session, and carrying out retries.

``Transport.send()`` is ``retry(budget slot -> connection slot -> one attempt under its
timeout -> the body, bounded -> decode)``. ``_retry_rules.decide``, a pure function,
says what follows an attempt; this module carries it out and tells one ``Hook`` (stats,
logs, spans). No aiohttp exception gets past it, and its errors carry no exception
chain (aiohttp's exceptions hold the request's headers, token included).

Bounds whatever the server does: a body is read up to ``max_response_bytes`` (after
decompression), an error body up to 64 KiB; an attempt's timeout is clipped to what is
left of ``RetryPolicy.deadline``, and nothing starts that cannot end before it.
Redirects are followed by hand, within the origin only (aiohttp would forward the
``token`` header anywhere). A client and its views share one :class:`Pool`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any, NoReturn
from urllib.parse import urlsplit

import aiohttp
import backoff

from ._after_attempt import Aftermath, Retry, is_final
from ._config import ClientConfig
from ._error_body import ERROR_BODY_PREFIX, scrub
from ._json import decode_body
from ._observe import RETRIED as _CURRENT
from ._observe import Call, Hook, Observers, time_left
from ._outgoing import Outgoing
from ._protocol import QueryPairs, Request, redirect_target
from ._ratelimit import Limiter, PausedError, admit
from ._retry_rules import CHECK_ROUTE, Failure, os_reason, too_large_error, transport_error
from ._token_check import TokenCheck
from ._tracing import Tracing
from ._unclosed import close_when_dropped
from .errors import (
    ClientStateError,
    DecodeError,
    RedirectError,
    TimeoutError,
    TransportError,
    raise_alone,
)
from .models import JSONValue
from .stats import ClientStats

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_MAX_REDIRECTS = 5
USER_AGENT = "smarterproctoring-async/0.1"
_NO_HEADERS: Mapping[str, str] = {}


class Pool:
    """The aiohttp session, its request slots and the token's verdict, created on the
    loop that first uses them. Shared by a client and every view; only the client
    closes it."""

    def __init__(self, config: ClientConfig) -> None:
        self.config = config
        self.session: aiohttp.ClientSession | None = None
        self.slots: asyncio.Semaphore | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.token_check = TokenCheck()
        self.reading: set[aiohttp.ClientResponse] = set()  # bodies being read now
        self.closed = False

    def open(self, *, view: bool = False) -> None:
        """Create the HTTP session on the running event loop (idempotent on that loop)."""
        loop = asyncio.get_running_loop()
        if self.closed:
            what = "the client this view was made with with_options()" if view else "this client"
            raise ClientStateError(f"{what} is closed; create a new Client")
        if self.loop is not None:
            if self.loop is not loop:
                raise ClientStateError(
                    "this client was opened on another event loop (a re-run notebook cell "
                    "or another test?); create the client inside the loop that uses it"
                )
            return
        config = self.config
        self.loop = loop
        # asyncio's: a free slot is taken without any await or cancellation checkpoint.
        self.slots = asyncio.Semaphore(config.max_concurrency)
        ssl = config.ssl if config.ssl is not None else True
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=config.max_concurrency, limit_per_host=0, ssl=ssl),
            # Only the configured origin is requested (redirects are followed by hand, within
            # it). The token is no default header: each attempt sends the current one.
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            timeout=aiohttp.ClientTimeout(total=config.timeout),
            trust_env=config.trust_env,
        )
        close_when_dropped(self, self.session, loop)

    def check_loop(self) -> None:
        """Refuse to be closed from another event loop than the one that opened it,
        unless that one is closed (an ended ``asyncio.run``: nothing to wait for on it)."""
        loop = self.loop
        if loop is not None and loop is not asyncio.get_running_loop() and not loop.is_closed():
            raise ClientStateError(
                "this client was opened on another event loop; close it from that loop"
            )

    async def aclose(self) -> None:
        """Close the HTTP session; further requests raise ClientStateError."""
        self.check_loop()
        self.closed = True
        session, self.session = self.session, None
        for response in list(self.reading):  # else a body being read waits out its timeout
            response.close()
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
        self.hook: Hook = Observers(self.stats, self.tracing, config.retry.max_attempts)
        self._owner = pool is None
        self.pool = pool if pool is not None else Pool(config)
        self._after = Aftermath(config, limiter, self.hook, self._check_token)
        self._outgoing = Outgoing(config.tokens, config.headers)
        origin = urlsplit(config.base_url)
        port = origin.port or (443 if origin.scheme == "https" else 80)
        self._origin: tuple[str | None, int | None] = (origin.hostname, port)
        self._closed = False
        own = config.timeout != self.pool.config.timeout  # a view's: passed per request
        self._timeout = aiohttp.ClientTimeout(total=config.timeout) if own else None
        policy = config.retry
        self._send_with_retries = backoff.on_exception(
            backoff.expo,
            Retry,
            max_tries=policy.max_attempts,
            max_time=time_left,
            giveup=is_final,
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

    async def send(self, request: Request, *, raw: bool = False) -> JSONValue:
        """Send one request with retries; the decoded JSON body (``raw``: its bytes,
        checked to be JSON). One coroutine for the whole logical request."""
        if self.pool.loop is not asyncio.get_running_loop() or self.pool.closed or self._closed:
            self.open()  # opens on first use, else says what is wrong: not a call per request
        if self._outgoing.tokens.current is None:
            await self._outgoing.tokens.ready()  # a provider's first token (its errors as is)
        deadline = self._config.retry.deadline
        ends = None if deadline is None else time.monotonic() + deadline
        counts = self.stats.for_route(request.route)
        call = Call(request.method, request.path, request.query, ends, request.route, counts)
        self.hook.started(call)
        try:
            failed: list[Retry] = []
            try:
                # Most requests succeed at once: the first attempt runs without the retry
                # machinery, which costs as much per call as a third of the client's work.
                result = await self._attempt(call)
            except Retry as first:
                if is_final(first):
                    raise
                failed.append(first)  # retried outside this block: no exception chain
            if failed:
                current = _CURRENT.set(call)
                try:
                    result = await self._send_with_retries(call, failed)
                finally:
                    _CURRENT.reset(current)
        except Retry as exc:
            # The public error has no __context__: aiohttp's exceptions hold request details.
            error = self._after.given_up(call, exc.error)
            self.hook.finished(call, error)
            raise_alone(error)
        except BaseException as exc:
            self.hook.finished(call, exc)
            raise
        self.hook.finished(call, None)
        return result[0] if raw else result[1]  # type: ignore[return-value]

    async def send_raw(self, request: Request) -> bytes:
        """Like :meth:`send`, but the body's bytes (checked to be JSON), for caching."""
        return await self.send(request, raw=True)  # type: ignore[return-value]

    #: Parse a JSON body; anything unreadable, however deep, is a DecodeError.
    decode = staticmethod(decode_body)

    async def _retry(self, call: Call, first: list[Retry]) -> tuple[bytes, JSONValue]:
        """``backoff``'s call: raises the first attempt's failure (the first try), then tries."""
        if first:
            raise first.pop()
        return await self._attempt(call)

    def _retrying(self, details: Any) -> None:
        """``backoff``'s report before it waits."""
        self.hook.retrying(details["args"][0], details["exception"].error, details["wait"])

    async def _attempt(self, call: Call) -> tuple[bytes, JSONValue]:
        slots = self.pool.slots
        assert slots is not None
        call.attempt += 1
        try:
            max_pause = self._config.retry.max_retry_after
            waited = await admit(self._limiter, slots, call.deadline, max_pause)
        except PausedError as paused:
            self._after.paused(call, paused.remaining)
        except TimeoutError as late:
            self._after.late(call, late)
        try:
            session = self.pool.session
            if session is None or self._closed:
                raise Retry(ClientStateError("this client is closed"), retry=False)
            call.sent += 1
            call.waited += waited
            self.hook.sent(call, waited)
            started = time.monotonic()
            try:
                status, headers, body = await self._exchange(session, call)
            except Retry as failed:
                self.hook.answered(call, type(failed.error).__name__, started, 0)
                raise
            call.status = status
            self.hook.answered(call, status, started, len(body))
            self._outgoing.note(status, headers, time.monotonic() - started)
        finally:
            slots.release()
        if 200 <= status < 300:
            try:
                return body, self.decode(body, call.method, call.path)
            except DecodeError as error:
                call.undecodable += 1
                self._after.failed(call, error, "undecodable")
        await self._after.error_status(call, status, headers, body, self.pool.token_check)
        return await self._attempt(call)  # the provider renewed the token: once more

    async def _check_token(self) -> JSONValue:
        return await self.send(Request("GET", CHECK_ROUTE, route=CHECK_ROUTE))

    async def _exchange(
        self, session: aiohttp.ClientSession, call: Call
    ) -> tuple[int, Mapping[str, str], bytes]:
        """One attempt: request, follow safe redirects, read the body within its bounds."""
        url: str = self._config.base_url + call.path
        params: QueryPairs | None = call.query
        remaining = call.remaining()
        if remaining is not None and remaining < 0.05:
            self._after.late(call, "no time left")
        limit = self._config.timeout if remaining is None else min(self._config.timeout, remaining)
        # The session's own timeout holds unless a deadline or a view asks for another
        # (passing timeout=None would mean no timeout at all to aiohttp).
        timeout = self._timeout if remaining is None else aiohttp.ClientTimeout(total=limit)
        extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
        redirected = 0  # the 3xx whose Location is refused, for the error
        try:
            for _ in range(_MAX_REDIRECTS + 1):
                async with session.request(
                    call.method,
                    url,
                    params=params or None,
                    allow_redirects=False,
                    proxy=self._config.proxy,
                    headers=self._outgoing.headers(call),
                    **extra,
                ) as response:
                    status = response.status
                    if status not in _REDIRECTS:
                        ok = 200 <= status < 300
                        self.pool.reading.add(response)  # aclose() ends it at once
                        try:
                            if self._at_once(response, call, ok=ok):
                                body = await response.read()
                            else:
                                body = await self._read(response, call, ok=ok)
                        finally:
                            self.pool.reading.discard(response)
                        # Only a failure's (Retry-After) or a recorded call's headers are
                        # read; the copy keeps their case-insensitive lookup.
                        keep = not ok or self._outgoing.recording()
                        return status, response.headers.copy() if keep else _NO_HEADERS, body
                    # The Location already carries its own query; don't add ours again.
                    redirected = status
                    url, params = redirect_target(url, response.headers.get("Location")), None
            failed = TransportError(f"{call.method} {call.path}: too many redirects")
            self._after.failed(call, failed, "refused")
        except RedirectError as exc:
            refused = RedirectError(
                redirected, None, exc.message, method=call.method, path=call.path
            )
            self._after.failed(call, refused, "refused")
        except asyncio.TimeoutError:
            late = TimeoutError(f"{call.method} {call.path}: no complete answer within {limit:g} s")
            self._after.failed(call, late, "timeout")
        except Retry:
            raise
        except Exception as exc:
            if self.pool.closed or self._closed:  # closed under it: no network failure
                raise Retry(ClientStateError("this client was closed"), retry=False) from None
            if not isinstance(exc, aiohttp.ClientError):  # an answer aiohttp chokes on
                why = f"{call.method} {call.path}: unusable answer ({type(exc).__name__})"
                self._after.failed(call, TransportError(why), "refused")
            failure, error = self._connection_error(call, exc)
            self._after.failed(call, error, failure)

    def _at_once(self, response: aiohttp.ClientResponse, call: Call, *, ok: bool) -> bool:
        """Whether the body is read in one go: a success announcing its length, not compressed."""
        announced = response.content_length
        if not ok or announced is None or "Content-Encoding" in response.headers:
            return False  # compressed: the limit holds after decompression, in the chunk loop
        if announced > self._config.max_response_bytes:
            self._too_large(call, f"announces {announced} bytes, more")
        return True

    async def _read(self, response: aiohttp.ClientResponse, call: Call, *, ok: bool) -> bytes:
        """The body chunk by chunk, up to ``max_response_bytes`` (error body: 64 KiB)."""
        limit = self._config.max_response_bytes if ok else ERROR_BODY_PREFIX
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_any():
            size += len(chunk)
            if size > limit:
                if not ok:  # enough to say what went wrong
                    chunks.append(chunk)
                    break
                self._too_large(call, "grew longer")
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self, call: Call, what: str) -> NoReturn:
        error = too_large_error(call.method, call.path, what, self._config.max_response_bytes)
        self._after.failed(call, error, "too_large")

    def _connection_error(
        self, call: Call, exc: aiohttp.ClientError
    ) -> tuple[Failure, TransportError]:
        """The failure kind and the error naming the true reason, host and port."""
        failure: Failure = "connection"
        # Where it was connecting, else the configured origin (redirects stay within it).
        host, port = self._origin
        if isinstance(exc, aiohttp.ClientConnectorError):
            host, port = exc.host, exc.port
        if isinstance(exc, aiohttp.ClientConnectorCertificateError):
            failure = "tls"
            detail = getattr(exc.certificate_error, "verify_message", None)
            reason = "certificate verification failed" + (f" ({detail})" if detail else "")
        elif isinstance(exc, aiohttp.ClientSSLError):
            failure, reason = "tls", "TLS handshake failed"
        elif isinstance(exc, aiohttp.ClientConnectorError):
            reason = os_reason(exc.os_error)
        elif isinstance(exc, aiohttp.ServerDisconnectedError):
            reason = "the server closed the connection before answering"
        elif isinstance(exc, aiohttp.ClientPayloadError):
            reason = "the answer was cut short"
        elif isinstance(exc, aiohttp.ClientOSError):
            reason = os_reason(exc)
        elif isinstance(exc, aiohttp.ClientResponseError):
            reason = "the answer is not valid HTTP"
        else:
            reason = type(exc).__name__
        reason = scrub(reason[:200], self._outgoing.tokens.current)
        return failure, transport_error(call.method, call.path, host, port, reason)
