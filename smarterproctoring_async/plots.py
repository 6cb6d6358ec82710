"""Charts of reports and events for notebooks, each in one call, on matplotlib.

    from smarterproctoring_async import plots

    plots.plot_report(await install.reports.modality_distribution())
    plots.plot_events_per_type(tables.events, event_types=await client.event_types().collect())

This is the only module that imports matplotlib, and only when a chart is drawn:
install the extra with ``pip install 'smarterproctoring-async[plot]'``. Each function
draws on ``ax=`` when given, else on a new figure of ``matplotlib.pyplot`` (shown inline
by Jupyter; without a display, matplotlib falls back to its Agg backend), and returns
the Axes.

The reference publishes no shape for the volume and distribution reports, so the
charts read what was sent: the rows of a report answering one object are its list of
objects (the first one, or the field named by ``rows=``). Fields are named by their
DataFrame column (snake_case, see :mod:`smarterproctoring_async.frames`). A chart's
labels default to the first text or date field of the rows (not a SID) and its values to the
first numeric one; a chart over dates is a line, any other a bar chart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .frames import column_name, to_records
from .models import Model, parse_datetime

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_counts", "plot_events_per_type", "plot_report"]

_INSTALL_HINT = "pip install 'smarterproctoring-async[plot]'"
Rows = list[dict[str, Any]]


def plot_report(
    report: Model | Iterable[Any],
    *,
    rows: str | None = None,
    label: str | None = None,
    value: str | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """A volume or distribution report as a chart of ``value`` by ``label``.

    ``report`` is the record of a report answering one object (appointment volume,
    modality distribution, proctor volume, exam type stats), or the rows of a list
    report (models, a DataFrame, dicts: exam volume, exams by week, service
    distribution). ``rows`` names the record's list to chart (default: its first list
    of objects); ``label`` and ``value`` name the fields (defaults: the module rules).
    """
    found, name = _rows(report, rows)
    label = label or _first(found, _is_label, "text or date field", name)
    value = value or _first(found, _is_number, "numeric field", name)
    labels = [_label(row.get(label)) for row in found]
    values = [row.get(value) or 0 for row in found]
    ax = ax if ax is not None else _new_axes()
    if labels and all(isinstance(item, datetime) for item in labels):
        ax.plot(labels, values, marker="o")
        ax.figure.autofmt_xdate()
    else:
        ax.bar([str(item) for item in labels], values)
        ax.tick_params(axis="x", labelrotation=45)
    ax.set_xlabel(label)
    ax.set_ylabel(value)
    ax.set_title(title or (f"{name}: {value} by {label}" if name else f"{value} by {label}"))
    return ax


def plot_counts(
    rows: Iterable[Any],
    *,
    by: str,
    names: Mapping[Any, str] | None = None,
    top: int = 20,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """How many rows have each value of ``by`` (a distribution), most frequent first,
    as a horizontal bar chart of the ``top`` values; ``names`` labels the values."""
    found, _ = _rows(rows, None)
    counts: dict[Any, int] = {}
    for row in found:
        key = row.get(by)
        counts[key] = counts.get(key, 0) + 1
    ranked = sorted(counts.items(), key=lambda item: -item[1])[:top]
    labels = [str((names or {}).get(key, key)) for key, _ in ranked]
    ax = ax if ax is not None else _new_axes()
    ax.barh(labels[::-1], [count for _, count in ranked][::-1])
    ax.set_xlabel("rows")
    ax.set_title(title or f"rows by {by}")
    return ax


def plot_events_per_type(
    events: Iterable[Any],
    *,
    event_types: Iterable[Any] | None = None,
    top: int = 20,
    ax: Axes | None = None,
) -> Axes:
    """How many events of each type (``event_type_sid``), most frequent first.

    ``events`` are event reports, session event rows or a frame of them (a paginator's
    ``to_dataframe()``, ``results_to_dataframes(...).events``); ``event_types`` (the
    records of ``client.event_types()``) label each type by its ``name`` field when
    they have one, else the SID is shown.
    """
    names = {}
    for row in _rows(event_types, None)[0] if event_types is not None else ():
        if row.get("sid") is not None and row.get("name") is not None:
            names[row["sid"]] = str(row["name"])
    ax = plot_counts(events, by="event_type_sid", names=names, top=top, ax=ax)
    ax.set_xlabel("events")
    ax.set_title("events per type")
    return ax


def _rows(source: Any, wanted: str | None) -> tuple[Rows, str | None]:
    """The rows to chart (keys in column form) and the name of the list they came from."""
    if isinstance(source, Model):
        record = to_records([source])[0]
        lists = {k: v for k, v in record.items() if isinstance(v, list) and _objects(v)}
        if wanted is not None and column_name(wanted) not in lists:
            raise ValueError(f"no list of objects {wanted!r} in the report: {_names(lists)}")
        if not lists:
            raise ValueError(f"the report holds no list of objects to chart: {_names(record)}")
        name = column_name(wanted) if wanted is not None else next(iter(lists))
        return [_columns(row) for row in lists[name]], name
    if hasattr(source, "to_dict") and hasattr(source, "columns"):  # a DataFrame
        return [_columns(row) for row in source.to_dict("records")], None
    if isinstance(source, (str, bytes, Mapping)) or not isinstance(source, Iterable):
        raise TypeError(f"expected a report record or rows, got {type(source).__name__}")
    items = list(source)
    if all(isinstance(item, Model) for item in items):
        return to_records(items), None
    if all(isinstance(item, Mapping) for item in items):
        return [_columns(item) for item in items], None
    raise TypeError("expected rows of one kind: models, dicts or a DataFrame")


def _objects(items: list[Any]) -> bool:
    return bool(items) and all(isinstance(item, Mapping) for item in items)


def _columns(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {column_name(str(key)): _missing(value) for key, value in row.items()}


def _missing(value: Any) -> Any:
    # pandas' missing values (NA, NaT, NaN) are the only values unequal to themselves.
    try:
        return None if bool(value != value) else value
    except (TypeError, ValueError):  # pandas.NA refuses bool(); arrays are not scalars
        return None if type(value).__name__ == "NAType" else value


def _names(fields: Mapping[str, Any]) -> str:
    return ", ".join(fields) or "no field"


def _is_label(key: str, value: Any) -> bool:
    return isinstance(value, (str, datetime)) and key != "sid" and not key.endswith("_sid")


def _is_number(key: str, value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _first(rows: Rows, test: Any, what: str, name: str | None) -> str:
    for row in rows[:1]:
        for key, value in row.items():
            if test(key, value):
                return key
    where = f"the rows of {name!r}" if name else "the rows"
    raise ValueError(f"{where} have no {what} to chart (fields: {_names(rows[0] if rows else {})})")


def _label(value: Any) -> Any:
    """A date sent as text is a date on the chart."""
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-":
        return parse_datetime(value) or value
    return value


def _new_axes() -> Axes:
    try:
        from matplotlib import pyplot
    except ImportError as exc:
        raise ImportError(
            f"charts need matplotlib, which is not installed: {_INSTALL_HINT}", name="matplotlib"
        ) from exc
    _, ax = pyplot.subplots(figsize=(8, 4), layout="constrained")
    return ax
