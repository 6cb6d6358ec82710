"""What one ``client.sync(...)`` call was asked to do, checked once before any request.

:func:`check_options` turns the method's arguments into one frozen
:class:`SyncOptions`; the engine reads only that object. Every refusal is raised here,
so a wrong argument costs no request, no lock and no run in the store's log.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Literal, TypeGuard

import attrs

from ..errors import InvalidFilterError
from ..models import JSONValue
from ..resources import Install
from ..resources._context import Context
from ..resources.reports import AppointmentFilters
from ._bulk_options import BulkOptions, ProgressCallback, bulk_options
from ._plans import RowSource, install_rows
from ._shard import check_shard
from ._store_face import SyncStore
from ._window import Window, parse_window

__all__ = ["SyncOptions", "check_options"]

OnlyTerminal = Literal[True, "reviewed"]


@attrs.frozen(kw_only=True)
class SyncOptions:
    """One sync's settings, checked (see :func:`check_options`).

    ``rows`` reads the install's appointments report (its filters applied) each time it
    is called; ``bulk`` is what the install plan is given (``concurrency`` and
    ``on_progress`` included, as for the bulk methods); ``store`` is the
    :class:`~smarterproctoring_async.Store`, typed by what the engine uses of it.
    """

    install: Install
    store: SyncStore
    rows: RowSource
    bulk: BulkOptions
    shard: tuple[int, int] | None
    follow: bool
    interval: float
    refetch: bool
    window: Window | None
    lock_wait: float
    recorded: Mapping[str, JSONValue]  # what the run log keeps of these options


def check_options(
    context: Context,
    install: str | Install,
    store: object,
    *,
    only_terminal: OnlyTerminal,
    full_details: bool,
    shard: tuple[int, int] | None,
    concurrency: int | None,
    max_concurrency: int,
    on_progress: ProgressCallback | None,
    follow: bool,
    interval: float,
    refetch: bool,
    window: str | None,
    tz: str | None,
    lock_wait: float,
    filters: AppointmentFilters,
) -> SyncOptions:
    """Every argument of ``client.sync`` checked; the first wrong one raised.

    ``concurrency`` is as for the bulk methods (``None``: ``max_concurrency``, the
    client's; see :class:`~._bulk_options.BulkOptions`). Raises :class:`TypeError` for
    an argument of the wrong kind (not a Store, a callback that is not callable),
    :class:`~smarterproctoring_async.errors.InvalidFilterError` for a wrong value
    (shard, window, time zone, interval, filters) and
    :class:`~smarterproctoring_async.errors.InvalidSidError` for a bad install SID.
    """
    if not _is_store(store):
        raise TypeError(
            f"store must be a smarterproctoring_async.Store (opened with async with), "
            f"got {type(store).__name__}"
        )
    if only_terminal is not True and only_terminal != "reviewed":
        # False is refused: the store holds final results only; a session still
        # running would be stored with events and annotations that are not all there.
        raise InvalidFilterError(f"only_terminal must be True or 'reviewed', got {only_terminal!r}")
    for name, flag in (("full_details", full_details), ("follow", follow), ("refetch", refetch)):
        if not isinstance(flag, bool):
            raise TypeError(f"{name} must be a bool, got {type(flag).__name__}")
    bulk = bulk_options(
        max_concurrency,
        concurrency=concurrency,
        plan="auto",
        only_terminal=only_terminal,
        full_details=full_details,
        on_progress=on_progress,
    )
    handle = install if isinstance(install, Install) else Install(context, install)
    rows = install_rows(context, handle, filters)  # checks the filters, sends nothing
    checked_window = parse_window(_text_or_none("window", window), _text_or_none("tz", tz))
    options = SyncOptions(
        install=handle,
        store=store,
        rows=rows,
        bulk=bulk,
        shard=check_shard(shard),
        follow=follow,
        interval=_seconds("interval", interval, positive=True),
        refetch=refetch,
        window=checked_window,
        lock_wait=_seconds("lock_wait", lock_wait, positive=False),
        recorded={},
    )
    return attrs.evolve(options, recorded=_recorded(options, filters))


def _is_store(store: object) -> TypeGuard[SyncStore]:
    # Imported here: the store's module loads SQLAlchemy, which a client that never
    # syncs should not pay for.
    from ..store import Store

    return isinstance(store, Store)


def _text_or_none(name: str, value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise InvalidFilterError(f"{name} must be a str or None, got {type(value).__name__}")
    return value


def _seconds(name: str, value: object, *, positive: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidFilterError(f"{name} must be a finite number of seconds, got {value!r:.40}")
    if value < 0 or (positive and value == 0):
        wanted = "more than 0" if positive else "0 or more"
        raise InvalidFilterError(f"{name} must be {wanted} seconds, got {value!r}")
    return float(value)


def _recorded(options: SyncOptions, filters: AppointmentFilters) -> dict[str, JSONValue]:
    """The options as the run log keeps them: plain JSON values, no callback, no store."""
    window = options.window
    return {
        "only_terminal": options.bulk.only_terminal,
        "full_details": options.bulk.full_details,
        "concurrency": options.bulk.concurrency,
        "follow": options.follow,
        "interval": options.interval,
        "refetch": options.refetch,
        "window": None if window is None else window.text,
        "tz": None if window is None else str(window.zone),
        "filters": {name: _plain(value) for name, value in filters.items()},
    }


def _plain(value: object) -> JSONValue:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)
