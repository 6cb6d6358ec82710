"""The guide's Pattern 3, an operational dashboard, as a local web page.

``sp.Dashboard`` (an async context manager) and ``sp.serve_dashboard`` (serve until
cancelled); the command line's ``dashboard`` command calls the latter. Server-rendered
HTML with charts drawn as inline SVG: nothing is loaded from the internet, and the
page's Content-Security-Policy forbids it. The panels read ``sp.REPORTS``, the same
registry as the ``report`` command.
"""

from __future__ import annotations

from ._dashboard import DEFAULT_CACHE_TTL, DEFAULT_PORT, Dashboard, serve_dashboard

__all__ = ["DEFAULT_CACHE_TTL", "DEFAULT_PORT", "Dashboard", "serve_dashboard"]
