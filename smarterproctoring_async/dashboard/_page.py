"""The dashboard page: every panel with its age, an error box for a report that failed.

Server-rendered HTML; the only other resource is the stylesheet this server serves
(``STYLE``). Every text from a report or the store is HTML-escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from html import escape
from typing import Any

from ._loading import Loaded, logger
from ._panels import PANELS, figure_list
from ._sync_health import SyncHealth

__all__ = ["STYLE", "age", "page"]

STYLE = """\
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; background: #fafafa; }
h1 { font-size: 1.4rem; margin: 0 0 .2rem; }
.sub { color: #555; margin: 0 0 1rem; }
.panels { display: grid; grid-template-columns: repeat(auto-fill, minmax(600px, 1fr));
          gap: 1rem; }
section { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: .8rem 1rem; }
h2 { font-size: 1.1rem; margin: 0 0 .2rem; }
svg.chart { max-width: 100%; height: auto; }
h3 { font-size: .9rem; margin: .8rem 0 .3rem; color: #333; }
.age, .note { color: #666; font-size: .8rem; margin: .2rem 0; }
.error { background: #fdecea; border: 1px solid #e0a39d; color: #7a1c12; padding: .6rem;
         border-radius: 4px; }
.count { font-size: 1.8rem; margin: .2rem 0; }
dl.figures { display: grid; grid-template-columns: max-content 1fr; gap: .1rem .8rem;
             font-size: .9rem; }
dt { color: #555; } dd { margin: 0; }
.scroll { overflow-x: auto; max-height: 24rem; }
table { border-collapse: collapse; font-size: .8rem; }
th, td { border-bottom: 1px solid #eee; padding: .2rem .4rem; text-align: left;
         white-space: nowrap; }
"""


def age(then: datetime, now: datetime) -> str:
    """``fetched 4 min ago (2026-01-06 09:00:00 UTC)``."""
    if then.tzinfo is None:  # a cached stamp written without a zone: taken as UTC
        then = then.replace(tzinfo=timezone.utc)
    seconds = max(int((now - then).total_seconds()), 0)
    ago = f"{seconds} s" if seconds < 120 else f"{seconds // 60} min"
    return f"fetched {ago} ago ({then.strftime('%Y-%m-%d %H:%M:%S UTC')})"


def _section(key: str, title: str, inner: str) -> str:
    return f'<section id="{key}"><h2>{escape(title)}</h2>{inner}</section>'


def _panel(title: str, loaded: Loaded, now: datetime, render: Callable[[Any], str]) -> str:
    if loaded.error is not None or loaded.fetched is None:
        box = f'<div class="error" role="alert">This report could not be fetched: ' \
              f"{escape(loaded.error or 'no answer')}</div>"  # fmt: skip
        return _section(loaded.name, title, box)
    stamp = f'<p class="age">{escape(age(loaded.fetched, now))}</p>'
    try:
        drawn = render(loaded.body)
    except Exception as error:  # a body no panel foresaw: this panel only, not the page
        logger.exception("dashboard: the %s report could not be drawn", loaded.name)
        drawn = f'<div class="error" role="alert">This report could not be drawn: ' \
                f"unexpected {escape(type(error).__name__)} (see the log)</div>"  # fmt: skip
    return _section(loaded.name, title, stamp + drawn)


def _health(health: SyncHealth) -> str:
    read = health.read.strftime("%Y-%m-%d %H:%M:%S UTC")
    if health.error is not None:
        inner = f'<div class="error" role="alert">{escape(health.error)}</div>'
    else:
        inner = f'<p class="age">read from the store at {read}</p>' + figure_list(
            list(health.figures)
        )
    return _section("sync-health", "Sync health", inner)


def page(
    install_sid: str,
    loaded: Mapping[str, Loaded],
    now: datetime,
    health: SyncHealth | None,
    ttl: float,
) -> str:
    """The whole page."""
    panels = [_panel(p.title, loaded[p.report], now, p.render) for p in PANELS]
    if health is not None:
        panels.append(_health(health))
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,"><link rel="stylesheet" href="style.css">'
        f"<title>SmarterProctoring dashboard: {escape(install_sid)}</title></head><body>"
        f'<h1>SmarterProctoring operations</h1><p class="sub">Install {escape(install_sid)}'
        f" · reports cached for {ttl:g} s · page rendered "
        f"{now.strftime('%Y-%m-%d %H:%M:%S UTC')}</p>"
        f'<div class="panels">{"".join(panels)}</div></body></html>'
    )
