"""Shards, refused options, and a fatal error ending the run."""

from __future__ import annotations

import hashlib
from typing import Any

import anyio
import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeAPI

from ..conftest import MakeClient
from .conftest import assert_store_holds, install_of, last_run, stored_sids, terminal_sids


def test_shard_of_is_the_documented_hash() -> None:
    for sid in ("ES" + "a" * 32, "ESx", "ES0123456789abcdef"):
        digest = hashlib.sha256(sid.encode()).digest()
        assert sp.shard_of(sid, 7) == 1 + int.from_bytes(digest[:8], "big") % 7
    assert {sp.shard_of(f"ES{n}", 3) for n in range(200)} == {1, 2, 3}
    with pytest.raises(sp.InvalidFilterError):
        sp.shard_of("ES1", 0)


async def test_two_shards_at_once_fill_the_store_as_one_sync(
    fake: FakeAPI, make_client: MakeClient, store: sp.Store
) -> None:
    install = install_of(fake)
    summaries: dict[int, sp.SyncSummary] = {}

    async def shard(index: int) -> None:
        summaries[index] = await make_client().sync(install, store, shard=(index, 2))

    # Both at once into one store: different shards do not wait for each other's lock.
    async with anyio.create_task_group() as tasks:
        for index in (1, 2):
            tasks.start_soon(shard, index)
    wanted = terminal_sids(fake)
    await assert_store_holds(store, fake, wanted)
    firsts = {sid for sid in wanted if sp.shard_of(sid, 2) == 1}
    assert 0 < len(firsts) < len(wanted)
    assert summaries[1].stored == len(firsts)
    assert summaries[2].stored == len(wanted) - len(firsts)
    every = len(fake.data.sessions)
    assert sum(s.stored + s.skipped for s in summaries.values()) == every


async def test_one_shard_stores_only_its_sessions(
    fake: FakeAPI, make_client: MakeClient, store: sp.Store
) -> None:
    await make_client().sync(install_of(fake), store, shard=(2, 3))
    wanted = {sid for sid in terminal_sids(fake) if sp.shard_of(sid, 3) == 2}
    assert wanted and await stored_sids(store) == wanted
    run = await last_run(store)
    assert run["shard"] == "2/3"


BAD: list[tuple[dict[str, Any], type[Exception]]] = [
    ({"shard": (0, 2)}, sp.InvalidFilterError),
    ({"shard": (3, 2)}, sp.InvalidFilterError),
    ({"shard": "1/2"}, sp.InvalidFilterError),
    ({"window": "25:00-06:00"}, sp.InvalidFilterError),
    ({"window": "22:00"}, sp.InvalidFilterError),
    ({"window": "22:00-06:00", "tz": "Mars/Olympus"}, sp.InvalidFilterError),
    ({"tz": "Nowhere/Town"}, sp.InvalidFilterError),
    ({"interval": 0}, sp.InvalidFilterError),
    ({"interval": -5.0}, sp.InvalidFilterError),
    ({"interval": float("nan")}, sp.InvalidFilterError),
    ({"lock_wait": -1}, sp.InvalidFilterError),
    ({"only_terminal": False}, sp.InvalidFilterError),
    ({"concurrency": 0}, sp.InvalidFilterError),
    ({"status": "Finished"}, sp.InvalidFilterError),
    ({"on_progress": 3}, TypeError),
    ({"follow": "yes"}, TypeError),
]


@pytest.mark.parametrize(("wrong", "error"), BAD, ids=[str(w) for w, _ in BAD])
async def test_bad_options_are_refused_before_any_request(
    fake: FakeAPI,
    make_client: MakeClient,
    store: sp.Store,
    wrong: dict[str, Any],
    error: type[Exception],
) -> None:
    with pytest.raises(error):
        await make_client().sync(install_of(fake), store, **wrong)
    assert fake.requests.total == 0
    assert [run async for run in store.rows("runs")] == []


async def test_a_store_that_is_not_one_and_a_bad_install_are_refused(
    fake: FakeAPI, make_client: MakeClient, store: sp.Store
) -> None:
    client = make_client()
    with pytest.raises(TypeError, match="Store"):
        await client.sync(install_of(fake), "sqlite:///x.db")  # type: ignore[arg-type]
    with pytest.raises(sp.InvalidSidError):
        await client.sync("not an install", store)
    assert fake.requests.total == 0


async def test_a_revoked_token_ends_the_run_as_failed(
    fake: FakeAPI, make_client: MakeClient, store: sp.Store
) -> None:
    def revoke_after_the_first(done: int, total: int | None, failed: int) -> None:
        if done == 1:
            fake.revoke_token()

    with pytest.raises(sp.AuthenticationError):
        await make_client().sync(
            install_of(fake), store, concurrency=1, on_progress=revoke_after_the_first
        )
    run = await last_run(store)
    assert run["status"] == "failed" and run["finished"] is not None
    kept = await stored_sids(store)
    assert len(kept) == run["stored"] < len(terminal_sids(fake))
    await assert_store_holds(store, fake, kept)  # what was stored is whole


def test_a_row_naming_no_session_is_fetched_by_the_first_shard_only() -> None:
    # Its result is a failure saying what is wrong: counted once over all the shards.
    from smarterproctoring_async.models import Appointment
    from smarterproctoring_async.models._converter import decoder
    from smarterproctoring_async.sync._pass import _wanted
    from smarterproctoring_async.sync._summary import Tally

    row = decoder(Appointment)({"status": "Closed", "examSid": "EX1"})
    takers = [i for i in (1, 2, 3) if _wanted(row, (i, 3), {}, {}, Tally())]
    assert takers == [1]
    assert _wanted(row, None, {}, {}, Tally())
