"""The notebook conveniences on the SDK's own objects, against the fake API:
``await paginator.to_dataframe()``, and ``gather_session_results(..., into=list)``
keeping what an interrupted bulk run fetched."""

from __future__ import annotations

import asyncio
import sys

import pandas as pd
import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeAPI

from .conftest import MakeClient, handle


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
    with pytest.raises(asyncio.CancelledError):
        await run
    assert 3 <= len(kept) < len(refs)
    by_sid = {s.sid: s for s in fake.data.sessions}
    for result in kept:  # complete results only, each once
        assert result.ok and result.ref is not None and result.session is not None
        wanted = by_sid[result.ref.session_sid]
        assert [e.sid for e in result.events or ()] == [e["sid"] for e in wanted.events]
        assert [a.sid for a in result.annotations or ()] == [a["sid"] for a in wanted.annotations]
    assert len({r.ref.session_sid for r in kept if r.ref}) == len(kept)
