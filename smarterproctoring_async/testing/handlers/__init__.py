"""Route handlers, one module per part of the client's ``resources/``.

``session`` (one session: details, status, events, annotations v1/v2), ``exam`` (an
exam's lists), ``install`` (an install's courses, enrollments, course offerings),
``discovery`` (a course, its exams and enrollments, rosters, catalogues), ``reports`` and
``summaries`` (the install reports), ``token`` (check, ttl, permissions, logout).
Handler modules import only the non-handler modules ``base`` (Call, Listing, drift) and
``filters`` (the one way rows are filtered), never each other. ``HANDLERS`` maps every
route template the fake serves (the SDK's Swagger routes plus
``server.routing.FAKE_ONLY_ROUTES``) to its handler.
"""

from __future__ import annotations

from . import discovery, exam, install, reports, session, summaries, token
from .base import Call, Handler, Listing

__all__ = ["HANDLERS", "Call", "Handler", "Listing"]


def _merge(*tables: dict[str, Handler]) -> dict[str, Handler]:
    merged: dict[str, Handler] = {}
    for handlers in tables:
        for template, handler in handlers.items():
            if template in merged:
                raise ValueError(f"two handlers for {template}")
            merged[template] = handler
    return merged


HANDLERS = _merge(
    session.HANDLERS,
    exam.HANDLERS,
    install.HANDLERS,
    discovery.HANDLERS,
    reports.HANDLERS,
    summaries.HANDLERS,
    token.HANDLERS,
)
