"""A session's lists as DataFrames, against a server that is not our fake: the parent
SID columns lead every row and an empty list, and the columns are those of the bulk
results' frames (README: "the same columns as session.events().to_dataframe()")."""

from __future__ import annotations

import anyio
import pytest

from smarterproctoring_async.frames import results_to_dataframes

from ._helpers import connected, ref, session_of
from ._server import AI, EX, MiniAPI, sid

BUSY, QUIET = sid("ES", 801), sid("ES", 802)


@pytest.mark.parametrize("es", [BUSY, QUIET], ids=["events", "none"])
async def test_a_session_list_frame_has_the_bulk_frames_columns(es: str) -> None:
    api = MiniAPI({BUSY: 3, QUIET: 0})
    async with connected(api, max_requests=50) as (_server, client):
        with anyio.fail_after(10):
            listed = await session_of(client, es).events().to_dataframe()
            results = await client.gather_session_results([ref(es)], annotations=False)
    bulk = results_to_dataframes(results).events
    assert list(listed.columns) == list(bulk.columns)
    assert list(listed.columns[:3]) == ["install_sid", "exam_sid", "session_sid"]
    assert len(listed) == api.sessions[es]
    for column, value in zip(listed.columns[:3], (AI, EX, es), strict=True):
        assert (listed[column] == value).all()
        assert str(listed[column].dtype) == str(bulk[column].dtype)
