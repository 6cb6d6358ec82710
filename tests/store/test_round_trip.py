"""Saving real sessions and reading them back: rows, wire JSON, versions, counts, runs."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import anyio
import attrs
import pytest

import smarterproctoring_async as sp

from ._sql import query


async def saved(store: sp.Store, results: list[sp.SessionResult], version: str = "v1") -> int:
    install = results[0].ref.install_sid if results[0].ref else ""
    run_id = await store.start_run(install, shard=None, options={"only_terminal": True})
    for result in results:
        await store.save(result, version=version, run_id=run_id)
    return run_id


async def test_saved_sessions_read_back_exactly(
    store: sp.Store, results: list[sp.SessionResult]
) -> None:
    run_id = await saved(store, results)
    install = results[0].ref.install_sid  # type: ignore[union-attr]

    sessions = [row async for row in store.rows("sessions", install_sid=install, batch=5)]
    assert [row["session_sid"] for row in sessions] == sorted(r.ref.session_sid for r in results)  # type: ignore[union-attr]
    by_sid = {r.ref.session_sid: r for r in results}  # type: ignore[union-attr]
    for row in sessions:
        result = by_sid[row["session_sid"]]
        assert result.session is not None and result.ref is not None
        assert json.loads(row["wire"]) == result.session.to_dict()
        assert row["wire"].isascii()
        assert (row["install_sid"], row["exam_sid"]) == (
            result.ref.install_sid,
            result.ref.exam_sid,
        )
        assert row["status"] == result.session.status
        assert row["appointment_date"] == result.session.appointment_date
        assert row["appointment_date"] is None or row["appointment_date"].tzinfo is not None
        assert row["review_required"] == result.session.review_required
        assert row["session_report_count"] == result.session.session_report_count
        assert row["details_from_report"] is False and row["plan"] == "session"
        assert row["run_id"] == run_id
        assert row["stored_at"].utcoffset().total_seconds() == 0

    events = [row async for row in store.rows("events", batch=7)]
    expected_events = sorted(
        (r.ref.session_sid, i, e.to_dict())  # type: ignore[union-attr]
        for r in results
        for i, e in enumerate(r.events or ())
    )
    assert len(events) == len(expected_events) > 20
    got = [(row["session_sid"], row["position"], json.loads(row["wire"])) for row in events]
    assert sorted(got, key=lambda t: (t[0], t[1])) == got  # key order
    assert [(s, p) for s, p, _ in got] == [(s, p) for s, p, _ in expected_events]
    assert [w for _, _, w in got] == [w for _, _, w in expected_events]
    first = next(r for r in results if r.events)
    row = next(row for row in events if row["session_sid"] == first.ref.session_sid)  # type: ignore[union-attr]
    assert first.events is not None
    assert (row["sid"], row["subject"], row["event_time"]) == (
        first.events[0].sid,
        first.events[0].subject,
        first.events[0].event_time,
    )

    notes = [row async for row in store.rows("annotations")]
    expected_notes = [
        a.to_dict()
        for r in sorted(results, key=lambda r: r.ref.session_sid)  # type: ignore[union-attr]
        for a in r.annotations or ()
    ]
    assert [json.loads(row["wire"]) for row in notes] == expected_notes
    assert all(row["install_sid"] == install for row in notes)

    assert await store.counts() == {
        "sessions": len(results),
        "events": len(expected_events),
        "annotations": len(expected_notes),
        "runs": 1,
    }
    assert await store.counts("AI" + "0" * 32) == dict.fromkeys(
        ("sessions", "events", "annotations", "runs"), 0
    )
    assert await store.versions(install) == {r.ref.session_sid: "v1" for r in results}  # type: ignore[union-attr]
    assert await store.versions("AI" + "0" * 32) == {}


async def test_a_session_saved_again_replaces_its_rows(
    store: sp.Store, results: list[sp.SessionResult]
) -> None:
    busiest = max(results, key=lambda r: len(r.events or ()))
    assert busiest.events is not None and len(busiest.events) >= 3
    run_id = await saved(store, [busiest])
    fewer = attrs.evolve(busiest, events=busiest.events[1:2], annotations=())
    await store.save(fewer, version="v2", run_id=run_id)

    events = [row async for row in store.rows("events")]
    assert [json.loads(row["wire"]) for row in events] == [busiest.events[1].to_dict()]
    assert [row["position"] for row in events] == [0]
    assert [row async for row in store.rows("annotations")] == []
    assert await store.versions(busiest.ref.install_sid) == {busiest.ref.session_sid: "v2"}  # type: ignore[union-attr]
    assert (await store.counts())["sessions"] == 1


async def test_the_run_log(store: sp.Store, store_url: str) -> None:
    before = datetime.now(timezone.utc)
    first = await store.start_run("AIone", shard=(2, 4), options={"window": None, "n": [1, 2]})
    second = await store.start_run("AItwo", shard=None, options={})
    assert second > first
    await store.finish_run(
        first, status="stopped", stored=3, unchanged=4, skipped=5, failed=1, events=60,
        annotations=7, requests=80, errors=["ES1: ServerError: 500 \x00 \ud800"],
    )  # fmt: skip
    runs = [row async for row in store.rows("runs")]
    assert [row["id"] for row in runs] == [first, second]
    done = runs[0]
    assert (done["install_sid"], done["shard"], done["status"]) == ("AIone", "2/4", "stopped")
    assert (done["stored"], done["unchanged"], done["skipped"], done["failed"]) == (3, 4, 5, 1)
    assert (done["events"], done["annotations"], done["requests"]) == (60, 7, 80)
    assert json.loads(done["errors"]) == ["ES1: ServerError: 500 \x00 \ud800"]
    assert json.loads(done["options"]) == {"window": None, "n": [1, 2]}
    assert before <= done["started"] <= done["finished"] <= datetime.now(timezone.utc)
    assert runs[1]["status"] == "running" and runs[1]["finished"] is None
    assert [row async for row in store.rows("runs", install_sid="AItwo")] == [runs[1]]
    assert query(store_url, "SELECT count(*) FROM runs WHERE status = 'running'") == [(1,)]


async def test_finishing_an_unknown_run_is_an_error(store: sp.Store) -> None:
    with pytest.raises(sp.StoreError, match="no run 999"):
        await store.finish_run(
            999, status="ok", stored=0, unchanged=0, skipped=0, failed=0, events=0,
            annotations=0, requests=0, errors=[],
        )  # fmt: skip


async def test_only_complete_results_are_stored(
    store: sp.Store, results: list[sp.SessionResult]
) -> None:
    good = results[0]
    refused = [
        attrs.evolve(good, error=sp.ServerError(500, None, "boom"), session=None),
        attrs.evolve(good, skipped=True),
        attrs.evolve(good, ref=None),
        attrs.evolve(good, session=None),
        attrs.evolve(good, events=None),
        attrs.evolve(good, annotations=None),
    ]
    for result in refused:
        try:
            await store.save(result, version="v", run_id=1)
        except ValueError:
            pass
        else:
            raise AssertionError(f"stored {result!r}")
    assert (await store.counts())["sessions"] == 0


async def test_a_run_is_finished_even_by_a_cancelled_task(store: sp.Store) -> None:
    run_id = await store.start_run("AI", shard=None, options={})
    with anyio.CancelScope() as scope:
        scope.cancel()  # as when a sync is stopped: the cancel is already pending
        await store.finish_run(
            run_id, status="stopped", stored=1, unchanged=0, skipped=0, failed=0,
            events=0, annotations=0, requests=1, errors=[],
        )  # fmt: skip
        await anyio.sleep(1)
    assert scope.cancelled_caught
    [run] = [row async for row in store.rows("runs")]
    assert (run["status"], run["stored"]) == ("stopped", 1)
