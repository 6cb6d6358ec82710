"""What an endpoint is: one declaration, written next to the typed method that uses it.

A declaration says everything about a GET route once: its Swagger template, the
model its records become, its filters (derived from the ``TypedDict`` that also
types the method's ``**filters``), whether it is a list (paginated) or one object,
whether its answers may be cached, and how its rows are identified for dropping
repeats. Handles then call ``context.list(ENDPOINT, sids, filters)`` or
``await context.one(ENDPOINT, sids, filters)``; nothing else knows about the route.
``tests/test_contract.py`` checks every declaration against the Swagger copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ._filters import FilterTable, table_of

__all__ = ["Endpoint", "list_endpoint", "one_endpoint"]

M = TypeVar("M")


@dataclass(frozen=True)
class Endpoint(Generic[M]):
    """One GET route of the API and how the SDK reads it.

    ``declared`` is the ``TypedDict`` the filters come from (``None``: no filters).
    ``sid_prefix``: the rows are records whose documented ``sid`` is their own
    identifier with this prefix (a repeated one is dropped); rows of any other shape
    are dropped only as exact repeats. ``grouped``: the route takes ``groupBy`` and may
    answer ``results`` as an object of groups (read as its rows, see ``_envelope``).
    """

    route: str
    model: type[M]
    filters: FilterTable
    paginated: bool
    declared: type[Any] | None = None
    cached: bool = False
    sid_prefix: str | None = None
    grouped: bool = False


def list_endpoint(
    route: str,
    model: type[M],
    declared: type[Any] | None = None,
    *,
    cached: bool = False,
    sid_prefix: str | None = None,
    grouped: bool = False,
) -> Endpoint[M]:
    """Declare a paginated list endpoint whose records become ``model``."""
    filters = table_of(declared) if declared is not None else {}
    return Endpoint(route, model, filters, True, declared, cached, sid_prefix, grouped)


def one_endpoint(
    route: str, model: type[M], declared: type[Any] | None = None, *, cached: bool = False
) -> Endpoint[M]:
    """Declare an endpoint that answers one object, decoded as ``model``."""
    filters = table_of(declared) if declared is not None else {}
    return Endpoint(route, model, filters, False, declared, cached)
