"""The dashboard's panels: which report of ``sp.REPORTS`` each shows, and how.

Each panel names its report by its registry name (``tests/dashboard`` checks they all
exist there) and turns the report's body into HTML: a chart when a series is found
(``_shapes``), else the report's plain values, else "no rows".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import Any

from ._charts import bar_chart, line_chart
from ._shapes import Series, count_by, figures, series_in, trend, uncharted

__all__ = ["LEARNERS_SHOWN", "PANELS", "PROCTORS_SHOWN", "Panel", "figure_list", "table"]

#: Rows of the unscheduled learners shown on the page (the CSV has them all).
LEARNERS_SHOWN = 25
#: Proctors drawn in the proctor volume chart (the busiest), the rest counted.
PROCTORS_SHOWN = 15


@dataclass(frozen=True)
class Panel:
    """One report on the page: its registry name, heading and how its body is drawn."""

    report: str
    title: str
    render: Callable[[Any], str]


def figure_list(pairs: list[tuple[str, str]]) -> str:
    """Plain values as a definition list."""
    items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in pairs)
    return f'<dl class="figures">{items}</dl>' if items else ""


def _bars(series: Series, most: int | None = None) -> str:
    labels, values, rest = series.labels, series.values, ""
    if most is not None and len(labels) > most:
        ranked = sorted(zip(values, labels, strict=True), reverse=True)[:most]
        values, labels = tuple(v for v, _ in ranked), tuple(k for _, k in ranked)
        rest = f'<p class="note">the {most} largest of {len(series.labels):,} shown</p>'
    return f"<h3>{escape(series.title)}</h3>{bar_chart(series.title, labels, values)}{rest}"


def _empty(body: Any) -> str:
    return '<p class="note">no rows</p>' if not body else ""


def _trend(body: Any) -> str:
    rows = body if isinstance(body, list) else []
    series = trend(rows)
    if series is None or not series.labels:
        return _empty(rows) or f'<p class="note">{len(rows):,} rows, no dated field</p>'
    chart = line_chart(series.title, series.labels, series.values)
    return f'<h3>{escape(series.title)}</h3>{chart}<p class="note">{len(rows):,} rows</p>'


def _object(most: int | None = None) -> Callable[[Any], str]:
    def render(body: Any) -> str:
        charts = "".join(_bars(s, most) for s in series_in(body) if s.labels)
        tables = "".join(
            f"<h3>{escape(key)}</h3>" + table([dict(r) for r in rows], most or LEARNERS_SHOWN)
            for key, rows in uncharted(body)
        )
        shown = figure_list(figures(body)) + charts + tables
        return shown or '<p class="note">nothing to show</p>'

    return render


def _distribution(body: Any) -> str:
    rows = body if isinstance(body, list) else []
    # serviceType and status: the fields the reference shows for these rows (SPEC 4i).
    series = count_by(rows, "serviceType", "status")
    if series is None:
        return _empty(rows) or f'<p class="note">{len(rows):,} rows, no service type</p>'
    return _bars(series) + f'<p class="note">{len(rows):,} sessions</p>'


def table(rows: list[dict[str, Any]], most: int) -> str:
    """The first ``most`` rows as a table of their plain (not nested) fields."""
    columns: dict[str, None] = {}
    for row in rows[:most]:
        columns.update({k: None for k, v in row.items() if not isinstance(v, (dict, list))})
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(_text(row.get(c)))}</td>" for c in columns) + "</tr>"
        for row in rows[:most]
    )
    return f'<div class="scroll"><table><tr>{head}</tr>{body}</table></div>'


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _learners(body: Any) -> str:
    rows = [r for r in body if isinstance(r, dict)] if isinstance(body, list) else []
    # Rows, not learners: the reference does not say what a row is (one per learner
    # and exam, in the fake), nor which field names the learner.
    count = f'<p class="count"><span id="unscheduled-count">{len(rows):,}</span> rows</p>'
    if not rows:
        return count
    link = '<p><a href="unscheduled-learners.csv" download>Download all as CSV</a></p>'
    shown = (
        f'<p class="note">the first {LEARNERS_SHOWN} shown</p>'
        if len(rows) > LEARNERS_SHOWN
        else ""
    )
    return count + link + table(rows, LEARNERS_SHOWN) + shown


PANELS: tuple[Panel, ...] = (
    Panel("exam-volume", "Exam volume", _trend),
    Panel("exams-by-week", "Exams by week", _trend),
    Panel("appointment-volume", "Appointment volume (peak scheduling)", _object()),
    Panel("modality-distribution", "Modality distribution", _object()),
    Panel("service-distribution", "Service distribution", _distribution),
    Panel("proctor-volume", "Proctor volume", _object(PROCTORS_SHOWN)),
    Panel("unscheduled-learners", "Unscheduled learners", _learners),
)
"""The panels in page order."""
