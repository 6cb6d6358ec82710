"""The per-request shortcuts keep every behaviour of the long way round."""

from __future__ import annotations

import asyncio
import time

import anyio
import pytest

import smarterproctoring_async as sp
from smarterproctoring_async._ratelimit import RateLimiter, admit
from smarterproctoring_async.errors import InvalidSidError, TimeoutError
from smarterproctoring_async.resources._failures import all_of
from smarterproctoring_async.testing import FakeAPI, generate_data

EX = "EX" + "b" * 32
ES = "ES" + "c" * 32


async def test_an_unrated_limiter_still_holds_requests_through_a_pause() -> None:
    limiter = RateLimiter(None)
    slots = asyncio.Semaphore(2)
    limiter.pause(0.2)
    started = time.monotonic()
    waited = await admit(limiter, slots, None, 60.0)
    assert time.monotonic() - started >= 0.18
    assert waited >= 0.18
    slots.release()


async def test_an_unrated_limiter_refuses_a_passed_deadline() -> None:
    with pytest.raises(TimeoutError, match="rate limiter"):
        await admit(RateLimiter(None), asyncio.Semaphore(1), time.monotonic() - 1, 60.0)


async def test_an_unpaused_unrated_limiter_admits_at_once() -> None:
    slots = asyncio.Semaphore(1)
    assert await admit(RateLimiter(None), slots, None, 60.0) == 0.0
    assert slots.locked()  # the caller holds its connection slot


@pytest.mark.parametrize(
    ("install", "exam", "session"),
    [
        (["AI" + "a" * 32], EX, ES),  # not hashable: refused as a SID, not as a key
        ("AI" + "a" * 32, 7, ES),
        ("AI" + "A" * 32, EX, ES),
        ("AI" + "a" * 32, EX, "ES" + "z" * 32),
    ],
)
def test_a_bad_sid_is_refused_when_the_handle_is_made(
    install: object, exam: object, session: object
) -> None:
    client = sp.Client("t", base_url="http://127.0.0.1:9")
    with pytest.raises(InvalidSidError):
        client.session(sp.SessionRef(install, exam, session))  # type: ignore[arg-type]


def test_handles_of_one_exam_share_its_checked_path() -> None:
    client = sp.Client("t", base_url="http://127.0.0.1:9")
    ref = sp.SessionRef("AI" + "a" * 32, EX, ES)
    first = client.session(ref)._details
    assert first.path == f"/v1/installs/{ref.install_sid}/exams/{EX}/sessions/{ES}"
    assert client.session(ref)._details == first
    loose = sp.Client("t", base_url="http://127.0.0.1:9", validate_sids=False)
    odd = loose.session(sp.SessionRef("ai 1", "ex?2", "es#3"))._details
    assert odd.path == "/v1/installs/ai%201/exams/ex%3F2/sessions/es%233"


async def test_a_raising_progress_callback_loses_no_result_of_into() -> None:
    data = generate_data(seed=4, exams=1, sessions_per_exam=6)
    refs = [sp.SessionRef(s.install_sid, s.exam_sid, s.sid) for s in data.sessions]
    kept: list[sp.SessionResult] = []

    def progress(done: int, total: int | None, failed: int) -> None:
        if done == 3:
            raise RuntimeError("the progress bar broke")

    async with FakeAPI(data) as fake:
        client = sp.Client(fake.token, base_url=fake.base_url, rate_limit=None)
        async with client:
            with pytest.raises(RuntimeError, match="progress bar"):
                await client.gather_session_results(
                    refs, concurrency=1, on_progress=progress, into=kept, events=False
                )
    assert [r.ref for r in kept] == refs[:3]


async def test_details_only_results_are_the_details_with_no_lists() -> None:
    data = generate_data(seed=4, exams=2, sessions_per_exam=5, events=(1, 3))
    refs = [sp.SessionRef(s.install_sid, s.exam_sid, s.sid) for s in data.sessions]
    refs.insert(2, sp.SessionRef(refs[0].install_sid, refs[0].exam_sid, "ES" + "0" * 32))
    async with FakeAPI(data) as fake:
        client = sp.Client(fake.token, base_url=fake.base_url, rate_limit=None)
        async with client:
            results = await client.gather_session_results(refs, events=False, annotations=False)
        assert fake.requests.total == len(refs)
    assert [r.ref for r in results] == refs
    assert isinstance(results[2].error, sp.NotFoundError)
    fine = [r for i, r in enumerate(results) if i != 2]
    assert [r.session.to_dict() for r in fine if r.session] == [s.wire for s in data.sessions]
    assert all(r.events is None and r.annotations is None and r.ok for r in fine)


async def test_all_of_raises_the_first_failure_alone_and_ends_the_others() -> None:
    ended: list[str] = []

    async def slow() -> None:
        try:
            await asyncio.sleep(10)
        finally:
            ended.append("slow")

    async def broken() -> None:
        await asyncio.sleep(0.01)
        raise sp.NotFoundError(404, None, "gone")

    with pytest.raises(sp.NotFoundError) as raised:
        await all_of({"slow": slow, "broken": broken})
    assert ended == ["slow"]
    assert raised.value.__context__ is None


async def test_all_of_prefers_a_fatal_failure() -> None:
    async def missing() -> None:
        raise sp.NotFoundError(404, None, "gone")

    async def revoked() -> None:  # fails in the same turn of the loop, after "missing"
        raise sp.AuthenticationError(401, None, "token revoked")

    with pytest.raises(sp.AuthenticationError):
        await all_of({"missing": missing, "revoked": revoked, "other": missing})


async def test_all_of_cancelled_ends_every_call_before_it_returns() -> None:
    ended: list[str] = []

    async def slow(name: str) -> None:
        try:
            await asyncio.sleep(10)
        finally:
            await asyncio.sleep(0.01)  # cleanup that itself awaits
            ended.append(name)

    with anyio.move_on_after(0.05):
        await all_of({"a": lambda: slow("a"), "b": lambda: slow("b")})
    assert sorted(ended) == ["a", "b"]


async def test_all_of_gives_every_result_by_name() -> None:
    async def value(v: int) -> int:
        await asyncio.sleep(0)
        return v

    assert await all_of({"x": lambda: value(1), "y": lambda: value(2)}) == {"x": 1, "y": 2}
