"""FakeAPI: the aiohttp.web server that answers like the SmarterProctoring reporting API.

One request goes: due data changes -> latency -> token (403) -> server rate limit (429)
-> method (405) -> route (404) -> Swagger validation (400) -> injected fault (its kind's
answer, ``faults.py``) -> handler -> paging (``paging.py``) -> drift -> log.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from aiohttp import web

from ..data import REVIEW_STATUSES, FakeData, generate_data
from ..data.records import now_ms
from ..handlers import HANDLERS, Call, Listing
from .changes import Drifts, Timeline
from .faults import Fault
from .log import DEFAULT_SIZE, RequestLog, RequestRecord
from .paging import paginate
from .responses import error_response, json_response, retry_after_text
from .routing import ApiError, match, validate


class FakeLoopError(RuntimeError):
    """The fake was used from an event loop other than its own while its own is not running.

    Its server runs on the loop that started it; a request from another loop would never
    be answered (a client would hang until its timeouts), so the fake refuses at once.
    """


_OTHER_LOOP = (
    "this FakeAPI was started on another event loop, which is not running now, so it "
    "cannot answer requests from this one. Start the fake on the loop that uses it; with "
    "pytest-asyncio, give the fake's fixture and the test the same loop scope (for the "
    "plugin's fixtures: `smarterproctoring_loop_scope = <scope>` in the pytest ini "
    "options, or @pytest.mark.asyncio(loop_scope=...) matching it)"
)


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


class FakeAPI:
    """A local fake of the SmarterProctoring reporting API on 127.0.0.1.

    Use it as an async context manager. The knobs (``latency``, ``page_cap``,
    ``max_limit``, ``rate_limit``, ``rate_burst``, ``retry_after``, ``default_limit``,
    ``exam_event_session_sids``) are plain attributes and may change while it runs.
    ``page_cap`` silently serves fewer records than a larger ``limit`` asks for;
    ``max_limit`` refuses such a ``limit`` with a 400 naming it instead.
    ``exam_event_session_sids=False`` leaves ``sessionSid`` out of the exam-level event
    list's rows (its shape is undocumented: a real server may not name the session).
    ``retry_after`` is the fewest seconds a rate-limit 429 announces (the real wait is
    rounded up), or, if a string, the exact ``Retry-After`` value to send. ``requests``
    is the request log: the last ``request_log_size`` requests (None: all) plus exact
    counters (see ``RequestLog``).
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
    ) -> None:
        self.data = data if data is not None else generate_data(seed=0)
        self.token = token
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
        self.requests = RequestLog(request_log_size)
        self._base_url: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.BaseRunner | None = None
        self._faults: list[_Armed] = []
        self._drifts = Drifts()
        self._timeline = Timeline()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._bucket: tuple[float, int] | None = None
        self._tokens = 0.0
        self._stamp = 0.0

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
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            return
        own = self._loop
        if own is not None and running is not own and not own.is_running():
            raise FakeLoopError(_OTHER_LOOP)

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
        await web.TCPSite(runner, self.host, self.port).start()
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
        if request.headers.get("token") != self.token:
            return error_response(403, "Authentication failed")
        wait = self._take_token()
        if wait is not None:
            return self._rate_limited(wait)
        if request.method != "GET":
            return error_response(405, f"{request.method} is not supported")
        found = match(request.path)
        if found is None:
            return error_response(404, f"No route for {request.path}")
        route, values = found
        outcome.route = route.template
        pairs = list(request.query.items())
        try:
            call = Call(self.data, route, values, validate(route, values, pairs))
            fault = self._take_fault(route.template)

            def answer(drift: bool) -> Any:
                return self._answer(call, request, pairs, drift)

            if fault is None:
                return json_response(200, answer(True))
            outcome.fault = fault.kind
            return await fault.respond(request, f"{self.base_url}{request.rel_url}", answer)
        except ApiError as error:
            return json_response(error.status, error.body())

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
        )
        if not self.exam_event_session_sids and call.route.template == EXAM_EVENTS:
            envelope["results"] = [
                {k: v for k, v in row.items() if k != "sessionSid"} for row in envelope["results"]
            ]
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
        return error_response(429, message, {"Retry-After": header})
