"""What one bulk call was asked to do, checked once before any request.

:func:`bulk_options` turns a bulk method's arguments into one frozen
:class:`BulkOptions`; the plans (``_plans``, ``_exam_plan``, ``_sessions``) read only
that object. Every refusal is raised here, so a wrong argument costs no request.
``client.sync`` builds one too (``_options``), after its own stricter checks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import attrs

from ..errors import InvalidFilterError
from ..models import SessionResult

__all__ = ["BulkOptions", "OnlyTerminal", "Plan", "ProgressCallback", "bulk_options"]

#: How one exam's events are read (see :mod:`._exam_plan`).
Plan = Literal["auto", "exam", "session"]
#: Which sessions are fetched whole: every one (False), the Closed or Cancelled ones
#: (True), or those whose proctor's review is over as well ("reviewed").
OnlyTerminal = bool | Literal["reviewed"]
#: ``on_progress(done, total or None, failed)``, called after each session.
ProgressCallback = Callable[[int, "int | None", int], object]


@attrs.frozen(kw_only=True)
class BulkOptions:
    """One bulk call's settings, checked (see :func:`bulk_options`).

    ``concurrency`` has one meaning in every bulk method and in ``client.sync``,
    documented once, on the client's bulk methods (``_bulk_methods.BulkMethods``):
    the most sessions' fetches, exam-level lists or exam reports in progress at once
    across the run.

    ``details`` is the session-level methods' switch; ``plan`` and ``full_details``
    are the exam-level ones' (their details come from the report rows when they
    can). ``into`` gets each result as it arrives (the gather methods).
    """

    concurrency: int
    plan: Plan = "auto"
    only_terminal: OnlyTerminal = False
    details: bool = True
    full_details: bool = False
    events: bool = True
    annotations: bool = True
    on_progress: ProgressCallback | None = None
    # Compared by identity: it is the caller's list, filled as results arrive.
    into: list[SessionResult] | None = attrs.field(default=None, eq=False)


def bulk_options(
    max_concurrency: int,
    *,
    concurrency: int | None,
    plan: Plan = "auto",
    only_terminal: OnlyTerminal = False,
    details: bool = True,
    full_details: bool = False,
    events: bool = True,
    annotations: bool = True,
    on_progress: ProgressCallback | None = None,
    into: list[SessionResult] | None = None,
) -> BulkOptions:
    """Every argument a bulk method shares, checked; the first wrong one raised.

    ``concurrency=None`` means ``max_concurrency`` (the client's). Raises
    :class:`~smarterproctoring_async.errors.InvalidFilterError` for a wrong value
    (``concurrency``, ``plan``, ``only_terminal``) and :class:`TypeError` for an
    argument of the wrong kind (``on_progress``, ``into``). The flags are taken for
    their truth, as they always were.
    """
    if concurrency is None:
        concurrency = max_concurrency
    elif isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise InvalidFilterError(f"concurrency must be a positive int, got {concurrency!r}")
    if plan not in ("auto", "exam", "session"):
        raise InvalidFilterError(f"plan must be 'auto', 'exam' or 'session', got {plan!r}")
    if only_terminal not in (True, False, "reviewed"):
        raise InvalidFilterError("only_terminal must be True, False or 'reviewed'")
    if on_progress is not None and not callable(on_progress):
        raise TypeError("on_progress must be callable")
    if into is not None and not isinstance(into, list):
        raise TypeError(f"into must be a list, got {type(into).__name__}")
    return BulkOptions(
        concurrency=concurrency,
        plan=plan,
        only_terminal=only_terminal,
        details=bool(details),
        full_details=bool(full_details),
        events=bool(events),
        annotations=bool(annotations),
        on_progress=on_progress,
        into=into,
    )
