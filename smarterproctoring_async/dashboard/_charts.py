"""Charts drawn as inline SVG: horizontal bars and a line, nothing loaded from elsewhere.

Every label is HTML-escaped (report rows are text from the API); no ``style``
attribute is written, so the page's Content-Security-Policy can forbid inline styles
in SVG as well. Each chart carries a ``<title>`` per mark, which browsers show on
hover, and an ``aria-label`` naming what it plots.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

__all__ = ["bar_chart", "line_chart"]

_WIDTH = 560
_BAR = 18
_GAP = 6
_LABEL = 170
_COLOUR = "#2f6f9f"


def _number(value: float) -> str:
    return f"{value:g}" if value != int(value) else f"{int(value):,}"


def _cut(text: str, most: int = 18) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def bar_chart(title: str, labels: Sequence[str], values: Sequence[float]) -> str:
    """One horizontal bar per label, longest bar the largest value."""
    top = max((v for v in values if v > 0), default=1.0)
    room = _WIDTH - _LABEL - 60
    height = len(labels) * (_BAR + _GAP) + _GAP
    parts = [
        f'<svg class="chart bars" role="img" aria-label="{escape(title)}" '
        f'width="{_WIDTH}" height="{height}" viewBox="0 0 {_WIDTH} {height}">'
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = _GAP + i * (_BAR + _GAP)
        width = max(room * max(value, 0) / top, 1)
        parts.append(
            f'<text x="{_LABEL - 6}" y="{y + 13}" text-anchor="end" font-size="12">'
            f"{escape(_cut(label))}</text>"
            f'<rect x="{_LABEL}" y="{y}" width="{width:.1f}" height="{_BAR}" fill="{_COLOUR}">'
            f"<title>{escape(label)}: {_number(value)}</title></rect>"
            f'<text x="{_LABEL + width + 4:.1f}" y="{y + 13}" font-size="12">'
            f"{_number(value)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(title: str, labels: Sequence[str], values: Sequence[float]) -> str:
    """A line through the values in order, with a dot and an x label per point."""
    height, left, bottom, top_pad = 220, 50, 40, 14
    top = max((v for v in values if v > 0), default=1.0)
    span = _WIDTH - left - 50  # room for the last x label, centred on its point
    step = span / max(len(values) - 1, 1)

    def point(i: int, value: float) -> tuple[float, float]:
        y = height - bottom - (height - bottom - top_pad) * max(value, 0) / top
        return left + i * step, y

    points = [point(i, v) for i, v in enumerate(values)]
    parts = [
        f'<svg class="chart line" role="img" aria-label="{escape(title)}" '
        f'width="{_WIDTH}" height="{height}" viewBox="0 0 {_WIDTH} {height}">',
        f'<line x1="{left}" y1="{height - bottom}" x2="{_WIDTH - 10}" y2="{height - bottom}" '
        'stroke="#999"/>',
        f'<text x="{left - 6}" y="{top_pad + 4}" text-anchor="end" font-size="11">'
        f"{_number(top)}</text>",
        f'<text x="{left - 6}" y="{height - bottom}" text-anchor="end" font-size="11">0</text>',
    ]
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{_COLOUR}" stroke-width="2"/>')
    every = max(1, len(points) // 8)  # at most about eight x labels, so they do not overlap
    for i, ((x, y), label, value) in enumerate(zip(points, labels, values, strict=True)):
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{_COLOUR}">'
            f"<title>{escape(label)}: {_number(value)}</title></circle>"
        )
        if i % every == 0:
            parts.append(
                f'<text x="{x:.1f}" y="{height - bottom + 16}" text-anchor="middle" '
                f'font-size="11">{escape(_cut(label, 12))}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
