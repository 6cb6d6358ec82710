"""Token utilities, and the escape hatch for GET routes the SDK does not wrap.

``client.get_json(path, **params)`` and ``client.paginate(path, **params)`` take a
route template such as ``"/v1/installs/{installSid}/reports/audit"``: placeholders
are filled from ``params`` and checked like every SID the SDK sends, the other
``params`` become the query (the API's own names, camelCase; lists repeat the key,
aware datetimes become ``...Z``). They go through the same rate limiter, retries,
bounds and pagination as the wrapped endpoints.
"""

from __future__ import annotations

import re

from .._endpoint import one_endpoint
from .._pagination import Paginator
from .._protocol import QueryValue, Request, build_path, encode_query
from ..errors import InvalidFilterError
from ..models import JSONValue, Record, decoder
from ..stats import route_key
from ._context import Context

__all__ = ["check", "get_json", "paginate", "token_ttl"]

TOKEN_TTL = one_endpoint("/v1/ttl", Record)
TOKEN_CHECK = one_endpoint("/v1/check", Record)

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_ROUTE = re.compile(r"/v[12]/[A-Za-z0-9_{}/.-]*")


async def token_ttl(context: Context) -> Record:
    """The token's remaining lifetime as the API reports it (``/v1/ttl``)."""
    return await context.one(TOKEN_TTL, {})


async def check(context: Context) -> Record:
    """The API's authentication check (``/v1/check``); a bad token raises
    :class:`~smarterproctoring_async.errors.AuthenticationError`."""
    return await context.one(TOKEN_CHECK, {})


def unwrapped_request(context: Context, route: str, params: dict[str, QueryValue]) -> Request:
    """The GET of an unwrapped route template, checked before any I/O."""
    if not isinstance(route, str) or not _ROUTE.fullmatch(route) or "/../" in route + "/":
        raise InvalidFilterError(
            "path must be an API route such as '/v1/installs/{installSid}/...' "
            "(letters, digits, '_', '-', '.', '/', and {placeholders})"
        )
    names = _PLACEHOLDER.findall(route)
    missing = [name for name in names if not isinstance(params.get(name), str)]
    if missing:
        raise InvalidFilterError(f"{route}: give {', '.join(missing)} as a str")
    sids = {name: str(params.pop(name)) for name in names}
    path = build_path(route, sids, validate=context.config.validate_sids)
    for paging in ("offset", "limit"):
        if paging in params:
            raise InvalidFilterError(f"{paging} belongs to the paginator; do not pass it")
    return Request("GET", path, encode_query(params), route_key(route))


async def get_json(context: Context, route: str, params: dict[str, QueryValue]) -> JSONValue:
    """The decoded JSON answer of an unwrapped GET route."""
    return await context.fetch(unwrapped_request(context, route, params))


def paginate(context: Context, route: str, params: dict[str, QueryValue]) -> Paginator[Record]:
    """Every record of an unwrapped list route, as generic records, page by page."""
    request = unwrapped_request(context, route, params)
    return context.paginate(request, decoder(Record, {}))
