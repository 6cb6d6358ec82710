"""``sp.Dashboard`` and ``sp.serve_dashboard``: the guide's Pattern 3 as a local web page.

Everything is checked before anything listens or any request is sent: the install
SID (by the client), the address (loopback unless ``listen_anywhere``), the port and
the cache's lifetime.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from ..errors import ConfigurationError
from ._body_cache import BodyCache, MemoryBodyCache
from ._server import Runner, build_app, is_loopback, start

if TYPE_CHECKING:
    from .._client import Client
    from ..store import Store

__all__ = ["DEFAULT_CACHE_TTL", "DEFAULT_PORT", "Dashboard", "serve_dashboard"]

#: The guide's advice: cache the volume and distribution reports for 15 to 30 minutes.
DEFAULT_CACHE_TTL = 900.0
DEFAULT_PORT = 8050
#: Seconds a page waits for one report (its requests, retries and limiter waits).
DEADLINE = 20.0


class Dashboard:
    """``async with Dashboard(client, "AI…") as dashboard``: serving at ``dashboard.url``.

    The page shows the install's exam volume and exams by week (trends), appointment
    volume (peak scheduling), modality and service distribution, proctor volume and the
    unscheduled learners (a count, the first rows, a CSV of all), each saying how old
    it is; with ``store`` (an open :class:`~smarterproctoring_async.Store`) also the
    sync health from its run log. Reports are cached ``cache_ttl`` seconds, in this
    process or, with ``redis_url``, in Redis, shared by every dashboard using it (keyed by
    API host and install, not token: share it only among tokens that may read them). A
    report that fails shows an error box in its place. ``host`` must be a loopback
    address unless ``listen_anywhere``; ``port=0`` picks a free port. The client's
    token is never part of a page.
    """

    def __init__(
        self,
        client: Client,
        install_sid: str,
        *,
        store: Store | None = None,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        cache_ttl: float = DEFAULT_CACHE_TTL,
        redis_url: str | None = None,
        listen_anywhere: bool = False,
    ) -> None:
        # A page waits at most DEADLINE for a report (limiter waits and retries
        # included): a slow report becomes its panel's error box, not a stuck page.
        retry = client._config.retry
        if retry.deadline is None or retry.deadline > DEADLINE:
            retry = dataclasses.replace(retry, deadline=DEADLINE)
        self._view = client.with_options(retry=retry)
        self._reports = self._view.install(install_sid).reports  # InvalidSidError here
        if not listen_anywhere and not is_loopback(host):
            raise ConfigurationError(
                f"host {host!r} is not a loopback address: the dashboard shows learners' "
                "names; pass listen_anywhere=True (--listen-anywhere) to serve other machines"
            )
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ConfigurationError(f"port must be an int in 0-65535, got {port!r}")
        if isinstance(cache_ttl, bool) or not (
            isinstance(cache_ttl, (int, float)) and math.isfinite(cache_ttl) and cache_ttl > 0
        ):
            raise ConfigurationError(
                f"cache_ttl must be a number of seconds above 0: {cache_ttl!r}"
            )
        self._host, self._port, self._ttl = host, port, float(cache_ttl)
        # Bound to loopback (even with listen_anywhere), only loopback names are
        # answered: a page elsewhere cannot reach it through DNS rebinding.
        self._store, self._redis_url, self._loopback = store, redis_url, is_loopback(host)
        self._key = f"{client.base_url}|{install_sid}"
        self._runner: Runner | None = None
        self._cache: BodyCache | None = None
        self.url: str | None = None
        """``http://host:port/`` while serving, else None."""

    def __repr__(self) -> str:
        return f"<Dashboard install={self._reports.install_sid} url={self.url}>"

    def _make_cache(self) -> BodyCache:
        if self._redis_url is None:
            return MemoryBodyCache(self._ttl)
        from ._redis_body_cache import redis_cache  # here: redis-py only when asked

        return redis_cache(self._redis_url, self._ttl)

    async def __aenter__(self) -> Dashboard:
        if self._runner is not None:
            raise RuntimeError("this Dashboard is already serving: leave it before entering again")
        cache = self._make_cache()
        app = build_app(self._reports, cache, self._key, store=self._store, ttl=self._ttl,
                        loopback_only=self._loopback)  # fmt: skip
        try:
            self._runner, self.url = await start(app, self._host, self._port)
        except BaseException:
            await cache.aclose()
            raise
        self._cache = cache
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop serving and close the cache (idempotent)."""
        runner, cache = self._runner, self._cache
        self._runner = self._cache = None
        self.url = None
        if runner is not None:
            await runner.cleanup()
        if cache is not None:
            await cache.aclose()


async def serve_dashboard(
    client: Client,
    install_sid: str,
    *,
    store: Store | None = None,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    cache_ttl: float = DEFAULT_CACHE_TTL,
    redis_url: str | None = None,
    listen_anywhere: bool = False,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve the :class:`Dashboard` until cancelled; ``on_ready(url)`` once it listens."""
    async with Dashboard(
        client, install_sid, store=store, host=host, port=port, cache_ttl=cache_ttl,
        redis_url=redis_url, listen_anywhere=listen_anywhere,
    ) as dashboard:  # fmt: skip
        if on_ready is not None:
            assert dashboard.url is not None
            on_ready(dashboard.url)
        await asyncio.Event().wait()
