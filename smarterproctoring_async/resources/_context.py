"""What every resource handle needs from its client: checked paths, one GET, one paginator.

Also the per-client answer cache of slowly changing reports (created on first use,
inside the event loop) and the filter tables applied with the client's settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from .._cache import ResponseCache
from .._config import ClientConfig
from .._convert import decoder_for
from .._endpoints import Endpoint
from .._filters import FilterTable, build_query
from .._pagination import Fetch, Paginator
from .._protocol import QueryPairs, QueryValue, build_path, encode_query
from .._transport import Transport
from ..models import JSONValue, Model, wire_fields

M = TypeVar("M", bound=Model)

#: Names in an endpoint method's ``locals()`` that are not filters.
_NOT_FILTERS = frozenset({"self", "cache"})


class Context:
    """The client's transport and settings, as seen by handles (no I/O of its own)."""

    def __init__(self, transport: Transport, config: ClientConfig) -> None:
        self.transport = transport
        self.config = config
        self._cache: ResponseCache | None = None

    @property
    def cache(self) -> ResponseCache | None:
        """The client's report cache, or ``None`` when ``cache_ttl`` turned it off."""
        if self._cache is None and self.config.cache_ttl:
            self._cache = ResponseCache(self.config.cache_ttl)
        return self._cache

    def path(self, template: str, **sids: str) -> str:
        """``template`` filled with SIDs checked per the client's ``validate_sids``."""
        return build_path(template, sids, validate=self.config.validate_sids)

    def query(self, table: FilterTable, arguments: Mapping[str, object]) -> dict[str, QueryValue]:
        """The query values of an endpoint method's keyword arguments (its ``locals()``).

        ``self`` and ``cache`` are not filters; anything else the table does not know
        is a ``TypeError``. Raises InvalidFilterError before any request.
        """
        given = {k: v for k, v in arguments.items() if k not in _NOT_FILTERS}
        return build_query(table, given, validate_sids=self.config.validate_sids)

    async def fetch(self, path: str, query: QueryPairs) -> JSONValue:
        """GET ``path`` with an encoded query; the decoded JSON body."""
        return await self.transport.send("GET", path, query)

    async def cached_fetch(self, path: str, query: QueryPairs) -> JSONValue:
        """Like :meth:`fetch`, through the report cache (keyed by path and full query).

        The cache keeps the body's bytes and each caller decodes its own copy, so no
        caller can change what the next one gets.
        """
        cache = self.cache
        if cache is None:
            return await self.fetch(path, query)
        body = await cache.get((path, query), lambda: self.transport.send_raw("GET", path, query))
        return self.transport.decode(body, "GET", path)

    async def get(
        self,
        path: str,
        model: type[M],
        params: Mapping[str, QueryValue] = {},
        *,
        defaults: Mapping[str, object] | None = None,
        cache: bool = False,
    ) -> M:
        """GET one object and decode it as ``model``.

        ``defaults`` fill attributes the object leaves out (see ``decoder_for``);
        with ``cache`` the answer may come from, and goes to, the report cache.
        """
        fetch = self.cached_fetch if cache else self.fetch
        data = await fetch(path, encode_query(params))
        return decoder_for(model, defaults)(data)

    def paginate(
        self,
        path: str,
        model: type[M],
        params: Mapping[str, QueryValue] = {},
        *,
        defaults: Mapping[str, object] | None = None,
        cache: bool = False,
        sid_prefix: str | None = None,
    ) -> Paginator[M]:
        """A paginator over a list endpoint; the query is encoded (and checked) now.

        With ``cache`` each page may come from, and goes to, the report cache;
        ``sid_prefix`` names the rows' own SID kind, for dropping repeats (see
        ``Paginator``).
        """
        fetch: Fetch = self.cached_fetch if cache else self.fetch
        return Paginator(
            fetch,
            path,
            encode_query(params),
            decoder_for(model, defaults),
            page_size=self.config.page_size,
            sid_prefix=sid_prefix,
        )

    def listing(
        self,
        endpoint: Endpoint,
        model: type[M],
        arguments: Mapping[str, object],
        sids: Mapping[str, str],
        *,
        cache: bool = False,
    ) -> Paginator[M]:
        """The paginator of a list endpoint: path from ``sids``, query from ``arguments``.

        ``sids`` maps the route's placeholders to SIDs; they also fill the same-named
        attributes a row leaves out (``installSid`` -> ``install_sid``).
        """
        path = self.path(endpoint.route, **sids)
        params = self.query(endpoint.filters, arguments)
        defaults = _path_defaults(model, sids)
        return self.paginate(
            path,
            model,
            params,
            defaults=defaults,
            cache=cache and endpoint.cached,
            sid_prefix=endpoint.sid_prefix,
        )

    async def single(
        self,
        endpoint: Endpoint,
        model: type[M],
        arguments: Mapping[str, object],
        sids: Mapping[str, str],
        *,
        cache: bool = False,
    ) -> M:
        """The object answered by a non-paginated endpoint, like :meth:`listing`."""
        path = self.path(endpoint.route, **sids)
        params = self.query(endpoint.filters, arguments)
        defaults = _path_defaults(model, sids)
        return await self.get(
            path, model, params, defaults=defaults, cache=cache and endpoint.cached
        )


def _path_defaults(model: type[Model], sids: Mapping[str, str]) -> dict[str, object]:
    by_wire = {wire: attribute for attribute, wire, _ in wire_fields(model)}
    return {by_wire[name]: value for name, value in sids.items() if name in by_wire}
