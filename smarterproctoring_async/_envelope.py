"""Reading a page envelope: the ``results`` records and the ``total`` the server sent.

Pure functions, tested without an event loop or a server.

Grouped pages. A route that takes ``groupBy`` (``examsByWeek``) may answer its
``results`` as an object of groups, each a list of rows keyed by the group's value
(``{"2018-09-26": [row, row], "2018-10-03": [row]}``), as the API maker's date-wise
templates do. Such a page is read as its rows, flattened in the order sent, each
wrapped in a :class:`GroupedRow` with its group's key; the model decoder unwraps it
and the decoded row tells its group by ``group_key``. Rows, not groups, are what
``offset``, ``limit`` and ``total`` count there (``count`` is the number of groups,
and is not read), so the paginator's arithmetic is the same as for a plain list.
The same route answering a plain ``results`` list is read as usual. An object of
groups from any other route is a :class:`DecodeError`, as is a group that is not a
list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from ._secrets import hide
from .errors import DecodeError


class GroupedRow(NamedTuple):
    """A row of a grouped ``results`` object, with the key of its group.

    Built by :func:`read_envelope`, unwrapped by the model decoder: callers of a
    paginator never see one. Its ``repr`` names the key and the whole row, so two equal
    rows in different groups are different records for the paginator's repeat check.
    """

    key: str
    row: object


@dataclass(frozen=True)
class Envelope:
    """One page as the server sent it: the raw records and the total, if given.

    ``paged`` is false for a bare JSON list: the whole list in one answer.
    """

    items: Sequence[object]
    total: int | None
    paged: bool = True


def read_envelope(data: object, *, grouped: bool = False) -> Envelope:
    """Read a paginated response: the documented envelope, or a bare JSON list.

    With ``grouped`` (a route that takes ``groupBy``), ``results`` may also be an object
    of groups: its rows become the page's items, each a :class:`GroupedRow`. Anything
    else (no ``results`` list, a ``total`` that is not a count) raises
    :class:`DecodeError`: a page that cannot be read is never taken for an empty one.
    The caller adds the method and path to the message.
    """
    if isinstance(data, list):
        # An endpoint that answers with a plain list is not paginated: all of it, at once.
        return Envelope(items=data, total=len(data), paged=False)
    if not isinstance(data, dict):
        raise DecodeError(f"expected a page object, got {type(data).__name__}")
    items = data.get("results")
    if not isinstance(items, list):
        if grouped and isinstance(items, dict):
            items = _flatten(items)
        else:
            raise DecodeError(_not_a_page(data, items))
    return Envelope(items=items, total=_count(data.get("total")))


def _flatten(groups: dict[str, object]) -> list[GroupedRow]:
    """The rows of an object of groups, in the order sent, each with its group's key."""
    rows: list[GroupedRow] = []
    for key, members in groups.items():
        if not isinstance(members, list):
            raise DecodeError(
                f"group {_preview(key)} of 'results' is {type(members).__name__}, "
                "not a list of rows"
            )
        rows += [GroupedRow(key, row) for row in members]
    return rows


def _not_a_page(data: dict[str, object], items: object) -> str:
    if items is None:
        found = "no 'results' field"
    elif isinstance(items, dict):
        # Only a groupBy route is known to group its rows: elsewhere, reading one would
        # guess at a shape nobody documented.
        found = "'results' is an object of groups, and this route takes no groupBy"
    else:
        found = f"'results' is {type(items).__name__}"
    keys = ", ".join(repr(k) for k in list(data)[:8])
    return f"expected a page with a 'results' list; {found} (fields: {keys})"


def _count(value: object) -> int | None:
    """A page's ``total``: a non-negative integer (also as digits or a whole float)."""
    if value is None:
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    if isinstance(value, float) and value.is_integer() and 0 <= value < 2**63:
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63:
        return value
    raise DecodeError(f"page field 'total' must be a count, got {_preview(value)}")


def _preview(value: object) -> str:
    text = hide(repr(value))  # before the cut: a token cut short is no longer found
    return text if len(text) <= 40 else text[:40] + "..."
