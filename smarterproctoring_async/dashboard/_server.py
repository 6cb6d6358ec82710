"""The dashboard's web server (aiohttp.web): the page, its stylesheet and the CSV.

The one module of the dashboard that imports aiohttp (the import contract allows it
here, as in ``_transport`` and the fake). Every answer forbids loading anything from
elsewhere (Content-Security-Policy), framing and sniffing; bound to loopback, the
server also refuses a request whose ``Host`` is not a loopback name, so a web page
elsewhere cannot reach it through DNS rebinding.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.typedefs import Middleware

from ..resources.report_registry import REPORTS
from ._csv import rows_csv
from ._loading import Loaded, load
from ._page import STYLE, page
from ._panels import PANELS
from ._sync_health import SyncHealth, read_sync_health

if TYPE_CHECKING:
    from ..resources.reports import Reports
    from ..store import Store
    from ._body_cache import BodyCache

__all__ = ["SECURITY_HEADERS", "Runner", "build_app", "is_loopback", "start"]

#: What :func:`start` returns to stop the server with (``await runner.cleanup()``).
Runner = web.AppRunner

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}
#: Seconds a page waits for the store's sync health.
HEALTH_WAIT = 5.0
logger = logging.getLogger("smarterproctoring_async.dashboard")


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or address) is this machine only."""
    if host.lower() in _LOOPBACK_NAMES or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class _Site:
    """What the handlers share: the install's reports, the cache, the store."""

    def __init__(
        self, reports: Reports, cache: BodyCache, key: str, store: Store | None, ttl: float
    ) -> None:
        self.reports, self.cache, self.key, self.store, self.ttl = reports, cache, key, store, ttl
        self._health: asyncio.Future[SyncHealth] | None = None

    async def load(self, name: str) -> Loaded:
        return await load(REPORTS[name], self.reports, self.cache, f"{self.key}|{name}")

    async def index(self, request: web.Request) -> web.Response:
        names = [p.report for p in PANELS]
        loaded = await asyncio.gather(*(self.load(n) for n in names))
        health = None if self.store is None else await self.health()
        now = datetime.now(timezone.utc)
        html = page(
            self.reports.install_sid, dict(zip(names, loaded, strict=True)), now, health, self.ttl
        )
        return web.Response(text=html, content_type="text/html", charset="utf-8")

    async def health(self) -> SyncHealth:
        """The store's sync health, or an error box after HEALTH_WAIT seconds: a store
        that hangs (a stopped database server) must not hold the page. The read goes on
        in the background, and the next page load waits for that same read."""
        assert self.store is not None
        if self._health is None or self._health.done():
            self._health = asyncio.ensure_future(
                read_sync_health(self.store, self.reports.install_sid)
            )
        done, _ = await asyncio.wait({self._health}, timeout=HEALTH_WAIT)
        if done:
            return self._health.result()
        return SyncHealth(
            datetime.now(timezone.utc),
            error=f"the store did not answer within {HEALTH_WAIT:g} s: {self.store.url}",
        )

    async def close(self, app: web.Application) -> None:
        """At shutdown: a store read still running is cancelled (given HEALTH_WAIT)."""
        if self._health is not None and not self._health.done():
            self._health.cancel()
            await asyncio.wait({self._health}, timeout=HEALTH_WAIT)

    async def style(self, request: web.Request) -> web.Response:
        return web.Response(text=STYLE, content_type="text/css", charset="utf-8")

    async def learners_csv(self, request: web.Request) -> web.Response:
        loaded = await self.load("unscheduled-learners")
        if loaded.error is not None:
            return web.Response(status=502, text=loaded.error, content_type="text/plain")
        rows = [r for r in loaded.body if isinstance(r, dict)]
        return web.Response(
            text=rows_csv(rows),
            content_type="text/csv",
            charset="utf-8",
            headers={"Content-Disposition": 'attachment; filename="unscheduled-learners.csv"'},
        )


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class _ProtocolLog(logging.LoggerAdapter):  # type: ignore[type-arg]
    """What aiohttp's protocol layer logs about a request it could not parse."""

    def exception(self, msg: object, *args: object, exc_info: object = True, **kw: Any) -> None:
        kind = type(exc_info).__name__ if isinstance(exc_info, BaseException) else "error"
        self.debug(f"{msg} ({kind})", *args)


def _guard(loopback_only: bool) -> Middleware:
    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            host = request.url.host or ""
        except ValueError:  # a Host header that is no host at all
            host = ""
        if loopback_only and not is_loopback(host):
            response: web.StreamResponse = web.Response(status=421, text="wrong host")
        elif request.method not in ("GET", "HEAD"):
            response = web.Response(status=405, text="read-only")
        else:
            try:
                response = await handler(request)
            except web.HTTPException as error:
                response = web.Response(status=error.status, text=error.reason)
            except Exception:  # a bug: one logged traceback, a 500 with the same headers
                logger.exception("dashboard: %s failed", request.path[:100])
                response = web.Response(status=500, text="internal error (see the log)")
        response.headers.update(SECURITY_HEADERS)
        return response

    return guard


def build_app(
    reports: Reports,
    cache: BodyCache,
    key: str,
    *,
    store: Store | None,
    ttl: float,
    loopback_only: bool,
) -> web.Application:
    """The dashboard's application: ``/``, ``/style.css``, ``/unscheduled-learners.csv``."""
    site = _Site(reports, cache, key, store, ttl)
    app = web.Application(middlewares=[_guard(loopback_only)])
    app.on_cleanup.append(site.close)
    app.router.add_get("/", site.index)
    app.router.add_get("/style.css", site.style)
    app.router.add_get("/unscheduled-learners.csv", site.learners_csv)
    return app


async def start(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, str]:
    """Serve ``app`` on ``host``:``port`` (0: any free port); the runner and the URL."""
    # No access log (paths are all it would say), and a malformed request (any web page
    # can make a browser send one) is one DEBUG line, not a traceback at ERROR.
    runner = web.AppRunner(app, access_log=None, logger=_ProtocolLog(logger, {}))
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound = runner.addresses[0]
    shown = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
    return runner, f"http://{shown}:{bound[1]}/"
