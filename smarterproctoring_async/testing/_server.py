"""FakeAPI: the aiohttp.web server that answers like the SmarterProctoring reporting API."""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import math
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from aiohttp import web

from . import _discovery, _reports, _sessions, _summaries
from ._call import Call, Handler, Listing
from ._data import FakeData, generate_data
from ._faults import (
    CODES,
    Fault,
    drop,
    encode,
    error_response,
    fault_response,
    json_response,
    retry_after_text,
    truncated,
)
from ._paging import paginate
from ._records import now_ms
from ._routes import ApiError, load_routes, match, validate

HANDLERS: dict[str, Handler] = {
    **_sessions.HANDLERS,
    **_discovery.HANDLERS,
    **_reports.HANDLERS,
    **_summaries.HANDLERS,
}


@dataclass(frozen=True)
class RequestRecord:
    """One request the fake received, logged when its answer was done.

    ``route`` is the Swagger template matched (None for an unknown path); ``query`` keeps
    every pair in order, repeated keys included; ``status`` is 0 for a dropped connection;
    ``in_flight`` counts the requests being handled at arrival, this one included;
    ``fault`` is the kind of the injected fault, if any.
    """

    start: float
    end: float
    method: str
    path: str
    route: str | None
    query: tuple[tuple[str, str], ...]
    status: int
    headers: dict[str, str]
    in_flight: int
    fault: str | None


@dataclass
class _Outcome:
    status: int = 0
    route: str | None = None
    fault: str | None = None


@dataclass
class _Armed:
    fault: Fault
    left: int | None


class FakeAPI:
    """A local fake of the SmarterProctoring reporting API on 127.0.0.1.

    Use it as an async context manager. The knobs (``latency``, ``page_cap``,
    ``rate_limit``, ``rate_burst``, ``retry_after``, ``default_limit``) are plain
    attributes and may change while it runs. ``retry_after`` is the fewest seconds a
    rate-limit 429 announces (the real wait is rounded up), or, if a string, the exact
    ``Retry-After`` value to send.
    """

    def __init__(
        self,
        data: FakeData | None = None,
        *,
        token: str = "test-token",
        latency: float = 0.0,
        page_cap: int | None = None,
        rate_limit: float | None = None,
        rate_burst: int = 1,
        retry_after: float | str | None = 1.0,
        default_limit: int = 50,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.data = data if data is not None else generate_data(seed=0)
        self.token = token
        self.latency = latency
        self.page_cap = page_cap
        self.rate_limit = rate_limit
        self.rate_burst = rate_burst
        self.retry_after = retry_after
        self.default_limit = default_limit
        self.host = host
        self.port = port
        self.requests: list[RequestRecord] = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._base_url: str | None = None
        self._runner: web.BaseRunner | None = None
        self._faults: list[_Armed] = []
        self._drifts: list[tuple[str, int]] = []
        self._closures: list[tuple[float, str, str]] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._bucket: tuple[float, int] | None = None
        self._tokens = 0.0
        self._stamp = 0.0

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``, once started."""
        if self._base_url is None:
            raise RuntimeError("FakeAPI is not running: use `async with FakeAPI() as fake:`")
        return self._base_url

    @property
    def in_flight(self) -> int:
        """How many requests are being handled right now."""
        return self._in_flight

    async def start(self) -> FakeAPI:
        """Start listening (on an OS-picked port when ``port`` is 0)."""
        server = web.Server(self._handle, access_log=None)
        # A short shutdown: a stalled request must not hold a test's teardown for a minute.
        runner = web.ServerRunner(server, shutdown_timeout=0.25)
        await runner.setup()
        await web.TCPSite(runner, self.host, self.port).start()
        self._runner = runner
        host, port = runner.addresses[0][:2]
        self._base_url = f"http://{host}:{port}"
        return self

    async def stop(self) -> None:
        """Stop listening and drop open connections."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
        # A stalled request whose client went away is no longer tied to a connection, so
        # the runner does not wait for it; end it here rather than leave it to the loop.
        pending = [task for task in self._tasks if not task.done()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def __aenter__(self) -> FakeAPI:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def add_fault(self, fault: Fault) -> None:
        """Inject ``fault`` into the next matching requests (checked in the order added)."""
        self._faults.append(_Armed(fault, fault.times))

    def clear_faults(self) -> None:
        """Remove every fault not used up yet."""
        self._faults.clear()

    def insert_while_paging(self, route: str, per_request: int = 1) -> None:
        """After each page of a list whose route template ends with ``route``, insert
        ``per_request`` new records at the head of that list (the tail when paged DESC).

        Later pages shift, so a client paging by offset sees the end of the previous page
        again. Session events and annotations go into that session; session lists
        (appointments, ...) get copies of their head session.
        """
        if not any(r.template.endswith(route) for r in load_routes()):
            raise ValueError(f"no route ends with {route!r}")
        self._drifts.append((route, per_request))

    def close_session_after(self, session_sid: str, delay: float, status: str = "Closed") -> None:
        """Make the session read as ``status`` from ``delay`` seconds from now on."""
        self.data.session(session_sid)
        self._closures.append((time.monotonic() + delay, session_sid, status))
        with contextlib.suppress(RuntimeError):  # no loop yet: the next request applies it
            asyncio.get_running_loop().call_later(delay, self._close_due)

    def clear_requests(self) -> None:
        """Forget the request log and restart ``max_in_flight`` from the current count."""
        self.requests.clear()
        self.max_in_flight = self._in_flight

    def _close_due(self) -> None:
        now = time.monotonic()
        due = [c for c in self._closures if c[0] <= now]
        self._closures = [c for c in self._closures if c[0] > now]
        for _, sid, status in due:
            self.data.set_status(sid, status, now_ms())

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        start = time.monotonic()
        self._in_flight += 1
        in_flight = self._in_flight
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self.max_in_flight = max(self.max_in_flight, in_flight)
        outcome = _Outcome()
        try:
            response = await self._respond(request, outcome)
            if outcome.fault != "reset":
                outcome.status = response.status
            return response
        finally:
            self._in_flight -= 1
            if task is not None:
                self._tasks.discard(task)
            record = RequestRecord(
                start=start,
                end=time.monotonic(),
                method=request.method,
                path=request.rel_url.raw_path,
                route=outcome.route,
                query=tuple(request.query.items()),
                status=outcome.status,
                headers=dict(request.headers),
                in_flight=in_flight,
                fault=outcome.fault,
            )
            bisect.insort(self.requests, record, key=lambda r: r.start)

    async def _respond(self, request: web.BaseRequest, outcome: _Outcome) -> web.StreamResponse:
        self._close_due()
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        if request.headers.get("token") != self.token:
            return error_response(403, CODES[403], "Authentication failed")
        wait = self._take_token()
        if wait is not None:
            return self._rate_limited(wait)
        if request.method != "GET":
            return error_response(405, CODES[405], f"{request.method} is not supported")
        found = match(request.path)
        if found is None:
            return error_response(404, CODES[404], f"No route for {request.path}")
        route, values = found
        outcome.route = route.template
        pairs = list(request.query.items())
        try:
            call = Call(self.data, route, values, validate(route, values, pairs))
        except ApiError as error:
            return json_response(error.status, error.body())
        fault = self._take_fault(route.template)
        if fault is not None:
            outcome.fault = fault.kind
            if fault.kind == "reset":
                return drop(request)
            if fault.kind == "stall":
                await asyncio.sleep(fault.delay)
            elif fault.kind != "truncated":
                return fault_response(fault, f"{self.base_url}{request.rel_url}")
        try:
            payload = self._answer(
                call, request, pairs, drift=fault is None or fault.kind == "stall"
            )
        except ApiError as error:
            return json_response(error.status, error.body())
        if fault is not None and fault.kind == "truncated":
            return await truncated(request, encode(payload))
        return json_response(200, payload)

    def _answer(
        self, call: Call, request: web.BaseRequest, pairs: list[tuple[str, str]], drift: bool
    ) -> Any:
        result = HANDLERS[call.route.template](call)
        if not isinstance(result, Listing):
            return result
        envelope, descending = paginate(
            result,
            call,
            base_url=self.base_url,
            path=request.rel_url.raw_path,
            pairs=pairs,
            page_cap=self.page_cap,
            default_limit=self.default_limit,
        )
        if drift and result.drift is not None and envelope["count"]:
            for suffix, count in self._drifts:
                if call.route.template.endswith(suffix):
                    for _ in range(count):
                        result.drift(result.rows, not descending)
        return envelope

    def _take_fault(self, template: str) -> Fault | None:
        for armed in self._faults:
            if armed.fault.matches(template) and (armed.left is None or armed.left > 0):
                if armed.left is not None:
                    armed.left -= 1
                return armed.fault
        return None

    def _take_token(self) -> float | None:
        """Spend one token of the server's bucket; the seconds to wait if there is none."""
        rate, burst = self.rate_limit, max(1, self.rate_burst)
        if not rate or rate <= 0:
            self._bucket = None
            return None
        now = time.monotonic()
        if self._bucket != (rate, burst):
            self._bucket, self._tokens, self._stamp = (rate, burst), float(burst), now
        self._tokens = min(float(burst), self._tokens + (now - self._stamp) * rate)
        self._stamp = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return None
        return (1.0 - self._tokens) / rate

    def _rate_limited(self, wait: float) -> web.Response:
        if isinstance(self.retry_after, str):
            header = self.retry_after
        else:
            floor = math.ceil(self.retry_after) if self.retry_after else 1
            header = retry_after_text(max(1, floor, math.ceil(wait)))
        message = f"Rate limit of {self.rate_limit:g} requests/s exceeded"
        return error_response(429, CODES[429], message, {"Retry-After": header})
