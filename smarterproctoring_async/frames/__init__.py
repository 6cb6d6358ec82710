"""Models and bulk results as plain records and pandas DataFrames, for notebooks.

pandas is imported only when a frame is first built (in a worker thread when the
frame is awaited, so that the event loop keeps running): install the extra with
``pip install 'smarterproctoring-async[pandas]'``. The record functions
(:func:`to_records`, :func:`results_to_records`) need no pandas.

Columns, whichever route the rows came from (a paginator's ``to_dataframe()``, a
list of models, bulk results): a field's wire name in snake_case (``editDate`` ->
``edit_date``), which for a documented attribute is its attribute name; the parent SIDs
(``install_sid``, ``exam_sid``, ``session_sid``) first, then the documented attributes
in declaration order, then the fields nothing documents, in the order first seen. A
field whose column another field took first is kept beside it as ``<column>_as_sent``
(an undocumented ``createdDate`` that did not parse, beside ``created_date``; an event
naming another session than the one fetched, as ``session_sid_as_sent``). Nothing
the server sent is left out, and no two fields share a column.

dtypes: pandas' nullable ones. Documented attributes take theirs from the model's
annotations, so a column is typed even when every value is missing; other columns
from their values. Dates (documented ones, and any column whose every value is an ISO
8601 date and time with a zone) are ``datetime64[ns, UTC]`` (``datetime64[us, UTC]``
for a column holding a date outside the years 1677-2262); booleans ``boolean``, whole
numbers ``Int64``, numbers ``Float64``, strings ``string``. ``object`` columns are the
documented exceptions: JSON objects and arrays (a nested model is a record, a dict, of
its own), whole numbers beyond 64 bits (kept exact as Python ints), values of mixed
kinds, and an undocumented field that is null in every row. Records keep the values
as the models hold them (dates of undocumented fields as the server sent them). Every
field ``to_dict()`` gives is there, secrets of a session such as ``access_key``
included.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Iterable, Mapping
from typing import TYPE_CHECKING

from .._interrupt import raise_plainly
from ..models import Model, SessionResult
from ._columns import PARENT_COLUMNS, Row, Table, classes, column_name, models_of
from ._pandas import pandas, pandas_off_loop
from ._results import ERROR_COLUMNS, SESSION_COLUMNS, ResultTables, SessionTables

if TYPE_CHECKING:
    from ._pandas import DataFrame as DataFrame

__all__ = [
    "ERROR_COLUMNS",
    "PARENT_COLUMNS",
    "SESSION_COLUMNS",
    "SessionTables",
    "column_name",
    "paginator_to_dataframe",
    "results_to_dataframes",
    "results_to_records",
    "to_dataframe",
    "to_records",
]


def to_records(items: Iterable[Model]) -> list[Row]:
    """One plain dict per model: documented attributes and extra fields (module rules)."""
    models = models_of(items)
    return Table(classes(models)).rows(models)


def to_dataframe(items: Iterable[Model], *, model: type[Model] | None = None) -> DataFrame:
    """A DataFrame of :func:`to_records`, typed as the module documentation says.

    ``model`` names the class of the items, so that no items still give a frame with
    that model's columns and dtypes (without it, no items give a frame without columns).
    """
    module = pandas()
    models = models_of(items)
    table = Table(classes(models, model))
    return table.frame(module, table.rows(models))


async def paginator_to_dataframe(
    paginator: AsyncIterable[Model],
    *,
    model: type[Model] | None = None,
    parents: Mapping[str, str] | None = None,
) -> DataFrame:
    """Every record of a paginator (or any async iterable of models) as a DataFrame.

    ``model`` is as for :func:`to_dataframe`: a paginator does not say which model it
    decodes, so an empty list has columns only when it is given. ``parents`` (the
    ``installSid``/``examSid``/``sessionSid`` of the list's path) puts the parent SID
    columns first, filled for every row, as the bulk results' frames have them, empty
    list included. The first call imports pandas in a worker thread, before any request
    (a missing pandas costs no download).
    """
    module = await pandas_off_loop()
    try:
        items = [item async for item in paginator]
    except asyncio.CancelledError as exc:
        raise_plainly(exc, "to_dataframe()")
    models = models_of(items)
    if parents is None:
        table = Table(classes(models, model))
        return table.frame(module, table.rows(models))
    kinds = dict.fromkeys(PARENT_COLUMNS, "str")
    table = Table(classes(models, model), lead=PARENT_COLUMNS, kinds=kinds)
    sids = [parents.get(wire) for wire in ("installSid", "examSid", "sessionSid")]
    return table.frame(module, [table.row(item, sids) for item in models])


def results_to_records(results: Iterable[SessionResult]) -> SessionTables[list[Row]]:
    """The bulk results as four lists of records (see :class:`SessionTables`)."""
    return ResultTables(results).rows


def results_to_dataframes(results: Iterable[SessionResult]) -> SessionTables[DataFrame]:
    """The bulk results as four typed DataFrames (see :class:`SessionTables`); each has
    its columns even when it has no rows."""
    module = pandas()
    tables = ResultTables(results)
    rows = tables.rows
    return SessionTables(
        sessions=tables.sessions.frame(module, rows.sessions),
        events=tables.events.frame(module, rows.events),
        annotations=tables.annotations.frame(module, rows.annotations),
        errors=tables.errors.frame(module, rows.errors),
    )
