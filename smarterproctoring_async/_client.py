"""The client: configuration, lifecycle, and the entry points to every handle."""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, TypeVar

from ._bulk_methods import BulkMethods
from ._config import ClientConfig, RetryPolicy, make_config, override, require_limiter
from ._log_env import configure_from_env
from ._page_size import PageSizeSetting
from ._pagination import Paginator
from ._protocol import QueryValue
from ._ratelimit import Limiter, RateLimiter
from ._raw_response import RawResponse, raw_response
from ._token_source import TokenProvider
from ._tracing import Tracing
from ._transport import Transport
from ._walk import OnShortList
from .models import JSONValue, Record, SessionRef
from .resources import Install, Session, unwrapped
from .resources._context import Context
from .resources.discovery import event_types
from .stats import ClientStats

if TYPE_CHECKING:
    pass

T = TypeVar("T")


class HasSessionRef(Protocol):
    """Anything that names one session: a :class:`SessionRef` or a report row."""

    @property
    def session_ref(self) -> SessionRef | None:
        """The three SIDs of the session (``None`` when a row does not name one)."""


__all__ = ["Client"]


class Client(BulkMethods):
    """An asyncio client for the SmarterProctoring reporting API.

    Use it as ``async with sp.Client(token) as client:`` (or call :meth:`aclose`).
    ``token`` and ``base_url`` fall back to the ``SMARTERPROCTORING_TOKEN`` and
    ``SMARTERPROCTORING_BASE_URL`` environment variables; the default base URL is
    ``https://api.smarterproctoring.com``.

    ``token`` may also be a :data:`TokenProvider`: a callable or async callable
    returning the token (one kept in a secret store and rotated). It is called before
    the first request, and again when a 401 turns out to mean that the token itself
    no longer works (``/v1/check`` refuses it too); that request is then sent once
    more with the new token, and a 401 after that is raised as usual. Requests
    refused together share one call of the provider. What it returns is checked like
    a ``str`` token (:class:`~smarterproctoring_async.errors.ConfigurationError`);
    what it raises reaches the caller as it is. A 401 on a resource outside the
    token's scope (the check says the token works) never calls the provider.

    Every request of the client, whatever made it (pages, retries, polls, fan-out),
    shares one :class:`RateLimiter` (``rate_limit`` requests per second with bursts
    of ``burst``; ``None`` disables spacing) and at most ``max_concurrency``
    requests are in flight at once. Pass ``rate_limiter=`` to share one budget
    between several clients; it then replaces ``rate_limit`` and ``burst``.

    The HTTP session is created on first use inside the running event loop; using
    the client from another loop raises
    :class:`~smarterproctoring_async.errors.ClientStateError`.

    The volume and distribution reports are cached for ``cache_ttl`` seconds (15
    minutes by default, per the reporting guide), keyed by path and query; callers
    asking for the same report at once share one request, and errors are never
    cached. ``cache_ttl=0`` or ``None`` turns the cache off; ``cache=False`` on a
    report call skips it once.

    Transport settings: ``max_response_bytes`` caps one response body after
    decompression (64 MiB by default; larger bodies raise
    :class:`~smarterproctoring_async.errors.ResponseTooLargeError`); ``proxy`` sends
    every request through an HTTP proxy, and ``trust_env=True`` honours the
    ``HTTP(S)_PROXY``/``NO_PROXY`` environment variables (and ``~/.netrc``) instead;
    ``ssl`` takes an :class:`ssl.SSLContext` for a private CA or a client
    certificate (verification stays on unless that context turns it off). A plain
    ``http://`` base URL is accepted only for a loopback host unless
    ``allow_insecure_http=True``: the token would travel in clear text.

    Lists are read ``page_size`` records a request. ``"auto"`` (the default) asks
    for 500 and follows a server that sends fewer; any 400 to a list request asking
    for more than 50 is asked again once at 50 (the API's default; its refusals need
    not name ``limit``) before it counts: if 50 is answered, that route (template)
    gets 50 from then on, from the client and its views, with one INFO log; if 50 is
    refused too, that 400 is raised. An int asks for exactly that many.

    A list whose server announces more records than it delivers (its ``total`` is a
    separate count; rows tied in its sort order can swap between pages) raises
    :class:`~smarterproctoring_async.errors.IncompleteListError` at its end
    (``on_short_list="raise"``, the default). ``on_short_list="warn"`` delivers what
    the server sent instead, with one WARNING per list, counted in
    ``stats.short_lists`` and kept on the paginator's ``incomplete``.

    Observability: :attr:`stats` counts what the client did, per endpoint template;
    the ``smarterproctoring_async`` logger says DEBUG per attempt, INFO per retry or
    pause and WARNING when a retried request gives up. With the ``otel`` extra and a
    configured OpenTelemetry SDK, each request is a CLIENT span;
    ``tracer_provider`` records into that provider instead of the global one.
    """

    def __init__(
        self,
        token: str | TokenProvider | None = None,
        *,
        base_url: str | None = None,
        rate_limit: float | None = 10.0,
        burst: int | None = None,
        max_concurrency: int = 16,
        page_size: PageSizeSetting = "auto",
        timeout: float = 30.0,
        retry: RetryPolicy = RetryPolicy(),
        rate_limiter: Limiter | None = None,
        validate_sids: bool = True,
        cache_ttl: float | None = 900.0,
        max_response_bytes: int = 64 * 2**20,
        proxy: str | None = None,
        trust_env: bool = False,
        ssl: ssl.SSLContext | None = None,
        allow_insecure_http: bool = False,
        tracer_provider: object | None = None,
        on_short_list: OnShortList = "raise",
    ) -> None:
        self._config = make_config(
            token,
            base_url=base_url,
            rate_limit=rate_limit,
            burst=burst,
            max_concurrency=max_concurrency,
            page_size=page_size,
            timeout=timeout,
            retry=retry,
            validate_sids=validate_sids,
            cache_ttl=cache_ttl,
            max_response_bytes=max_response_bytes,
            proxy=proxy,
            trust_env=trust_env,
            ssl_context=ssl,
            allow_insecure_http=allow_insecure_http,
            on_short_list=on_short_list,
        )
        if rate_limiter is not None:
            require_limiter(rate_limiter)
        self.rate_limiter: Limiter = (
            RateLimiter(rate_limit, burst) if rate_limiter is None else rate_limiter
        )
        tracing = Tracing(self._config.base_url, tracer_provider)
        self._transport = Transport(self._config, self.rate_limiter, tracing=tracing)
        self._context = Context(self._transport, self._config)
        self._is_view = False
        configure_from_env()

    def __repr__(self) -> str:
        config = self._config
        view = ", view" if self._is_view else ""
        return (
            f"Client(base_url={config.base_url!r}, rate_limiter={self.rate_limiter!r}, "
            f"max_concurrency={config.max_concurrency}, page_size={config.page_size!r}, "
            f"timeout={config.timeout}{view})"
        )

    @property
    def stats(self) -> ClientStats:
        """What this client (and every view of it) did: requests, retries by cause, 429s,
        pauses, limiter wait, bytes and pages, in all and per endpoint template.
        ``client.stats.reset()`` zeroes them."""
        return self._transport.stats

    def with_options(
        self,
        *,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        on_short_list: OnShortList | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Client:
        """A view of this client with its own ``timeout``, ``retry`` policy,
        ``on_short_list`` and/or extra request ``headers``.

        ``headers`` are added to every request of the view (and of views made from
        it; a name given again replaces the value). Names are HTTP tokens, values
        printable ASCII; headers the SDK owns (``token``, ``Authorization``, ``Host``,
        ``Content-Length``, ``Content-Type``, ``Connection``, ``Accept-Encoding``...)
        are refused.

        The view shares everything else: the HTTP session and its connection slots,
        the rate limiter, the report cache, :attr:`stats` and tracing. An option left
        out (``None``) keeps this client's. Bad values raise
        :class:`~smarterproctoring_async.errors.ConfigurationError` at once, as the
        constructor does.

        Closing the view (``aclose()`` or leaving ``async with``) ends only the view;
        this client stays open. Closing this client closes the session under every
        view: using one afterwards raises
        :class:`~smarterproctoring_async.errors.ClientStateError`.
        """
        config = override(
            self._config,
            timeout=timeout,
            retry=retry,
            on_short_list=on_short_list,
            headers=headers,
        )
        return self._view(config)

    async def with_raw_response(self, call: Awaitable[T]) -> RawResponse[T]:
        """Await ``call`` (any awaited method, such as ``session.get()``) and return its
        value (``.parsed``) with the HTTP answer it came from: ``.status``, ``.headers``
        (read-only, case-insensitive), ``.request_id`` (whatever request id header the
        server sent, else ``None``) and ``.elapsed``.

        ``raw = await client.with_raw_response(session.get())``. A call that reads
        several answers (retries, a token check) reports the last one; a report served
        from the cache reports ``status=None``. Paginators are iterated as usual:
        their pages are not recorded.
        """
        return await raw_response(call)

    def _view(self, config: ClientConfig) -> Client:
        view = object.__new__(Client)
        view._config = config
        view.rate_limiter = self.rate_limiter
        transport = self._transport
        view._transport = Transport(
            config,
            self.rate_limiter,
            stats=transport.stats,
            tracing=transport.tracing,
            pool=transport.pool,
        )
        view._context = Context(view._transport, config, parent=self._context)
        view._is_view = True
        return view

    @property
    def base_url(self) -> str:
        """The API root every path is joined to."""
        return self._config.base_url

    async def __aenter__(self) -> Client:
        self._transport.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP session. The client cannot be used afterwards.

        On a view (:meth:`with_options`), only the view is closed.
        """
        await self._transport.aclose()

    def install(self, sid: str) -> Install:
        """The handle of an install (``AI…``); no request is made."""
        return Install(self._context, sid)

    def session(self, ref: HasSessionRef) -> Session:
        """The handle of the session a :class:`SessionRef`, or a row with a
        ``session_ref`` (an appointment, an event row...), points to."""
        ref = getattr(ref, "session_ref", ref)
        if not isinstance(ref, SessionRef):
            raise TypeError(f"expected a SessionRef, got {type(ref).__name__}")
        return Session(self._context, ref)  # which checks every SID of the ref

    def event_types(self) -> Paginator[Record]:
        """The catalogue of integrity event types (``ET…``), across all pages."""
        return event_types(self._context)

    async def token_ttl(self) -> float | None:
        """Seconds the token has left (``GET /v1/ttl``); ``None`` if it never expires.

        A token that is gone (the API's ttl -2) raises
        :class:`~smarterproctoring_async.errors.AuthenticationError`. Asking does not
        extend the token's life (:meth:`check` does).
        """
        return await unwrapped.token_ttl(self._context)

    async def check(self) -> Record:
        """Check the token (``GET /v1/check``) and return its claims as a record.

        The check also resets the token's sliding expiry: calling it keeps an idle
        token alive. A token that does not work (wrong, expired, revoked) raises
        :class:`~smarterproctoring_async.errors.AuthenticationError`. The client asks
        the same question by itself on a 401/403 (at most once a minute) to tell a
        token that is not allowed one resource
        (:class:`~smarterproctoring_async.errors.PermissionDeniedError`) from one that
        no longer works.
        """
        return await unwrapped.check(self._context)

    async def get_json(self, path: str, **params: QueryValue) -> JSONValue:
        """GET a route the SDK does not wrap; the decoded JSON answer.

        ``path`` is a route template (``"/v1/installs/{installSid}/..."``): its
        placeholders come from ``params`` and are checked like every SID, the other
        ``params`` are the query under the API's own names. Same limiter, retries and
        bounds as every request. GET routes that change state (``/v1/logout``, which
        revokes the token, "Start Exam", ...) are refused with
        :class:`~smarterproctoring_async.errors.InvalidFilterError` before any request.
        """
        return await unwrapped.get_json(self._context, path, dict(params))

    def paginate(self, path: str, **params: QueryValue) -> Paginator[Record]:
        """Every record of a list route the SDK does not wrap, as generic records.

        Like :meth:`get_json` for the path and ``params``; pages are read by the same
        paginator as every list (``offset``/``limit`` are its own).
        """
        return unwrapped.paginate(self._context, path, dict(params))
