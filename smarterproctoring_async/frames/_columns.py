"""Which column each field of a model goes to: the one naming rule of every table.

A column is the field's wire name in snake_case (``editDate`` -> ``edit_date``,
``URL`` -> ``url``, ``first-name`` -> ``first_name``), which for a documented
attribute is its attribute name. The parent SIDs (``install_sid``, ``exam_sid``,
``session_sid``) come first, in that order, whichever columns the table has. A record's
own parent SID fills the parent column of a results table (it names the same
session); should it name another one, it is kept beside, as ``<column>_as_sent``, as is
any field whose column another field took first (an undocumented ``createdDate``
that did not parse, beside the documented ``created_date``), numbered when even
that is taken. So two fields never share a column, and nothing the server sent is
left out.
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Union, get_args, get_origin

import attrs

from ..models import Model
from ._dtypes import typed_column

__all__ = ["PARENT_COLUMNS", "Row", "Table", "classes", "column_name", "models_of"]

Row = dict[str, Any]

#: The parent SIDs: first in every table that has them.
PARENT_COLUMNS = ("install_sid", "exam_sid", "session_sid")

_SCALAR_KINDS = {datetime: "datetime", bool: "bool", int: "int", float: "float", str: "str"}
_WORD_BREAK = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_SENT = "_as_sent"


def column_name(wire: str) -> str:
    """The snake_case column of a wire name (the rule of the module documentation)."""
    snake = _NOT_WORD.sub("_", _WORD_BREAK.sub("_", wire).lower()).strip("_")
    return snake if snake[:1].isalpha() else "field_" + snake


class Table:
    """How the models of one table become rows: their columns, kinds and field names.

    ``lead`` are columns the caller fills first (parent SIDs, counts) with ``kinds``;
    the documented attributes of the model classes follow, then fields nothing
    documents, in the order first seen.
    """

    def __init__(
        self,
        classes: Iterable[type[Model]],
        *,
        lead: Sequence[str] = (),
        kinds: dict[str, str] | None = None,
    ) -> None:
        self.lead = tuple(lead)
        self.columns: dict[str, str | None] = {name: (kinds or {}).get(name) for name in lead}
        # Per class: (attribute, column, whether the value is a plain scalar).
        self.plans: dict[type[Model], tuple[tuple[str, str, bool], ...]] = {}
        for cls in classes:
            plan = []
            for attribute, kind in _documented(cls):
                column = attribute if attribute in PARENT_COLUMNS else self._free(attribute)
                plan.append((attribute, column, kind is not None))
                # The same column typed differently by two classes: left untyped.
                known = self.columns.get(column, kind)
                self.columns[column] = kind if known == kind else None
            self.plans[cls] = tuple(plan)
        first = next(iter(self.plans.values()), ())
        self.blank: Row = {column: None for _, column, _ in first if column not in self.lead}
        self.wire: dict[str, str] = {}  # the column of each undocumented field
        self.kept: dict[str, list[str]] = {}  # the ``_as_sent`` columns of each parent column
        # The tables of nested models, made for this table: their columns are named by
        # what this table's models hold, not by what an earlier table held.
        self.nested: dict[type[Model], Table] = {}

    def _free(self, name: str) -> str:
        """``name``, or the first of ``name_as_sent``, ``name_as_sent_2``... not taken."""
        if name not in self.columns:
            return name
        column, n = name + _SENT, 1
        while column in self.columns:
            n += 1
            column = f"{name}{_SENT}_{n}"
        return column

    def order(self) -> list[str]:
        """The columns: the parent SIDs first, then in order of appearance."""
        parents = [name for name in PARENT_COLUMNS if name in self.columns]
        return parents + [name for name in self.columns if name not in PARENT_COLUMNS]

    def rows(self, models: Iterable[Model]) -> list[Row]:
        """The records of ``models``, their keys in column order."""
        rows = [self.row(model) for model in models]
        order = self.order()
        if list(self.columns) == order:
            return rows
        return [{name: row[name] for name in order if name in row} for row in rows]

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
            self._put(row, column, value if scalar else self.plain(value))
        for wire, value in model.extra.items():
            known = self.wire.get(wire)
            if known is None:
                known = self.wire[wire] = self._extra_column(wire)
            self._put(row, known, self.plain(value))
        return row

    def plain(self, value: Any) -> Any:
        """A value as a record holds it: nested models as records, containers copied."""
        if isinstance(value, Model):
            nested = self.nested.get(type(value))
            if nested is None:
                nested = self.nested[type(value)] = Table((type(value),))
            return nested.rows([value])[0]
        if isinstance(value, dict):
            return {key: self.plain(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.plain(item) for item in value]
        return value

    def _extra_column(self, wire: str) -> str:
        name = column_name(wire)
        if name in PARENT_COLUMNS and (name in self.lead or name not in self.columns):
            column = name  # shared with the parent column: _put keeps a differing value
        else:
            column = self._free(name)
        self.columns.setdefault(column, None)
        return column

    def _put(self, row: Row, column: str, value: Any) -> None:
        if column not in self.lead:
            row[column] = value
        elif value is not None and row.get(column) is None:
            row[column] = value  # the parent the caller did not know
        elif value is not None and value != row[column]:
            # Beside it, in the first of its ``_as_sent`` columns this row has not filled:
            # a row may name several others (``session_sid`` and ``SessionSid``).
            kept = self.kept.setdefault(column, [])
            spare = next((name for name in kept if name not in row), None)
            if spare is None:
                spare = self._free(column)
                kept.append(spare)
                self.columns[spare] = None  # typed by what it holds: not always a SID
            row[spare] = value

    def frame(self, pandas: Any, rows: list[Row]) -> Any:
        """The DataFrame of ``rows`` (made by this table), typed column by column."""
        data = {
            name: typed_column(pandas, [row.get(name) for row in rows], self.columns[name])
            for name in self.order()
        }
        return pandas.DataFrame(data, columns=list(data))


def _names(plans: Iterable[type]) -> str:
    return ", ".join(cls.__name__ for cls in plans) or "no model"


def models_of(items: Iterable[Model]) -> list[Model]:
    """``items`` as a list, checked to hold models only."""
    if isinstance(items, (str, bytes, Model)) or not isinstance(items, Iterable):
        raise TypeError(f"expected an iterable of models, got {type(items).__name__}")
    models = list(items)
    for item in models:
        if not isinstance(item, Model):
            raise TypeError(f"expected models, got a {type(item).__name__}: {item!r:.80}")
    return models


def classes(models: Iterable[Model], first: type[Model] | None = None) -> list[type[Model]]:
    """The model classes of a table: ``first``, then those of ``models`` in order."""
    if first is not None and not (isinstance(first, type) and issubclass(first, Model)):
        raise TypeError(f"model must be a model class, got {first!r:.80}")
    found = dict.fromkeys([first] if first else [])
    found.update(dict.fromkeys(type(model) for model in models))
    return [cls for cls in found if cls is not None]


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
