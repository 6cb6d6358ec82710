"""The notebook conveniences on the SDK's own objects, against the fake API:
``await paginator.to_dataframe()``, and ``gather_session_results(..., into=list)``
keeping what an interrupted bulk run fetched."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import anyio
import pandas as pd
import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeAPI

from .conftest import MakeClient, handle, raised


async def test_paginator_to_dataframe(fake: FakeAPI, make_client: MakeClient) -> None:
    client = make_client()
    session = max(fake.data.sessions, key=lambda s: len(s.events))
    frame = await handle(client, session).events().to_dataframe()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame["sid"]) == [e["sid"] for e in session.events]
    assert "event_type_sid" in frame.columns and "eventTypeSid" not in frame.columns
    assert str(frame["created_date"].dtype) == "datetime64[ns, UTC]"


async def test_an_empty_list_still_has_the_model_columns(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    client = make_client()
    empty = fake.data.add_session(status="Closed")
    frame = await handle(client, empty).events().to_dataframe()
    assert len(frame) == 0
    assert {"sid", "subject", "created_date"} <= set(frame.columns)
    assert str(frame["created_date"].dtype) == "datetime64[ns, UTC]"


async def test_paginator_to_dataframe_without_pandas_sends_no_request(
    monkeypatch: pytest.MonkeyPatch, fake: FakeAPI, make_client: MakeClient
) -> None:
    client = make_client()
    monkeypatch.setitem(sys.modules, "pandas", None)
    before = fake.requests.total
    with pytest.raises(ImportError, match=r"pip install 'smarterproctoring-async\[pandas\]'"):
        await handle(client, fake.data.sessions[0]).events().to_dataframe()
    assert fake.requests.total == before


# Run in a fresh interpreter, where pandas is not imported yet.
FIRST_FRAME = """
import asyncio, json, sys, time
import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeAPI, generate_data

async def main():
    async with FakeAPI(generate_data(seed=3, exams=1, sessions_per_exam=2)) as fake:
        async with sp.Client(fake.token, base_url=fake.base_url, rate_limit=None) as client:
            install = client.install(fake.data.installs[0]["sid"])
            before = "pandas" in sys.modules
            longest = 0.0
            async def tick():
                nonlocal longest
                last = time.perf_counter()
                while True:
                    await asyncio.sleep(0.005)
                    now = time.perf_counter()
                    longest, last = max(longest, now - last), now
            ticker = asyncio.create_task(tick())
            await asyncio.sleep(0.05)
            started = time.perf_counter()
            frame = await install.reports.appointments().to_dataframe()
            took = time.perf_counter() - started
            ticker.cancel()
            print(json.dumps({"before": before, "rows": len(frame), "longest": longest,
                              "took": took}))

asyncio.run(main())
"""


def test_the_first_frame_imports_pandas_off_the_event_loop() -> None:
    done = subprocess.run(
        [sys.executable, "-c", FIRST_FRAME], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["before"] is False and found["rows"] == 2
    # On the loop, the import would stall it for nearly the whole call (longest/took
    # about 0.95). In a thread the loop keeps ticking, though a cold dlopen of numpy's
    # libraries holds the GIL for a while (0.4 s of 1.4 s seen on a loaded machine), so
    # the bound is relative to the call, not a fixed time.
    assert found["longest"] < found["took"] / 2, found


def refs_of(fake: FakeAPI) -> list[sp.SessionRef]:
    return [sp.SessionRef(s.install_sid, s.exam_sid, s.sid) for s in fake.data.sessions]


async def test_gather_into_holds_every_result(fake: FakeAPI, make_client: MakeClient) -> None:
    client = make_client()
    kept: list[sp.SessionResult] = []
    got = await client.gather_session_results(refs_of(fake), into=kept)
    assert len(kept) == len(got) == len(fake.data.sessions)
    assert sorted(r.ref.session_sid for r in kept if r.ref) == sorted(
        r.ref.session_sid for r in got if r.ref
    )


async def test_a_cancelled_gather_keeps_what_it_fetched(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    client = make_client(max_concurrency=2)
    fake.latency = 0.02
    refs = refs_of(fake)
    kept: list[sp.SessionResult] = []
    some = asyncio.Event()

    def progress(done: int, total: int | None, failed: int) -> None:
        if done >= 3:
            some.set()

    run = asyncio.create_task(
        client.gather_session_results(refs, into=kept, concurrency=2, on_progress=progress)
    )
    await asyncio.wait_for(some.wait(), timeout=20)
    run.cancel()
    with pytest.raises(asyncio.CancelledError) as cancelled:
        await run
    # One line saying what stopped, not anyio's "Cancelled via cancel scope … by <Task …>".
    assert str(raised(cancelled.value)) == "the bulk run was cancelled (interrupted or timed out)"
    assert 3 <= len(kept) < len(refs)
    by_sid = {s.sid: s for s in fake.data.sessions}
    for result in kept:  # complete results only, each once
        assert result.ok and result.ref is not None and result.session is not None
        wanted = by_sid[result.ref.session_sid]
        assert [e.sid for e in result.events or ()] == [e["sid"] for e in wanted.events]
        assert [a.sid for a in result.annotations or ()] == [a["sid"] for a in wanted.annotations]
    assert len({r.ref.session_sid for r in kept if r.ref}) == len(kept)


async def test_timeouts_around_a_bulk_run_still_end_it(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    client = make_client(max_concurrency=2)
    fake.latency = 0.02
    refs = refs_of(fake)
    with anyio.move_on_after(0.1) as scope:  # anyio finds its own cancellation
        await client.gather_session_results(refs, concurrency=2)
    assert scope.cancelled_caught
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(client.gather_session_results(refs, concurrency=2), 0.1)
    run = asyncio.create_task(client.gather_session_results(refs, concurrency=2))
    await asyncio.sleep(0.1)
    run.cancel("the caller's own reason")
    with pytest.raises(asyncio.CancelledError) as cancelled:
        await run
    assert str(raised(cancelled.value)) == "the caller's own reason"


async def test_a_cancelled_frame_says_so_in_one_line(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    client = make_client()
    fake.latency = 0.05
    install = client.install(fake.data.installs[0]["sid"])
    await install.reports.appointments(status="Closed").to_dataframe()  # pandas imported
    run = asyncio.create_task(install.reports.session_events().to_dataframe())
    await asyncio.sleep(0.02)
    run.cancel()
    with pytest.raises(asyncio.CancelledError) as cancelled:
        await run
    assert str(raised(cancelled.value)).startswith("to_dataframe() was cancelled")


async def test_a_cancelled_collect_says_so_in_one_line(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    client = make_client(page_size=5)
    fake.latency = 0.05
    run = asyncio.create_task(
        client.install(fake.data.installs[0]["sid"]).reports.session_events().collect()
    )
    await asyncio.sleep(0.12)  # a page or two in, more on their way
    run.cancel()
    with pytest.raises(asyncio.CancelledError) as cancelled:
        await run
    assert str(raised(cancelled.value)) == "collect() was cancelled (interrupted or timed out)"
    assert raised(cancelled.value).__suppress_context__  # no chain of aiohttp frames shown


async def test_a_timeout_around_collect_still_ends_it(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    client = make_client(page_size=5)
    fake.latency = 0.05
    events = client.install(fake.data.installs[0]["sid"]).reports.session_events()
    with anyio.move_on_after(0.12) as scope:  # anyio finds its own cancellation
        await events.collect()
    assert scope.cancelled_caught
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(events.collect(), 0.12)
