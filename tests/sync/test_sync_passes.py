"""client.sync into a real store (SQLite and PostgreSQL) against the fake over loopback:
what a first sync stores, what a second costs, what a later one picks up."""

from __future__ import annotations

import json
import logging
import time

import anyio
import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeAPI, Fault

from ..conftest import MakeClient
from .conftest import (
    TERMINAL,
    assert_store_holds,
    install_of,
    last_run,
    stored_sids,
    table,
    terminal_sids,
)


def _now_ms() -> int:
    return int(time.time() * 1000)


async def test_a_first_sync_stores_exactly_the_terminal_sessions_whole(
    fake: FakeAPI, make_client: MakeClient, store: sp.Store
) -> None:
    client = make_client()
    seen: list[tuple[int, int | None, int]] = []
    summary = await client.sync(install_of(fake), store, on_progress=lambda *a: seen.append(a))
    wanted = terminal_sids(fake)
    assert 0 < len(wanted) < len(fake.data.sessions)  # some are skipped: a real choice
    await assert_store_holds(store, fake, wanted)
    others = len(fake.data.sessions) - len(wanted)
    assert (summary.stored, summary.skipped, summary.failed) == (len(wanted), others, 0)
    assert summary.unchanged == 0 and summary.errors == () and summary.passes == 1
    assert summary.events == sum(len(fake.data.session(s).events) for s in wanted)
    assert summary.annotations == sum(len(fake.data.session(s).annotations) for s in wanted)
    assert summary.requests == fake.requests.total == client.stats.requests
    assert summary.started <= summary.finished and summary.started.tzinfo is not None
    assert seen[-1] == (len(fake.data.sessions), len(fake.data.sessions), 0)
    run = await last_run(store)
    assert run["id"] == summary.run_id and run["status"] == "ok"
    assert (run["stored"], run["skipped"], run["requests"]) == (
        summary.stored,
        summary.skipped,
        summary.requests,
    )
    versions = await store.versions(install_of(fake))
    assert set(versions) == wanted and all(len(v) == 64 for v in versions.values())


async def test_a_second_sync_with_nothing_new_reads_the_report_only(
    fake: FakeAPI, make_client: MakeClient, store: sp.Store
) -> None:
    client = make_client()
    first = await client.sync(install_of(fake), store)
    # A session added to an exam changes the exam's counts in every sibling's row
    # (the nested ``exam`` object): that alone must not make the siblings look changed.
    fake.data.add_session(exam_sid=fake.data.sessions[0].exam_sid, status="Scheduled")
    before = fake.requests.total
    second = await client.sync(install_of(fake), store)
    assert fake.requests.total - before == second.requests <= 3
    assert {r.path.rsplit("/", 1)[-1] for r in fake.requests[-second.requests :]} == {
        "appointments"
    }
    assert (second.stored, second.failed) == (0, 0)
    assert second.unchanged == first.stored
    assert second.run_id != first.run_id
    await assert_store_holds(store, fake, terminal_sids(fake))


async def test_a_session_turning_terminal_and_a_late_review_are_picked_up(
    fake: FakeAPI, make_client: MakeClient, store: sp.Store
) -> None:
    client = make_client()
    closed = next(s for s in fake.data.sessions if s.status == "Closed")
    fake.data.set_review(closed.sid, "pending", _now_ms())
    running = next(s for s in fake.data.sessions if s.status not in TERMINAL)
    await client.sync(install_of(fake), store)
    assert running.sid not in await stored_sids(store)
    assert closed.sid in await stored_sids(store)
    # Later: one session closes; the proctor completes another's review with a note.
    fake.data.set_status(running.sid, "Closed", _now_ms())
    note = fake.data.add_annotation(closed, title="late note", status="reviewed")
    fake.data.set_review(closed.sid, "complete", _now_ms())
    again = await client.sync(install_of(fake), store)
    assert again.stored == 2 and again.failed == 0
    await assert_store_holds(store, fake, terminal_sids(fake))
    notes = [json.loads(r["wire"]) for r in await table(store, "annotations")]
    assert note in notes
    row = next(r for r in await table(store, "sessions") if r["session_sid"] == closed.sid)
    assert row["reviewed"] is True


async def test_reviewed_only_waits_for_the_review(
    fake: FakeAPI, make_client: MakeClient, store: sp.Store
) -> None:
    closed = [s for s in fake.data.sessions if s.status in TERMINAL]
    fake.data.set_review(closed[0].sid, "pending", _now_ms())
    summary = await make_client().sync(install_of(fake), store, only_terminal="reviewed")
    reviewed = {s.sid for s in closed if s.review_status != "pending"}
    assert closed[0].sid not in reviewed
    await assert_store_holds(store, fake, reviewed)
    assert summary.skipped == len(fake.data.sessions) - len(reviewed)


async def test_a_failed_session_is_listed_not_stored_and_retried(
    fake: FakeAPI, make_client: MakeClient, store: sp.Store
) -> None:
    fake.add_fault(Fault("status", route="/annotations", status=404, times=1))
    client = make_client()
    first = await client.sync(install_of(fake), store, concurrency=1)
    assert first.failed == 1 and len(first.errors) == 1
    line = first.errors[0]
    sids, kind, _ = line.split(": ", 2)
    assert kind == "NotFoundError" and fake.token not in line
    failed_sid = sids.split("/")[2]
    assert failed_sid in terminal_sids(fake)
    await assert_store_holds(store, fake, terminal_sids(fake) - {failed_sid})
    run = await last_run(store)
    assert run["failed"] == 1 and run["status"] == "ok"
    assert json.loads(run["errors"]) == [line]
    second = await client.sync(install_of(fake), store)
    assert (second.stored, second.failed) == (1, 0)
    await assert_store_holds(store, fake, terminal_sids(fake))


async def test_429_answers_are_counted_in_the_summary_and_the_run_log(
    fake: FakeAPI, make_client: MakeClient, store: sp.Store
) -> None:
    fake.add_fault(Fault("status", route="/annotations", status=429, times=2))
    summary = await make_client().sync(install_of(fake), store)
    assert summary.rate_limited == 2 and summary.failed == 0
    assert (await last_run(store))["rate_limited"] == 2
    await assert_store_holds(store, fake, terminal_sids(fake))
    again = await make_client().sync(install_of(fake), store)
    assert again.rate_limited == 0 and (await last_run(store))["rate_limited"] == 0


async def test_refetch_takes_what_the_report_row_does_not_show(
    fake: FakeAPI, make_client: MakeClient, store: sp.Store
) -> None:
    client = make_client()
    first = await client.sync(install_of(fake), store)
    closed = next(s for s in fake.data.sessions if s.status == "Closed")
    # An annotation alone, the session's row unchanged: a plain sync cannot see it.
    note = fake.data.add_annotation(closed, title="no row change", status="reviewed")
    plain = await client.sync(install_of(fake), store)
    assert plain.stored == 0 and plain.unchanged == first.stored
    assert note not in [json.loads(r["wire"]) for r in await table(store, "annotations")]
    again = await client.sync(install_of(fake), store, refetch=True)
    assert again.stored == first.stored and again.unchanged == 0
    assert note in [json.loads(r["wire"]) for r in await table(store, "annotations")]
    await assert_store_holds(store, fake, terminal_sids(fake))


async def _reopened_after_a_sync(
    fake: FakeAPI, client: sp.Client, store: sp.Store, caplog: pytest.LogCaptureFixture
) -> str:
    """Sync, then move one stored Closed session back to Scheduled; its SID."""
    await client.sync(install_of(fake), store)
    reopened = next(s for s in fake.data.sessions if s.status == "Closed")
    fake.data.set_status(reopened.sid, "Scheduled", _now_ms())  # reopened on the server
    caplog.set_level(logging.WARNING, "smarterproctoring_async")
    return reopened.sid


def _said_of(sid: str, caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if sid in r.getMessage()]


async def test_a_stored_session_shown_as_not_terminal_again_is_kept_and_said_once(
    fake: FakeAPI, make_client: MakeClient, store: sp.Store, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client()
    reopened = await _reopened_after_a_sync(fake, client, store, caplog)
    kept = next(r for r in await table(store, "sessions") if r["session_sid"] == reopened)

    def reports() -> int:
        return sum(1 for r in fake.requests if r.path.endswith("/reports/appointments"))

    async def follow() -> None:
        await client.sync(install_of(fake), store, follow=True, interval=0.05)

    before = reports()
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(follow)
        for _ in range(500):  # up to 10 s for three passes of the one run
            if reports() >= before + 3:
                break
            await anyio.sleep(0.02)
        tasks.cancel_scope.cancel()
    assert reports() >= before + 3
    said = _said_of(reopened, caplog)
    assert len(said) == 1 and "kept as they were" in said[0], said  # once a run
    assert reopened in await stored_sids(store)  # the store never deletes
    now = next(r for r in await table(store, "sessions") if r["session_sid"] == reopened)
    assert now == kept


async def test_a_refetch_also_says_a_stored_session_is_not_terminal_again(
    fake: FakeAPI, make_client: MakeClient, store: sp.Store, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client()
    reopened = await _reopened_after_a_sync(fake, client, store, caplog)
    await client.sync(install_of(fake), store, refetch=True)  # one pass, refetching
    said = _said_of(reopened, caplog)
    assert len(said) == 1 and "kept as they were" in said[0], said
