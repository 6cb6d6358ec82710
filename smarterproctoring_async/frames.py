"""Models and bulk results as plain records and pandas DataFrames, for notebooks.

This is the only module that imports pandas, and only when a frame is built: install
the extra with ``pip install 'smarterproctoring-async[pandas]'``. The record
functions (:func:`to_records`, :func:`results_to_records`) need no pandas.

Columns of a model's table:

- every documented attribute, under its attribute name, in declaration order (the
  columns of several model classes in one table are the union, in order of appearance);
- then every field the model does not name (its ``extra``), in the order first seen.
  A camelCase wire name becomes its snake_case form (``editDate`` -> ``edit_date``)
  unless that name is already a column of the table (a documented attribute, a
  parent SID column of a results table); in that case, and for any other spelling
  (``URL``, ``first-name``, ``done_at``), the column is ``extra.`` and the wire name
  (``extra.URL``; ``extra.createdDate`` for a date that did not parse). Two fields
  therefore never share a column, and nothing the server sent is left out.

Values: dates are timezone-aware ``datetime`` objects in records and
``datetime64[ns, UTC]`` in frames (``datetime64[us, UTC]`` for a column holding a date
outside the years 1677-2262); documented booleans, whole numbers, numbers and strings
get pandas' nullable ``boolean``, ``Int64``, ``Float64`` and ``string`` dtypes, taken
from the model's annotations, so a column is typed even when every value is missing.
A nested model is a record (a dict) of its own; JSON values are copies; extra fields
are left as the server sent them (untyped ``object`` or inferred columns). Every field
``to_dict()`` gives is there, secrets of a session such as ``access_key`` included.
"""

from __future__ import annotations

import re
import types
from collections.abc import AsyncIterable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeAlias, TypeVar, Union, get_args, get_origin

import attrs

from .models import Annotation, EventReport, ExamSession, Model, SessionResult

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped, unused-ignore]

    #: For annotations elsewhere in the package (pandas is imported here only).
    DataFrame: TypeAlias = pd.DataFrame

__all__ = [
    "SessionTables",
    "paginator_to_dataframe",
    "results_to_dataframes",
    "results_to_records",
    "to_dataframe",
    "to_records",
]

T = TypeVar("T")

Row = dict[str, Any]

#: The parent SIDs every row of a results table starts with.
PARENT_COLUMNS = ("install_sid", "exam_sid", "session_sid")
#: The sessions table's columns before the session details.
SESSION_COLUMNS = (*PARENT_COLUMNS, "skipped", "event_count", "annotation_count")
#: The errors table's columns.
ERROR_COLUMNS = (*PARENT_COLUMNS, "error_type", "error_message")

_INSTALL_HINT = "pip install 'smarterproctoring-async[pandas]'"
_SCALAR_KINDS = {datetime: "datetime", bool: "bool", int: "int", float: "float", str: "str"}
_DTYPES = {"bool": "boolean", "int": "Int64", "float": "Float64", "str": "string"}
_LEAD_KINDS = {
    "install_sid": "str",
    "exam_sid": "str",
    "session_sid": "str",
    "skipped": "bool",
    "event_count": "int",
    "annotation_count": "int",
    "error_type": "str",
    "error_message": "str",
}
_WORD_BREAK = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_CAMEL_BREAK = re.compile(r"_([a-z0-9])")


@attrs.frozen(repr=False)
class SessionTables(Generic[T]):
    """The bulk results as four tables, from :func:`results_to_records` (lists of
    records) or :func:`results_to_dataframes` (DataFrames).

    ``sessions``: one row per result without an error, skipped ones included:
    ``install_sid``, ``exam_sid``, ``session_sid`` (the ref), ``skipped``,
    ``event_count`` and ``annotation_count`` (missing when not fetched), then the
    session details' columns (missing when not fetched); the details' own
    ``install_sid`` and ``exam_sid`` are ``details.install_sid`` and ``details.exam_sid``.
    ``events`` and ``annotations``: one row per record, starting with the parent SIDs.
    ``errors``: one row per result with an error: the parent SIDs (missing when the
    input named no session), ``error_type`` (the class name) and ``error_message``.
    """

    sessions: T
    events: T
    annotations: T
    errors: T

    def __repr__(self) -> str:
        sizes = " ".join(f"{name}={_size(getattr(self, name))}" for name in _TABLES)
        return f"<SessionTables {sizes}>"


_TABLES = ("sessions", "events", "annotations", "errors")


def _size(table: object) -> str:
    return str(len(table)) if hasattr(table, "__len__") else "?"


def to_records(items: Iterable[Model]) -> list[Row]:
    """One plain dict per model: documented attributes and extra fields (module rules)."""
    models = _models(items)
    return _Table(_classes(models)).rows(models)


def to_dataframe(items: Iterable[Model], *, model: type[Model] | None = None) -> pd.DataFrame:
    """A DataFrame of :func:`to_records`, typed from the models' annotations.

    ``model`` names the class of the items, so that no items still give a frame with
    that model's columns and dtypes (without it, no items give a frame without columns).
    """
    pandas = _pandas()
    models = _models(items)
    table = _Table(_classes(models, model))
    return table.frame(pandas, table.rows(models))


async def paginator_to_dataframe(
    paginator: AsyncIterable[Model], *, model: type[Model] | None = None
) -> pd.DataFrame:
    """Every record of a paginator (or any async iterable of models) as a DataFrame.

    ``model`` is as for :func:`to_dataframe`: a paginator does not say which model it
    decodes, so an empty list has columns only when it is given.
    """
    _pandas()  # before any request: a missing pandas should not cost a download
    items = [item async for item in paginator]
    return to_dataframe(items, model=model)


def results_to_records(results: Iterable[SessionResult]) -> SessionTables[list[Row]]:
    """The bulk results as four lists of records (see :class:`SessionTables`)."""
    return _ResultTables(results).rows


def results_to_dataframes(results: Iterable[SessionResult]) -> SessionTables[pd.DataFrame]:
    """The bulk results as four typed DataFrames (see :class:`SessionTables`); each has
    its columns even when it has no rows."""
    pandas = _pandas()
    tables = _ResultTables(results)
    rows = tables.rows
    return SessionTables(
        sessions=tables.sessions.frame(pandas, rows.sessions),
        events=tables.events.frame(pandas, rows.events),
        annotations=tables.annotations.frame(pandas, rows.annotations),
        errors=tables.errors.frame(pandas, rows.errors),
    )


class _ResultTables:
    """The four tables of some results: their layouts (from the model classes the
    results hold, the declared ones first) and their rows."""

    def __init__(self, results: Iterable[SessionResult]) -> None:
        if not isinstance(results, Iterable) or isinstance(results, (str, bytes)):
            raise TypeError(f"expected an iterable of SessionResult, got {type(results).__name__}")
        found = list(results)
        for result in found:
            if not isinstance(result, SessionResult):
                raise TypeError(f"expected SessionResult items, got {type(result).__name__}")
        fine = [result for result in found if result.error is None]
        details = [result.session for result in fine if result.session is not None]
        events = [event for result in fine for event in result.events or ()]
        notes = [note for result in fine for note in result.annotations or ()]
        self.sessions = _Table(
            _classes(details, ExamSession), lead=SESSION_COLUMNS, rename="details."
        )
        self.events = _Table(_classes(events, EventReport), lead=PARENT_COLUMNS, rename="event.")
        self.annotations = _Table(
            _classes(notes, Annotation), lead=PARENT_COLUMNS, rename="annotation."
        )
        self.errors = _Table((), lead=ERROR_COLUMNS)
        self.rows = self._rows(found)

    def _rows(self, results: Iterable[SessionResult]) -> SessionTables[list[Row]]:
        sessions: list[Row] = []
        events: list[Row] = []
        annotations: list[Row] = []
        errors: list[Row] = []
        for result in results:
            ref = result.ref
            sids = (ref.install_sid, ref.exam_sid, ref.session_sid) if ref else (None,) * 3
            if result.error is not None:
                error = (type(result.error).__name__, str(result.error))
                errors.append(self.errors.row(None, (*sids, *error)))
                continue
            counts = (_count(result.events), _count(result.annotations))
            sessions.append(self.sessions.row(result.session, (*sids, result.skipped, *counts)))
            events.extend(self.events.row(event, sids) for event in result.events or ())
            notes = result.annotations or ()
            annotations.extend(self.annotations.row(note, sids) for note in notes)
        return SessionTables(
            sessions=sessions, events=events, annotations=annotations, errors=errors
        )


def _count(records: Sequence[object] | None) -> int | None:
    return None if records is None else len(records)


class _Table:
    """How the models of one table become rows: their columns, kinds and extra names.

    ``lead`` are columns the caller fills first (parent SIDs, counts); a documented
    attribute of the same name is renamed with the ``rename`` prefix.
    """

    def __init__(
        self, classes: Iterable[type[Model]], *, lead: Sequence[str] = (), rename: str = ""
    ) -> None:
        self.lead = tuple(lead)
        self.columns: dict[str, None] = dict.fromkeys(self.lead)
        self.kinds: dict[str, str | None] = {name: _LEAD_KINDS.get(name) for name in self.lead}
        self.plans: dict[type[Model], tuple[tuple[str, str, bool], ...]] = {}
        self.blank: dict[str, None] = {}
        for cls in classes:
            plan = []
            for attribute, kind in _documented(cls):
                column = rename + attribute if attribute in self.lead else attribute
                plan.append((attribute, column, kind is not None))
                self.columns[column] = None
                # The same column typed differently by two classes: left untyped.
                self.kinds[column] = kind if self.kinds.get(column, kind) == kind else None
            self.plans[cls] = tuple(plan)
            self.blank = self.blank or {column: None for _, column, _ in plan}
        self.taken = frozenset(self.columns)
        self.extra_columns: dict[str, str] = {}

    def rows(self, models: Iterable[Model]) -> list[Row]:
        return [self.row(model) for model in models]

    def row(self, model: Model | None, lead: Sequence[object] = ()) -> Row:
        """The row of ``model`` (or of no model: its documented columns empty)."""
        row: Row = dict(zip(self.lead, lead, strict=True))
        if model is None:
            row.update(self.blank)
            return row
        plan = self.plans.get(type(model))
        if plan is None:
            raise TypeError(f"a {type(model).__name__} in a table of {_names(self.plans)}")
        for attribute, column, scalar in plan:
            value = getattr(model, attribute)
            row[column] = value if scalar else _plain(value)
        for wire, value in model.extra.items():
            name = self.extra_columns.get(wire)
            if name is None:
                name = self.extra_columns[wire] = _extra_column(wire, self.taken)
                self.columns[name] = None
            row[name] = _plain(value)
        return row

    def frame(self, pandas: Any, rows: list[Row]) -> pd.DataFrame:
        """The DataFrame of ``rows`` (made by this table), typed by the documented kinds."""
        frame = pandas.DataFrame(rows or None, columns=list(self.columns))
        for column, kind in self.kinds.items():
            if kind is not None:
                frame[column] = _typed(pandas, frame[column], kind)
        return frame


def _names(plans: Iterable[type]) -> str:
    return ", ".join(cls.__name__ for cls in plans) or "no model"


def _typed(pandas: Any, column: Any, kind: str) -> Any:
    if kind == "datetime":
        try:
            column = pandas.to_datetime(column, utc=True)
            return column.astype("datetime64[ns, UTC]")
        except (OverflowError, ValueError):  # a date beyond 2262: microseconds hold it
            # (pandas 2 refuses it already in to_datetime, pandas 3 in the cast)
            return column.astype("datetime64[us, UTC]")
    try:
        return column.astype(_DTYPES[kind])
    except (TypeError, ValueError):  # a value the annotation does not promise: keep it
        return column


def _extra_column(wire: str, taken: frozenset[str]) -> str:
    """The column of an extra field: see the module documentation for the rule."""
    snake = _WORD_BREAK.sub("_", wire).lower()
    camel = _CAMEL_BREAK.sub(lambda m: m.group(1).upper(), snake)
    if camel == wire and snake.isidentifier() and snake[0] != "_" and snake not in taken:
        return snake
    return "extra." + wire


def _plain(value: Any) -> Any:
    """A value as a record holds it: nested models as records, containers copied."""
    if isinstance(value, Model):
        return _nested(type(value)).row(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _models(items: Iterable[Model]) -> list[Model]:
    if isinstance(items, (str, bytes, Model)) or not isinstance(items, Iterable):
        raise TypeError(f"expected an iterable of models, got {type(items).__name__}")
    models = list(items)
    for item in models:
        if not isinstance(item, Model):
            raise TypeError(f"expected models, got a {type(item).__name__}: {item!r:.80}")
    return models


def _classes(models: Iterable[Model], first: type[Model] | None = None) -> list[type[Model]]:
    if first is not None and not (isinstance(first, type) and issubclass(first, Model)):
        raise TypeError(f"model must be a model class, got {first!r:.80}")
    found = dict.fromkeys([first] if first else [])
    found.update(dict.fromkeys(type(model) for model in models))
    return [cls for cls in found if cls is not None]


def _nested(cls: type[Model]) -> _Table:
    """The table of a model nested in another (its record is a value of the outer one)."""
    found = _NESTED.get(cls)
    if found is None:
        found = _NESTED[cls] = _Table((cls,))
    return found


_NESTED: dict[type, _Table] = {}


def _documented(cls: type[Model]) -> tuple[tuple[str, str | None], ...]:
    """(attribute, kind) of each public documented attribute; kind ``None``: untyped."""
    found = _DOCUMENTED.get(cls)
    if found is None:
        attrs.resolve_types(cls)
        found = _DOCUMENTED[cls] = tuple(
            (field.name, _kind(field.type))
            for field in attrs.fields(cls)
            if field.name != "extra" and not field.name.startswith("_")
        )
    return found


_DOCUMENTED: dict[type, tuple[tuple[str, str | None], ...]] = {}


def _kind(annotation: Any) -> str | None:
    if get_origin(annotation) in (Union, types.UnionType):
        members = [arg for arg in get_args(annotation) if arg is not type(None)]
        annotation = members[0] if len(members) == 1 else None
    return _SCALAR_KINDS.get(annotation) if isinstance(annotation, type) else None


def _pandas() -> Any:
    try:
        import pandas  # type: ignore[import-untyped, unused-ignore]
    except ImportError as exc:
        raise ImportError(
            f"DataFrames need pandas, which is not installed: {_INSTALL_HINT}", name="pandas"
        ) from exc
    return pandas
