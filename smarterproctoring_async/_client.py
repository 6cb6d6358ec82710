"""The client: configuration, lifecycle, and the entry points to every handle."""

from __future__ import annotations

from types import TracebackType

from ._config import RetryPolicy, make_config
from ._protocol import check_sid
from ._ratelimit import RateLimiter
from ._transport import Transport
from .models import SessionRef
from .resources import Install, Session
from .resources._context import Context

__all__ = ["Client"]


class Client:
    """An asyncio client for the SmarterProctoring reporting API.

    Use it as ``async with sp.Client(token) as client:`` (or call :meth:`aclose`).
    ``token`` and ``base_url`` fall back to the ``SMARTERPROCTORING_TOKEN`` and
    ``SMARTERPROCTORING_BASE_URL`` environment variables; the default base URL is
    ``https://api.smarterproctoring.com``.

    Every request of the client, whatever made it (pages, retries, polls, fan-out),
    shares one :class:`RateLimiter` (``rate_limit`` requests per second with bursts
    of ``burst``; ``None`` disables spacing) and at most ``max_concurrency``
    requests are in flight at once. Pass ``rate_limiter=`` to share one budget
    between several clients; it then replaces ``rate_limit`` and ``burst``.

    The HTTP session is created on first use inside the running event loop; using
    the client from another loop raises
    :class:`~smarterproctoring_async.errors.ClientStateError`.
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        base_url: str | None = None,
        rate_limit: float | None = 10.0,
        burst: int | None = None,
        max_concurrency: int = 16,
        page_size: int = 50,
        timeout: float = 30.0,
        retry: RetryPolicy = RetryPolicy(),
        rate_limiter: RateLimiter | None = None,
        validate_sids: bool = True,
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
        )
        self.rate_limiter = rate_limiter or RateLimiter(rate_limit, burst)
        self._transport = Transport(self._config, self.rate_limiter)
        self._context = Context(self._transport, self._config)

    def __repr__(self) -> str:
        config = self._config
        return (
            f"Client(base_url={config.base_url!r}, rate_limiter={self.rate_limiter!r}, "
            f"max_concurrency={config.max_concurrency}, page_size={config.page_size}, "
            f"timeout={config.timeout})"
        )

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
        """Close the HTTP session. The client cannot be used afterwards."""
        await self._transport.aclose()

    def install(self, sid: str) -> Install:
        """The handle of an install (``AI…``); no request is made."""
        return Install(self._context, sid)

    def session(self, ref: SessionRef) -> Session:
        """The handle of the session a :class:`SessionRef` (or report row) points to."""
        ref = getattr(ref, "session_ref", ref)
        if not isinstance(ref, SessionRef):
            raise TypeError(f"expected a SessionRef, got {type(ref).__name__}")
        check_sid("installSid", ref.install_sid, validate=self._config.validate_sids)
        return Session(self._context, ref)
