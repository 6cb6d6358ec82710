"""FakeAPI: the aiohttp.web server that answers like the SmarterProctoring reporting API.

One request goes: due data changes -> latency -> token (401) -> server rate limit (429,
``throttle.py``) -> method and route (404) -> token scope (401, ``denied_sids``) ->
Swagger validation (400) -> injected fault (its kind's answer, ``faults.py``) -> handler
-> paging (``paging.py``; ``grouping.py``) -> drift -> log. Errors are told in the
``error_style`` (``errors.py``); the token's life is ``tokens.py``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from aiohttp import web

from ..data import REVIEW_STATUSES, FakeData, generate_data
from ..data.records import now_ms
from ..handlers import HANDLERS, Call, Listing
from .changes import Drifts, Timeline
from .errors import ApiError, check_style, render, unauthorized
from .faults import Fault
from .grouping import by_date, groups
from .log import DEFAULT_SIZE, RequestLog, RequestRecord
from .loops import FakeLoopError, check_loop
from .paging import paginate
from .responses import json_response
from .routing import match, validate
from .throttle import Bucket, rate_limited
from .token_knobs import TokenKnobs
from .tokens import DEFAULT_TTL, TokenState

__all__ = ["FakeAPI", "FakeLoopError"]


@dataclass
class _Outcome:
    status: int = 0
    route: str | None = None
    fault: str | None = None


@dataclass
class _Armed:
    fault: Fault
    left: int | None


EXAM_EVENTS = "/v1/installs/{installSid}/exams/{examSid}/events"


class FakeAPI(TokenKnobs):
    """A local fake of the SmarterProctoring reporting API on 127.0.0.1.

    Use it as an async context manager. The knobs are plain attributes and may change
    while it runs:

    - ``latency``: seconds added to every answer;
    - ``page_cap``: most records a page holds (a larger ``limit`` gets fewer, silently);
      ``max_limit`` refuses a larger ``limit`` instead, with a Boom 400 naming
      ``limit`` (``child "limit" fails because ["limit" must be less than or equal to
      50]``, validation keys ``["limit"]``); ``limit_refusal`` rewords it: a string is
      the message (``{max_limit}`` replaced; keys still ``["limit"]``), e.g. "Maximum
      limit is {max_limit}" or hapi 17's "Invalid request query input", a mapping the
      exact body sent (e.g. without ``validation``);
    - ``default_limit``: the page size when none is asked (and Swagger names none);
    - ``total_overcount``: added to every list's ``total`` (a COUNT that overcounts; the
      links follow the announced total);
    - ``grouped_results``: lists taking ``groupBy`` (examsByWeek) answer ``results`` as
      an object keyed by group date, ``{"2018-09-26": [row, ...]}`` (``grouping.py``);
    - ``exam_event_session_sids=False`` leaves ``sessionSid`` out of the exam-level
      event list's rows (its shape is undocumented: a real server may not name it);
    - ``rate_limit``, ``rate_burst``: a token bucket answering 429; ``retry_after`` is
      the fewest seconds that 429 announces (the real wait is rounded up), or, if a
      string, the exact ``Retry-After`` value;
    - ``error_style``: ``"framework"`` (default: the maker's hapi/Boom and numeric-code
      bodies) or ``"named"`` (``{"status", "code", "message"}`` with 403
      ``AUTHENTICATIONFAILED``, 404 ``RESOURCENOTFOUND``, 400 ``INVALIDINPUT``); see
      ``server.errors``;
    - ``token``; ``token_ttl``: reads as ``/v1/ttl`` answers (seconds left, -1: never
      expires, -2: gone); setting it logs the token in again with that TTL (-2: gone);
      ``/v1/check`` slides the expiry back to the last positive TTL set; a gone token is
      refused everywhere, ``/v1/check`` included; ``revoke_token()`` (or ``GET
      /v1/logout``) makes it gone;
    - ``denied_sids``: SIDs outside the token's scope: a request whose path names one
      answers 401 ``"5000"`` although ``/v1/check`` says the token is fine.

    ``requests`` is the request log: the last ``request_log_size`` requests (None: all)
    plus exact counters (see ``RequestLog``).
    """

    def __init__(
        self,
        data: FakeData | None = None,
        *,
        token: str = "test-token",
        latency: float = 0.0,
        page_cap: int | None = None,
        max_limit: int | None = None,
        exam_event_session_sids: bool = True,
        rate_limit: float | None = None,
        rate_burst: int = 1,
        retry_after: float | str | None = 1.0,
        default_limit: int = 50,
        host: str = "127.0.0.1",
        port: int = 0,
        request_log_size: int | None = DEFAULT_SIZE,
        error_style: str = "framework",
        token_ttl: int = DEFAULT_TTL,
        denied_sids: Iterable[str] = (),
        limit_refusal: str | Mapping[str, Any] | None = None,
        total_overcount: int = 0,
        grouped_results: bool = False,
        reuse_port: bool = False,
    ) -> None:
        self.data = data if data is not None else generate_data(seed=0)
        self._tokens = TokenState(token, token_ttl, denied_sids)
        self.error_style = error_style
        self.limit_refusal = limit_refusal
        self.total_overcount = total_overcount
        self.grouped_results = grouped_results
        self.latency = latency
        self.page_cap = page_cap
        self.max_limit = max_limit
        self.exam_event_session_sids = exam_event_session_sids
        self.rate_limit = rate_limit
        self.rate_burst = rate_burst
        self.retry_after = retry_after
        self.default_limit = default_limit
        self.host = host
        self.port = port
        # SO_REUSEPORT: worker processes listening on one port (``--workers``).
        self.reuse_port = reuse_port
        self.requests = RequestLog(request_log_size)
        self._base_url: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.BaseRunner | None = None
        self._faults: list[_Armed] = []
        self._drifts = Drifts()
        self._timeline = Timeline()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._bucket = Bucket()

    @property
    def error_style(self) -> str:
        """``"framework"`` (the maker's hapi/Boom bodies) or ``"named"`` (the guide's)."""
        return self._error_style

    @error_style.setter
    def error_style(self, style: str) -> None:
        self._error_style = check_style(style)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``, once started.

        Read from another event loop while the fake's own loop is not running (where no
        request could be answered), it raises ``FakeLoopError`` instead.
        """
        if self._base_url is None:
            raise RuntimeError("FakeAPI is not running: use `async with FakeAPI() as fake:`")
        self.check_loop()
        return self._base_url

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The event loop the server runs on (None until started)."""
        return self._loop

    def check_loop(self) -> None:
        """Raise ``FakeLoopError`` if the running loop cannot be served by this fake.

        Fine: no running loop (plain code), the fake's own loop, or another loop while the
        fake's runs in another thread. Not fine: another loop while the fake's is idle.
        """
        check_loop(self._loop)

    @property
    def in_flight(self) -> int:
        """How many requests are being handled right now."""
        return self.requests.in_flight

    @property
    def max_in_flight(self) -> int:
        """The most requests handled at once since start (or ``clear_requests``)."""
        return self.requests.max_in_flight

    @max_in_flight.setter
    def max_in_flight(self, value: int) -> None:
        self.requests.max_in_flight = value

    async def start(self) -> FakeAPI:
        """Start listening (on an OS-picked port when ``port`` is 0)."""
        server = web.Server(self._handle, access_log=None)
        # A short shutdown: a stalled request must not hold a test's teardown for a minute.
        runner = web.ServerRunner(server, shutdown_timeout=0.25)
        await runner.setup()
        await web.TCPSite(runner, self.host, self.port, reuse_port=self.reuse_port or None).start()
        self._loop = asyncio.get_running_loop()
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
        self._drifts.add(route, per_request)

    def close_session_after(self, session_sid: str, delay: float, status: str = "Closed") -> None:
        """Make the session read as ``status`` from ``delay`` seconds from now on."""
        self.data.session(session_sid)  # KeyError now, not in a timer later
        self._timeline.after(delay, lambda: self.data.set_status(session_sid, status, now_ms()))

    def review_session_after(
        self, session_sid: str, delay: float, status: str = "complete"
    ) -> None:
        """Make the session's proctor review read as ``status`` from ``delay`` seconds on.

        ``complete`` (the default) sets ``reviewRequired`` and ``reviewed`` and dates
        ``reviewCompletedDate``, so the session details, the appointments report (its
        ``reviewStatus`` filter included) and the audit report show it reviewed; also
        ``pending`` or ``not-required`` (see ``FakeData.set_review``). The session status
        is left alone: to model "closed, then reviewed", call ``close_session_after``
        with a shorter delay too.
        """
        self.data.session(session_sid)  # KeyError now, not in a timer later
        if status not in REVIEW_STATUSES:
            raise ValueError(f"review status {status!r} is not one of {REVIEW_STATUSES}")
        self._timeline.after(delay, lambda: self.data.set_review(session_sid, status, now_ms()))

    def clear_requests(self) -> None:
        """Forget the request log and its counters; ``max_in_flight`` restarts from now."""
        self.requests.clear()

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        start = time.monotonic()
        in_flight = self.requests.begin()
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        outcome = _Outcome()
        try:
            response = await self._respond(request, outcome)
            if response is None:  # the connection was dropped: nothing will be sent
                return web.Response(status=500)
            outcome.status = response.status
            return response
        finally:
            if task is not None:
                self._tasks.discard(task)
            self.requests.end(
                RequestRecord(
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
            )

    async def _respond(
        self, request: web.BaseRequest, outcome: _Outcome
    ) -> web.StreamResponse | None:
        self._timeline.apply_due()
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        style = self.error_style
        try:
            if not self._tokens.accepts(request.headers.get("token")):
                raise unauthorized()
            wait = self._bucket.take(self.rate_limit, self.rate_burst)
            if wait is not None:
                return rate_limited(wait, self.rate_limit, self.retry_after, style)
            if request.method != "GET":
                raise ApiError("method", f"{request.method} is not supported")
            found = match(request.path)
            if found is None:
                raise ApiError("no_route", f"No route for {request.path}")
            route, values = found
            outcome.route = route.template
            if self._tokens.out_of_scope(request.path):
                raise unauthorized("The token may not read this resource")
            pairs = list(request.query.items())
            query = validate(route, values, pairs)
            call = Call(self.data, route, values, query, self._tokens)
            fault = self._take_fault(route.template)

            def answer(drift: bool) -> Any:
                return self._answer(call, request, pairs, drift)

            if fault is None:
                return json_response(200, answer(True))
            outcome.fault = fault.kind
            url = f"{self.base_url}{request.rel_url}"
            return await fault.respond(request, url, answer, style)
        except ApiError as error:
            return json_response(*render(error, style))

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
            max_limit=self.max_limit,
            limit_refusal=self.limit_refusal,
            total_overcount=self.total_overcount,
        )
        if not self.exam_event_session_sids and call.route.template == EXAM_EVENTS:
            envelope["results"] = [
                {k: v for k, v in row.items() if k != "sessionSid"} for row in envelope["results"]
            ]
        if self.grouped_results and groups(call.route):
            group_by = call.one("groupBy") or str(call.route.default("groupBy") or "")
            envelope["results"] = by_date(envelope["results"], group_by)
        if drift and envelope["count"]:
            self._drifts.apply(call.route.template, result, at_head=not descending)
        return envelope

    def _take_fault(self, template: str) -> Fault | None:
        for armed in self._faults:
            if armed.fault.matches(template) and (armed.left is None or armed.left > 0):
                if armed.left is not None:
                    armed.left -= 1
                return armed.fault
        return None
