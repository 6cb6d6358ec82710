"""The four tables of bulk results: sessions, events, annotations and errors."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Generic, TypeVar

import attrs

from ..models import Annotation, EventReport, ExamSession, SessionResult
from ._columns import PARENT_COLUMNS, Row, Table, classes

__all__ = ["ERROR_COLUMNS", "SESSION_COLUMNS", "ResultTables", "SessionTables"]

T = TypeVar("T")

#: The sessions table's columns before the session details.
SESSION_COLUMNS = (*PARENT_COLUMNS, "skipped", "event_count", "annotation_count")
#: The errors table's columns.
ERROR_COLUMNS = (*PARENT_COLUMNS, "error_type", "error_message")

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
_TABLES = ("sessions", "events", "annotations", "errors")


@attrs.frozen(repr=False)
class SessionTables(Generic[T]):
    """The bulk results as four tables, from :func:`results_to_records` (lists of
    records) or :func:`results_to_dataframes` (DataFrames).

    ``sessions``: one row per result without an error, skipped ones included:
    ``install_sid``, ``exam_sid``, ``session_sid`` (the ref), ``skipped``,
    ``event_count`` and ``annotation_count`` (missing when not fetched), then the
    session details' columns (missing when not fetched).
    ``events`` and ``annotations``: one row per record, starting with the parent SIDs,
    then the same columns as the record's own list gives.
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


def _size(table: object) -> str:
    return str(len(table)) if hasattr(table, "__len__") else "?"


class ResultTables:
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
        parents, kinds = PARENT_COLUMNS, _LEAD_KINDS
        self.sessions = Table(classes(details, ExamSession), lead=SESSION_COLUMNS, kinds=kinds)
        self.events = Table(classes(events, EventReport), lead=parents, kinds=kinds)
        self.annotations = Table(classes(notes, Annotation), lead=parents, kinds=kinds)
        self.errors = Table((), lead=ERROR_COLUMNS, kinds=_LEAD_KINDS)
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
