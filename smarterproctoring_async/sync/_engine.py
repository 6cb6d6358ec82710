"""The sync engine: a lock, a run in the store's log, one pass or passes forever.

``run_sync`` holds the store's lock for (install, shard) from start to end, so two
syncs of one install (or of one shard) into one store never interleave. Its run is
finished in the log however it ends:

- ``"ok"``: the pass (without ``follow``) ran to the end;
- ``"failed"``: an error ended it (a fatal one: the token no longer works, the client
  is closed...; or, without ``follow``, the report itself could not be read); the
  error is raised;
- ``"stopped"``: it was cancelled (Ctrl-C, SIGTERM in the command line, a cancelled
  task); the session being saved commits or rolls back first (the store's threads are
  never abandoned mid-call), and the cancellation is raised.

A run whose process died (SIGKILL, power cut) stays ``running`` until the next run of
its scope starts under the lock and marks it ``"interrupted"`` (``Store.start_run``).

With ``follow`` a pass starts every ``interval`` seconds (counted from the previous
start) until cancelled; a pass ended by a failure the next may not meet (see
:func:`passing`: the API down for longer than the retries) is said in a WARNING and
the run's errors, and the next pass starts on time. With a window, a pass that would
start outside it waits for the window's next start, saying until when (INFO).
"""

from __future__ import annotations

import logging
from datetime import datetime

import anyio

from ..errors import DecodeError, RateLimitError, ServerError, TransportError
from ..resources._context import Context
from ..resources._failures import is_fatal, unwrap
from ..stats import ClientStats
from . import _clock
from ._options import SyncOptions
from ._pass import StartRun, sync_pass
from ._store_face import RunStatus
from ._summary import SyncSummary, Tally
from ._window import Window

__all__ = ["run_sync"]

_log = logging.getLogger("smarterproctoring_async")


async def run_sync(
    context: Context, stats: ClientStats, options: SyncOptions, start_run: StartRun
) -> SyncSummary:
    """Run the sync ``options`` describe (checked already); its summary.

    ``stats``: the client's counters (the run's requests are their increase);
    ``start_run``: what starts each pass's tracing span.
    """
    store, install_sid = options.store, options.install.sid
    async with store.lock(install_sid, shard=options.shard, wait=options.lock_wait):
        await _within(options.window)
        requests_before, limited_before = stats.requests, stats.rate_limited
        started = _clock.CLOCK.now()
        run_id = await store.start_run(install_sid, shard=options.shard, options=options.recorded)
        tally = Tally()

        async def finish(status: RunStatus) -> SyncSummary:
            requests = max(0, stats.requests - requests_before)  # 0 if stats were reset
            limited = max(0, stats.rate_limited - limited_before)
            errors = tally.error_lines()
            # Shielded: a cancelled sync still records how it ended.
            with anyio.CancelScope(shield=True):
                await store.finish_run(
                    run_id, status=status, requests=requests, rate_limited=limited,
                    errors=errors, **tally.counts(),
                )  # fmt: skip
            summary = SyncSummary(
                run_id=run_id,
                requests=requests,
                rate_limited=limited,
                errors=tuple(errors),
                started=started,
                finished=_clock.CLOCK.now(),
                passes=tally.passes,
                **tally.counts(),
            )
            _log.info(
                "sync of install %s: run %d %s: %s", install_sid, run_id, status, _said(summary)
            )
            return summary

        try:
            await _passes(context, options, run_id, tally, start_run)
        except Exception:
            await finish("failed")
            raise
        except BaseException:  # cancelled (or KeyboardInterrupt): stopped, not failed
            await finish("stopped")
            raise
        return await finish("ok")


async def _passes(
    context: Context, options: SyncOptions, run_id: int, tally: Tally, start_run: StartRun
) -> None:
    """One pass, or with ``follow`` one every ``interval`` seconds until cancelled."""
    while True:
        began = _clock.CLOCK.now()
        try:
            await sync_pass(context, options, run_id, tally, start_run)
        except Exception as raised:
            error = unwrap(raised)
            if not (options.follow and passing(error)):
                raise
            # A follower outlives an outage of the API: the pass is said and logged
            # (what it saved stays saved), and the next one starts on time.
            tally.note_pass_failure(error)
            _log.warning(
                "sync of install %s: a pass failed (%s: %s); the next starts in %s s",
                options.install.sid, type(error).__name__, error,
                f"{max(0.0, options.interval - _elapsed(began)):g}",
            )  # fmt: skip
        else:
            tally.passes += 1
            _log.info(
                "sync of install %s: pass %d done: %d stored, %d unchanged, %d skipped, "
                "%d failed",
                options.install.sid, tally.passes, tally.stored, tally.unchanged,
                tally.skipped, tally.failed,
            )  # fmt: skip
        if not options.follow:
            return
        elapsed = _elapsed(began)
        await _clock.CLOCK.sleep(options.interval - elapsed)
        await _within(options.window)


async def _within(window: Window | None) -> None:
    """Return at once inside ``window`` (or without one); else wait for its next start."""
    if window is None:
        return
    said = False
    while not window.contains(now := _clock.CLOCK.now()):
        until = window.next_start(now)
        if not said:  # once per wait, not once per wake-up
            _log.info("outside the window %s: waiting until %s", window, until.isoformat())
            said = True
        await _clock.CLOCK.sleep((until - now).total_seconds())


def passing(error: BaseException) -> bool:
    """Whether a follower goes on after a pass that ``error`` ended: an answer of the
    API's that the next pass may not meet (a server failure or a rate limit left after
    the retries, a lost connection or timeout, a page that did not read or a list that
    changed under the reader). The rest ends the run: a token that no longer works,
    a refused request, the store failing (its lock lost included), a bug."""
    transient = (ServerError, RateLimitError, TransportError, DecodeError)
    return isinstance(error, transient) and not is_fatal(error)


def _elapsed(began: datetime) -> float:
    return (_clock.CLOCK.now() - began).total_seconds()


def _said(summary: SyncSummary) -> str:
    return (
        f"{summary.stored} stored, {summary.unchanged} unchanged, {summary.skipped} skipped, "
        f"{summary.failed} failed, {summary.requests} requests, {summary.passes} passes"
    )
