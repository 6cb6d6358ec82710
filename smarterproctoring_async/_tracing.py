"""OpenTelemetry spans (the ``otel`` extra): the only module that imports opentelemetry.

One CLIENT span per logical request, covering its retries, named ``GET {template}``
with the HTTP client semantic conventions; INTERNAL spans around a paginator's
iteration and a bulk run, under which their requests nest. No attribute holds a
filled path, a query value or the token: the route template stands for the path.

Tracing is off, at the cost of one check per request, while the OpenTelemetry API
is not configured (no tracer provider set, and none passed to the client) or not
installed at all: users who did not ask for it get no ImportError and no spans. The
API is imported at the first request (or client given a provider), not with the
package: importing the SDK stays as cheap as it can be.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .errors import APIError

if TYPE_CHECKING:
    from opentelemetry import context as _context
    from opentelemetry import trace as _trace
    from opentelemetry.trace import Span, Tracer
else:
    _trace = _context = None  # set by _load_api()
_looked_for_api = False

__all__ = ["Run", "Tracing", "error_type"]

_NAME = "smarterproctoring_async"
#: Seconds between looks at the global tracer provider while tracing is off.
_LOOK_AGAIN_EVERY = 1.0
_VERSION = "0.1.0"
_Attributes = Mapping[str, "str | int | float | bool"]


def _load_api() -> bool:
    """Import the OpenTelemetry API the first time it is needed; False if not installed."""
    global _trace, _context, _looked_for_api
    if not _looked_for_api:
        _looked_for_api = True
        try:
            from opentelemetry import context, trace
        except ImportError:  # pragma: no cover - depends on the environment
            return False
        _trace, _context = trace, context
    return _trace is not None


def error_type(error: BaseException) -> str:
    """The ``error.type`` of a failure: the status of an HTTP error, else the class."""
    status = getattr(error, "status", None) if isinstance(error, APIError) else None
    if isinstance(status, int) and status > 0:
        return str(status)
    kind = type(error)
    return f"{kind.__module__}.{kind.__qualname__}"


class Tracing:
    """The spans of one client (shared by its views); a no-op while tracing is off.

    ``provider``: a ``TracerProvider`` to use instead of the global one.
    """

    def __init__(self, base_url: str, provider: object | None = None) -> None:
        if provider is not None and not callable(getattr(provider, "get_tracer", None)):
            raise TypeError(
                f"tracer_provider must be an OpenTelemetry TracerProvider, "
                f"got {type(provider).__name__}"
            )
        if provider is not None and not _load_api():  # pragma: no cover - environment
            raise ImportError(
                "tracer_provider needs the OpenTelemetry API: "
                "pip install 'smarterproctoring-async[otel]'"
            )
        parts = urlsplit(base_url)
        self._address = parts.hostname or ""
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        self._provider = provider
        self._seen: object = None  # the provider the cached tracer came from
        self._tracer: Tracer | None = None
        self._look_again = -math.inf  # time.monotonic() of the next look at the global

    def tracer(self) -> Tracer | None:
        """The tracer to record with, or ``None`` while tracing is off."""
        if _trace is None and not _load_api():  # pragma: no cover - environment
            return None
        if self._provider is None and self._tracer is None:
            # Looking up the global provider reads the environment (a microsecond or
            # two, every request): while tracing is off, look again once a second, so
            # a provider configured later is used from then on.
            now = time.monotonic()
            if now < self._look_again:
                return None
            self._look_again = now + _LOOK_AGAIN_EVERY
        provider = self._provider or _trace.get_tracer_provider()
        if provider is not self._seen:
            self._seen = provider
            unset = isinstance(provider, (_trace.ProxyTracerProvider, _trace.NoOpTracerProvider))
            self._tracer = None if unset else provider.get_tracer(_NAME, _VERSION)  # type: ignore[attr-defined]
        return self._tracer

    def start_request(self, method: str, route: str, offset: str | None) -> Span | None:
        """The span of one logical request (under the current span), or ``None``."""
        tracer = self.tracer()
        if tracer is None:
            return None
        attributes: dict[str, str | int] = {
            "http.request.method": method,
            "server.address": self._address,
            "server.port": self._port,
        }
        if route:
            attributes["url.template"] = route
        if offset is not None and offset.isdigit():
            attributes["smarterproctoring.page.offset"] = int(offset)
        name = f"{method} {route}" if route else method
        return tracer.start_span(name, kind=_trace.SpanKind.CLIENT, attributes=attributes)

    def start_run(self, name: str, attributes: _Attributes) -> Run | None:
        """An INTERNAL span around a paginator's iteration or a bulk run, or ``None``."""
        tracer = self.tracer()
        if tracer is None:
            return None
        span = tracer.start_span(name, kind=_trace.SpanKind.INTERNAL, attributes=attributes)
        return Run(span)


def end_request(
    span: Span,
    *,
    status: int,
    sent: int,
    waited: float,
    error: BaseException | None,
) -> None:
    """Record how a logical request ended and end its span."""
    if status:
        span.set_attribute("http.response.status_code", status)
    if sent > 1:
        span.set_attribute("http.request.resend_count", sent - 1)
    span.set_attribute("smarterproctoring.attempts", sent)
    span.set_attribute("smarterproctoring.limiter.wait", round(waited, 6))
    if error is not None:
        _mark_failed(span, error)
    span.end()


def _mark_failed(span: Span, error: BaseException) -> None:
    # The class or status only: messages name the filled path, with its SIDs.
    kind = error_type(error)
    span.set_attribute("error.type", kind)
    span.set_status(_trace.Status(_trace.StatusCode.ERROR, kind))


class Run:
    """An INTERNAL span that request spans nest under while it is attached."""

    def __init__(self, span: Span) -> None:
        self.span = span
        #: Attributes read when the run ends (counts known only then).
        self.final: Callable[[], _Attributes] | None = None

    @contextmanager
    def attached(self) -> Iterator[None]:
        """Make this span the current one; only around code that does not yield."""
        token = _context.attach(_trace.set_span_in_context(self.span))
        try:
            yield
        finally:
            _context.detach(token)

    def end(self, error: BaseException | None = None) -> None:
        """End the span; a failure (not a cancellation) marks it as an error."""
        if self.final is not None:
            self.span.set_attributes(self.final())
        if isinstance(error, Exception):
            _mark_failed(self.span, error)
        self.span.end()
