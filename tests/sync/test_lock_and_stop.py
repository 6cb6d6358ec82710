"""The store's lock around a sync, and a sync cancelled half-way."""

from __future__ import annotations

import anyio
import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeAPI

from ..conftest import MakeClient
from .conftest import assert_store_holds, install_of, last_run, stored_sids, terminal_sids


async def test_a_second_sync_of_the_install_waits_then_refuses(
    fake: FakeAPI, make_client: MakeClient, store: sp.Store
) -> None:
    fake.latency = 0.05  # the first sync takes a while
    install = install_of(fake)
    started = anyio.Event()
    outcomes: dict[str, object] = {}

    async def first() -> None:
        outcomes["first"] = await make_client().sync(
            install, store, concurrency=2, on_progress=lambda *_: started.set()
        )

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(first)
        await started.wait()
        second = make_client()
        with pytest.raises(sp.StoreBusyError):
            await second.sync(install, store, lock_wait=0.1)
        # Refused before any request of its own; nothing logged as a run either.
        assert second.stats.requests == 0
        outcomes["runs while busy"] = len([r async for r in store.rows("runs")])
    assert isinstance(outcomes["first"], sp.SyncSummary)
    assert outcomes["runs while busy"] == 1
    await assert_store_holds(store, fake, terminal_sids(fake))


async def test_a_cancelled_sync_keeps_whole_sessions_and_logs_the_run_stopped(
    fake: FakeAPI, make_client: MakeClient, store: sp.Store
) -> None:
    install = install_of(fake)
    with anyio.CancelScope() as scope:

        def stop_after_some(done: int, total: int | None, failed: int) -> None:
            if done >= 12:
                scope.cancel()

        await make_client().sync(install, store, concurrency=1, on_progress=stop_after_some)
    assert scope.cancelled_caught
    run = await last_run(store)
    assert run["status"] == "stopped" and run["finished"] is not None
    kept = await stored_sids(store)
    assert len(kept) == run["stored"] < len(terminal_sids(fake))
    await assert_store_holds(store, fake, kept)
    assert set(await store.versions(install)) == kept
    # The next sync completes the store, fetching only what is missing.
    again = await make_client().sync(install, store)
    assert again.unchanged == len(kept) and again.stored == len(terminal_sids(fake)) - len(kept)
    await assert_store_holds(store, fake, terminal_sids(fake))
