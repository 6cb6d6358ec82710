"""What a client did, counted as it goes: ``client.stats``.

Counters are kept per endpoint template (``/v1/installs/{installSid}/exams``, never a
path filled with SIDs) and summed on reading, so counting costs the request path a
few integer additions. Requests made through the escape hatch (``client.get_json``,
``client.paginate``) are keyed by the route the caller gave, with every literal
segment that is not a plain lowercase word or an API version (``v1``) replaced by
``{id}``: a SID written into the route by hand never becomes a key.

A client and every view of it (``client.with_options(...)``) count into one
:class:`ClientStats`. ``reset()`` zeroes the counters in place, so requests in flight
at that moment count into the new period.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import Any

from ._typing import TypedDict

__all__ = ["ClientStats", "EndpointStats", "EndpointStatsDict", "StatsDict", "route_key"]

_PLAIN_SEGMENT = re.compile(r"\{\w+\}|v\d+|[a-z][A-Za-z]*")


class EndpointStatsDict(TypedDict):
    """:meth:`EndpointStats.as_dict`: the counters as plain values."""

    requests: int
    retries: dict[str, int]
    rate_limited: int
    pauses: int
    pause_seconds: float
    limiter_wait: float
    bytes_received: int
    pages: int
    short_lists: int
    failures: int


class StatsDict(EndpointStatsDict):
    """:meth:`ClientStats.as_dict`: the totals, and the counters of each endpoint."""

    endpoints: dict[str, EndpointStatsDict]


@dataclass(slots=True)
class EndpointStats:
    """The counters of one endpoint template (or the totals of a client).

    - ``requests``: attempts sent to the server (a retried request counts each time);
    - ``retries``: retries by cause: a status (``"429"``, ``"503"`` ...), ``"timeout"``,
      ``"connection"`` (refused, reset or dropped) or ``"undecodable"`` (a 2xx body
      that was not JSON);
    - ``rate_limited``: answers with status 429;
    - ``pauses`` and ``pause_seconds``: how often, and for how long in all, this client
      paused its rate limiter because the server asked (429 or ``Retry-After``);
    - ``limiter_wait``: seconds spent waiting for the rate limiter before sending;
    - ``bytes_received``: response body bytes read (after decompression);
    - ``pages``: pages a paginator delivered;
    - ``short_lists``: list iterations that ended with fewer records than the server
      announced and delivered them anyway (``Client(on_short_list="warn")``);
    - ``failures``: requests that ended in an error, after any retries.
    """

    requests: int = 0
    retries: dict[str, int] = field(default_factory=dict)
    rate_limited: int = 0
    pauses: int = 0
    pause_seconds: float = 0.0
    limiter_wait: float = 0.0
    bytes_received: int = 0
    pages: int = 0
    short_lists: int = 0
    failures: int = 0

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in self._items())
        return f"{type(self).__name__}({shown})"

    def as_dict(self) -> EndpointStatsDict:
        """The counters as plain values (a copy)."""
        return EndpointStatsDict(
            requests=self.requests,
            retries=dict(self.retries),
            rate_limited=self.rate_limited,
            pauses=self.pauses,
            pause_seconds=self.pause_seconds,
            limiter_wait=self.limiter_wait,
            bytes_received=self.bytes_received,
            pages=self.pages,
            short_lists=self.short_lists,
            failures=self.failures,
        )

    @property
    def retried(self) -> int:
        """Retries of every cause."""
        return sum(self.retries.values())

    def _items(self) -> list[tuple[str, object]]:
        items: list[tuple[str, object]] = []
        for spec in fields(self):
            value = getattr(self, spec.name)
            if isinstance(value, float):
                value = round(value, 3)
            items.append((spec.name, value))
        return items

    def _zero(self) -> None:
        for spec in fields(self):
            if spec.name == "retries":
                self.retries.clear()
            else:
                setattr(self, spec.name, type(getattr(self, spec.name))())

    def _add(self, other: EndpointStats) -> None:
        for spec in fields(self):
            if spec.name == "retries":
                for cause, count in other.retries.items():
                    self.retries[cause] = self.retries.get(cause, 0) + count
            else:
                setattr(self, spec.name, getattr(self, spec.name) + getattr(other, spec.name))

    def _idle(self) -> bool:
        return self == _IDLE


_IDLE = EndpointStats()


class ClientStats:
    """The live counters of a client: totals as attributes, per template in ``endpoints``.

    ``client.stats.requests``, ``.retries``, ``.rate_limited`` ... are the sums over
    every endpoint (the fields of :class:`EndpointStats`); ``endpoints`` maps each
    template used since the last :meth:`reset` to a copy of its counters;
    :meth:`as_dict` gives all of it as plain values.
    """

    __slots__ = ("_by_route",)

    def __init__(self) -> None:
        self._by_route: dict[str, EndpointStats] = {}

    def __repr__(self) -> str:
        total = self.total()
        shown = ", ".join(f"{name}={value!r}" for name, value in total._items())
        return f"ClientStats({shown}, endpoints={len(self.endpoints)})"

    @classmethod
    def __get_pydantic_core_schema__(cls, source: object, handler: Any) -> dict[str, Any]:
        """pydantic (FastAPI): a ClientStats is accepted as itself and serialised as
        :meth:`as_dict` (its JSON schema is :class:`StatsDict`'s). pydantic is not
        imported: a core schema is a plain dict."""
        return {
            "type": "is-instance",
            "cls": cls,
            "serialization": {
                "type": "function-plain",
                "function": cls.as_dict,
                "info_arg": False,
                "return_schema": handler.generate_schema(StatsDict),
            },
        }

    def for_route(self, template: str) -> EndpointStats:
        """The live counters of one template, created on first use (for the SDK itself)."""
        counts = self._by_route.get(template)
        if counts is None:
            counts = self._by_route[template] = EndpointStats()
        return counts

    def reset(self) -> None:
        """Zero every counter (in place: requests in flight count into the new period)."""
        for counts in self._by_route.values():
            counts._zero()

    def total(self) -> EndpointStats:
        """The sums over every endpoint, as a new :class:`EndpointStats`."""
        total = EndpointStats()
        for counts in self._by_route.values():
            total._add(counts)
        return total

    @property
    def endpoints(self) -> dict[str, EndpointStats]:
        """Template -> a copy of its counters, for the templates used since the last reset."""
        copies = {}
        for template, counts in self._by_route.items():
            if not counts._idle():
                copy = EndpointStats()
                copy._add(counts)
                copies[template] = copy
        return copies

    def as_dict(self) -> StatsDict:
        """The totals and ``endpoints`` (template -> counters), as plain values."""
        total = self.total().as_dict()
        endpoints = {template: counts.as_dict() for template, counts in self.endpoints.items()}
        return StatsDict(**total, endpoints=endpoints)

    @property
    def requests(self) -> int:
        """Attempts sent, over every endpoint."""
        return sum(c.requests for c in self._by_route.values())

    @property
    def retries(self) -> dict[str, int]:
        """Retries by cause (``"429"``, ``"503"``, ``"timeout"`` ...), over every endpoint."""
        return self.total().retries

    @property
    def rate_limited(self) -> int:
        """Answers with status 429, over every endpoint."""
        return sum(c.rate_limited for c in self._by_route.values())

    @property
    def pauses(self) -> int:
        """Rate limiter pauses this client made because the server asked."""
        return sum(c.pauses for c in self._by_route.values())

    @property
    def pause_seconds(self) -> float:
        """The length of those pauses, summed."""
        return sum(c.pause_seconds for c in self._by_route.values())

    @property
    def limiter_wait(self) -> float:
        """Seconds requests waited for the rate limiter, summed."""
        return sum(c.limiter_wait for c in self._by_route.values())

    @property
    def bytes_received(self) -> int:
        """Response body bytes read (after decompression)."""
        return sum(c.bytes_received for c in self._by_route.values())

    @property
    def pages(self) -> int:
        """Pages delivered by paginators."""
        return sum(c.pages for c in self._by_route.values())

    @property
    def short_lists(self) -> int:
        """Lists delivered short of their announced total (``on_short_list="warn"``)."""
        return sum(c.short_lists for c in self._by_route.values())

    @property
    def failures(self) -> int:
        """Requests that ended in an error, after any retries."""
        return sum(c.failures for c in self._by_route.values())


def route_key(route: str) -> str:
    """The stats key of a route given by a caller: hand-written SIDs become ``{id}``."""
    return "/".join(
        segment if not segment or _PLAIN_SEGMENT.fullmatch(segment) else "{id}"
        for segment in route.split("/")
    )
