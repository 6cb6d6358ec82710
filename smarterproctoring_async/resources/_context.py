"""What every resource handle needs from its client: one request value, one GET, one paginator.

Also the per-client answer cache of slowly changing reports (created on first use,
inside the event loop). An endpoint method hands its declaration, its SIDs and its
filters here; the request is built once (path with checked SIDs, query encoded by
the declaration's filter table) and passed down unchanged.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from typing import TypeVar

from .._cache import ResponseCache
from .._config import ClientConfig
from .._endpoint import Endpoint
from .._envelope import read_envelope
from .._filters import build_query
from .._page_size import PageSize
from .._pagination import Fetch, Paginator
from .._protocol import Request, build_path
from .._transport import Transport
from ..errors import DecodeError
from ..models import JSONValue, Model, decoder, wire_names

M = TypeVar("M", bound=Model)
T = TypeVar("T")

_NO_FILTERS: Mapping[str, object] = {}


class Context:
    """The client's transport and settings, as seen by handles (no I/O of its own)."""

    def __init__(
        self, transport: Transport, config: ClientConfig, *, parent: Context | None = None
    ) -> None:
        self.transport = transport
        self.config = config
        # A view (client.with_options) uses its client's cache.
        self._parent = parent
        self._cache: ResponseCache | None = None
        # One per client, shared by its views: a page size the server refused is
        # not asked for again by any of them.
        self.page_size: PageSize = (
            parent.page_size if parent is not None else PageSize(config.page_size)
        )

    @property
    def cache(self) -> ResponseCache | None:
        """The client's report cache, or ``None`` when ``cache_ttl`` turned it off."""
        if self._parent is not None:
            return self._parent.cache
        if self._cache is None and self.config.cache_ttl:
            self._cache = ResponseCache(self.config.cache_ttl)
        return self._cache

    def path(self, template: str, sids: Mapping[str, str]) -> str:
        """``template`` filled with SIDs checked per the client's ``validate_sids``."""
        return build_path(template, sids, validate=self.config.validate_sids)

    def request(
        self, endpoint: Endpoint[M], sids: Mapping[str, str], filters: Mapping[str, object]
    ) -> Request:
        """The GET of ``endpoint``; raises InvalidSidError/InvalidFilterError before any I/O."""
        query = build_query(endpoint.filters, filters, validate_sids=self.config.validate_sids)
        path = self.path(endpoint.route, sids)
        return Request("GET", path, query, endpoint.route, endpoint.grouped)

    def list(
        self,
        endpoint: Endpoint[M],
        sids: Mapping[str, str],
        filters: Mapping[str, object] = _NO_FILTERS,
        *,
        cache: bool = True,
    ) -> Paginator[M]:
        """The paginator of a list endpoint; the request is built (and checked) now.

        ``sids`` maps the route's placeholders to SIDs; they also fill the same-named
        attributes a row leaves out (``installSid`` -> ``install_sid``). Pages go
        through the report cache when the endpoint is cached and ``cache`` is true.
        """
        assert endpoint.paginated, endpoint.route
        return self.paginate(
            self.request(endpoint, sids, filters),
            decoder(endpoint.model, _path_defaults(endpoint.model, sids)),
            cached=cache and endpoint.cached,
            sid_prefix=endpoint.sid_prefix,
            model=endpoint.model,
        )

    async def one(
        self,
        endpoint: Endpoint[M],
        sids: Mapping[str, str],
        filters: Mapping[str, object] = _NO_FILTERS,
        *,
        cache: bool = True,
    ) -> M:
        """The object answered by a non-paginated endpoint, like :meth:`list`."""
        assert not endpoint.paginated, endpoint.route
        return await self.send_one(endpoint, self.request(endpoint, sids, filters), sids, cache)

    async def send_one(
        self, endpoint: Endpoint[M], request: Request, sids: Mapping[str, str], cache: bool = True
    ) -> M:
        """:meth:`one` for a request built beforehand (by a handle that sends it often)."""
        # The transport's own send: one coroutine less per request than ``self.fetch``.
        fetch = self.cached_fetch if cache and endpoint.cached else self.transport.send
        data = await fetch(request)
        model = endpoint.model
        instance = decoder(model)(data)
        # The path's SIDs fill what the record leaves out, as ``decoder(model, defaults)``
        # would, without a decoding function and a defaults dict made per request.
        fills = _FILLS.get((model, tuple(sids)))
        if fills is None:
            fills = _FILLS[model, tuple(sids)] = _fills(model, sids)
        for attribute, wire in fills:
            if getattr(instance, attribute) is None:
                _set_attribute(instance, attribute, sids[wire])
        return instance

    async def records(
        self,
        endpoint: Endpoint[M],
        sids: Mapping[str, str],
        filters: Mapping[str, object] = _NO_FILTERS,
    ) -> builtins.list[M]:
        """Every record of an endpoint that answers a whole list at once (no paging).

        The answer may be a bare JSON list or an object with a ``results`` list;
        anything else is a DecodeError, never an empty list.
        """
        assert not endpoint.paginated, endpoint.route
        request = self.request(endpoint, sids, filters)
        try:
            envelope = read_envelope(await self.fetch(request))
        except DecodeError as exc:
            raise DecodeError(f"GET {request.path}: {exc}") from None
        decode = decoder(endpoint.model, _path_defaults(endpoint.model, sids))
        return [decode(item) for item in envelope.items]

    def paginate(
        self,
        request: Request,
        decode: Callable[[object], T],
        *,
        cached: bool = False,
        sid_prefix: str | None = None,
        model: type[Model] | None = None,
    ) -> Paginator[T]:
        """A paginator over ``request``, with the client's page size."""
        fetch: Fetch = self.cached_fetch if cached else self.transport.send
        return Paginator(
            fetch,
            request,
            decode,
            page_size=self.page_size,
            sid_prefix=sid_prefix,
            model=model,
            stats=self.transport.stats,
            tracing=self.transport.tracing,
            on_short_list=self.config.on_short_list,
        )

    async def fetch(self, request: Request) -> JSONValue:
        """Send ``request``; the decoded JSON body."""
        return await self.transport.send(request)

    async def cached_fetch(self, request: Request) -> JSONValue:
        """Like :meth:`fetch`, through the report cache (keyed by the request).

        The cache keeps the body's bytes and each caller decodes its own copy, so no
        caller can change what the next one gets.
        """
        cache = self.cache
        if cache is None:
            return await self.fetch(request)
        body = await cache.get(request, lambda: self.transport.send_raw(request))
        return self.transport.decode(body, request.method, request.path)


def _path_defaults(model: type[Model], sids: Mapping[str, str]) -> dict[str, object]:
    return {attribute: sids[wire] for attribute, wire in _fills(model, sids)}


def _fills(model: type[Model], sids: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """(attribute, wire name) for each of ``sids`` that names an attribute of ``model``."""
    by_wire = _BY_WIRE.get(model)
    if by_wire is None:
        by_wire = _BY_WIRE[model] = {wire: attr for attr, wire in wire_names(model).items()}
    return tuple((by_wire[name], name) for name in sids if name in by_wire)


#: Wire name -> attribute name, per model class (classes are few and live forever).
_BY_WIRE: dict[type[Model], dict[str, str]] = {}

#: (model, the path's SID names) -> what :meth:`Context.send_one` fills from them.
_FILLS: dict[tuple[type[Model], tuple[str, ...]], tuple[tuple[str, str], ...]] = {}

_set_attribute = object.__setattr__  # models are frozen: defaults are set past attrs
