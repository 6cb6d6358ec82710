"""Fatal errors end every bulk method as themselves; a refusal stays with its item.

The bulk methods run their work in nested task groups; an error raised in one of them
must not come out wrapped in an exception group (nor be filed as one session's error)
and a ``PermissionDeniedError`` must not end a run. The resource layer (``Session``,
``Exam``, ``Reports``) is patched here to fail on chosen items, so these tests hold
whatever the transport decides a 401 means; the wire-level tests are
``tests/hostile/test_permissions.py``.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any, Literal, get_args

import anyio
import pytest
from anyio.lowlevel import checkpoint

import smarterproctoring_async as sp
from smarterproctoring_async.resources import Exam, Reports, Session
from smarterproctoring_async.resources._failures import Tasks, unwrap
from smarterproctoring_async.testing import FakeAPI, Fault, generate_data

from .conftest import FAST_RETRY

if sys.version_info >= (3, 11):
    from builtins import BaseExceptionGroup, ExceptionGroup
else:  # the backport anyio depends on
    from exceptiongroup import BaseExceptionGroup, ExceptionGroup

Method = Literal[
    "gather_session", "stream_session", "gather_exam", "stream_exam", "gather_install",
    "stream_install",
]  # fmt: skip
METHODS: list[Method] = list(get_args(Method))
EXAM_METHODS: list[Method] = ["gather_exam", "stream_exam", "gather_install", "stream_install"]
MESSAGE = "You are unauthorized to access or perform this action on this resource."


def refusal(kind: type[sp.APIError], path: str = "/v1/installs/x") -> sp.APIError:
    """What the transport raises for a 401 on ``path``."""
    return kind(401, "5000", MESSAGE, method="GET", path=path)


@pytest.fixture
async def fake() -> AsyncIterator[FakeAPI]:
    """Four exams of ten sessions, a few events and annotations each."""
    data = generate_data(seed=5, exams=4, sessions_per_exam=10, events=(1, 12), annotations=(1, 3))
    async with FakeAPI(data) as api:
        yield api


def client_of(fake: FakeAPI) -> sp.Client:
    return sp.Client(fake.token, base_url=fake.base_url, rate_limit=None, retry=FAST_RETRY)


def exams_of(fake: FakeAPI) -> list[str]:
    """The exam SIDs in the order of their first session."""
    return list(dict.fromkeys(s.exam_sid for s in fake.data.sessions))


async def run(
    client: sp.Client, fake: FakeAPI, method: Method, into: list[sp.SessionResult], **options: Any
) -> list[sp.SessionResult]:
    """Every session of ``fake`` through one bulk method; ``into`` gets each result too."""
    install = fake.data.sessions[0].install_sid
    refs = [sp.SessionRef(s.install_sid, s.exam_sid, s.sid) for s in fake.data.sessions]
    exams = [client.install(install).exam(ex) for ex in exams_of(fake)]
    kind, _, level = method.partition("_")
    source = {"session": refs, "exam": exams, "install": install}[level]
    if kind == "gather":
        gather = getattr(client, f"gather_{level}_results")
        return list(await gather(source, into=into, **options))
    async with getattr(client, f"stream_{level}_results")(source, **options) as results:
        async for result in results:
            into.append(result)
    return into


# ------------------------------------------------------------------ refusing resources


class _Refused:
    """A paginator whose every read fails with ``error``, a turn of the loop later (as a
    request would: others can start meanwhile)."""

    def __init__(self, error: Exception) -> None:
        self._error = error

    async def collect(self) -> list[Any]:
        await checkpoint()
        raise self._error

    def pages(self) -> AsyncIterator[Any]:
        return self._pages()

    __aiter__ = pages

    async def _pages(self) -> AsyncIterator[Any]:
        await checkpoint()
        raise self._error
        yield  # an async generator, as the real pages are


Stage = Literal["details", "events", "annotations", "exam-list", "exam-report"]


class Refuse:
    """Patches the resources: the chosen reads of the chosen exams (or sessions) fail.

    ``calls`` counts every read of a refused exam's resources (refused or not);
    ``reads`` counts every session read of the run, whatever its exam.
    """

    def __init__(
        self,
        monkeypatch: pytest.MonkeyPatch,
        make: Callable[[], Exception],
        stages: set[Stage],
        *,
        exams: set[str] = frozenset(),  # type: ignore[assignment]
        sessions: set[str] = frozenset(),  # type: ignore[assignment]
    ) -> None:
        self.make, self.stages, self.exams, self.sessions = make, stages, exams, sessions
        self.calls: Counter[str] = Counter()
        self.reads = 0
        for name, stage in (("get", "details"), ("events", "events"),
                            ("annotations", "annotations")):  # fmt: skip
            monkeypatch.setattr(Session, name, self._session(getattr(Session, name), stage))
        monkeypatch.setattr(Exam, "events", self._exam_list(Exam.events))
        monkeypatch.setattr(Reports, "appointments", self._report(Reports.appointments))

    def _hit(self, stage: Stage, exam: str, session: str | None = None) -> bool:
        mine = exam in self.exams or (session is not None and session in self.sessions)
        if mine:
            self.calls[stage] += 1
        return mine and stage in self.stages

    def _session(self, original: Any, stage: Stage) -> Any:
        refuse = self

        if stage == "details":

            async def get(self: Session) -> Any:
                refuse.reads += 1
                await checkpoint()  # a request takes a turn of the loop at least
                if refuse._hit(stage, self.ref.exam_sid, self.ref.session_sid):
                    raise refuse.make()
                return await original(self)

            return get

        def listing(self: Session, **filters: Any) -> Any:
            refuse.reads += 1
            if refuse._hit(stage, self.ref.exam_sid, self.ref.session_sid):
                return _Refused(refuse.make())
            return original(self, **filters)

        return listing

    def _exam_list(self, original: Any) -> Any:
        def events(exam: Exam, **filters: Any) -> Any:
            if self._hit("exam-list", exam.sid):
                return _Refused(self.make())
            return original(exam, **filters)

        return events

    def _report(self, original: Any) -> Any:
        def appointments(reports: Reports, **filters: Any) -> Any:
            exam = filters.get("exam_sid")
            if exam is not None and self._hit("exam-report", exam):
                return _Refused(self.make())
            return original(reports, **filters)

        return appointments


# ------------------------------------------------------------------ unwrap and Tasks


def test_unwrap_picks_the_fatal_error_out_of_nested_groups() -> None:
    fatal = refusal(sp.AuthenticationError)
    denied = refusal(sp.PermissionDeniedError)
    nested = ExceptionGroup("outer", [denied, ExceptionGroup("inner", [ValueError(), fatal])])
    assert unwrap(nested) is fatal
    paused = sp.RateLimitError(429, None, "slow down")
    paused.pause_exceeded = True
    assert unwrap(ExceptionGroup("g", [denied, paused])) is paused


def test_unwrap_keeps_a_plain_error_and_a_group_holding_a_bug() -> None:
    denied = refusal(sp.PermissionDeniedError)
    missing = sp.NotFoundError(404, "RESOURCENOTFOUND", "no session")
    assert unwrap(denied) is denied
    assert unwrap(ExceptionGroup("g", [ExceptionGroup("h", [missing]), denied])) is missing
    bug = ExceptionGroup("g", [missing, KeyError("x")])
    assert unwrap(bug) is bug


async def test_tasks_raise_the_fatal_failure_itself_and_cancel_the_others() -> None:
    fatal = refusal(sp.AuthenticationError)
    finished: list[str] = []

    async def fails(error: Exception) -> None:
        raise error

    async def slow() -> None:
        await anyio.sleep(10)
        finished.append("slow")

    async def three() -> None:
        async with Tasks() as tasks:
            tasks.start_soon(slow)
            # Both fail before any checkpoint: the fatal one wins though it came second.
            tasks.start_soon(fails, refusal(sp.PermissionDeniedError))
            tasks.start_soon(fails, fatal)

    with anyio.fail_after(2), pytest.raises(sp.APIError) as caught:
        await three()
    assert caught.value is fatal and caught.value.__context__ is None
    assert finished == []


async def test_tasks_raise_a_confined_failure_itself() -> None:
    denied = refusal(sp.PermissionDeniedError)

    async def fails() -> None:
        await checkpoint()
        raise denied

    async def two() -> None:
        async with Tasks() as tasks:
            tasks.start_soon(fails)
            tasks.start_soon(anyio.sleep, 10)

    with anyio.fail_after(2), pytest.raises(sp.PermissionDeniedError) as caught:
        await two()
    assert caught.value is denied


# ------------------------------------------------------------------ fatal: every method


FATAL_CASES: list[tuple[Method, Stage, dict[str, Any]]] = [
    *[(m, "annotations", {}) for m in METHODS],
    *[(m, "events", {"plan": "session"}) for m in EXAM_METHODS],
    ("gather_session", "events", {}),
    ("stream_session", "details", {}),
    *[(m, "details", {"full_details": True}) for m in EXAM_METHODS],
    *[(m, "exam-list", {"plan": "exam"}) for m in EXAM_METHODS],
    ("gather_exam", "exam-report", {}),
    ("stream_exam", "exam-report", {}),
]


@pytest.mark.parametrize(
    ("method", "stage", "options"),
    FATAL_CASES,
    ids=[f"{m}-{s}-{'-'.join(map(str, o.values())) or 'default'}" for m, s, o in FATAL_CASES],
)
async def test_a_fatal_error_anywhere_ends_the_run_as_itself(
    fake: FakeAPI, monkeypatch: pytest.MonkeyPatch, method: Method, stage: Stage, options: Any
) -> None:
    first = exams_of(fake)[0]
    options = {"only_terminal": False, "concurrency": 2, **options}
    refuse = Refuse(monkeypatch, lambda: refusal(sp.AuthenticationError), {stage}, exams={first})
    into: list[sp.SessionResult] = []
    async with client_of(fake) as client:
        with anyio.fail_after(10), pytest.raises(Exception) as caught:  # noqa: PT011
            await run(client, fake, method, into, **options)
        assert type(caught.value) is sp.AuthenticationError, repr(caught.value)
        assert caught.value.__context__ is None, repr(caught.value.__context__)
        reads = refuse.reads
        await anyio.sleep(0.2)
        assert refuse.reads == reads, "the run went on after raising"
    assert not [r for r in into if isinstance(r.error, sp.AuthenticationError)]
    assert not [r for r in into if isinstance(r.error, BaseExceptionGroup)]
    # The first exam failed: the run stopped long before the 40 sessions of four exams.
    assert refuse.reads < len(fake.data.sessions) // 2, refuse.reads


async def test_a_token_refused_over_http_ends_every_bulk_method(fake: FakeAPI) -> None:
    # Annotations answer 401 and so does /v1/check: fatal, whether or not the client
    # asks /v1/check before it says so.
    fake.add_fault(Fault("status", route="/annotations", status=401, times=None))
    fake.add_fault(Fault("status", route="/check", status=401, times=None))
    async with client_of(fake) as client:
        for method in METHODS:
            with anyio.fail_after(10), pytest.raises(Exception) as caught:  # noqa: PT011
                await run(client, fake, method, [], only_terminal=False)
            assert type(caught.value) is sp.AuthenticationError, (method, repr(caught.value))


# ------------------------------------------------------------------ refused: confined


def assert_only(
    results: list[sp.SessionResult], refused: Callable[[sp.SessionResult], bool]
) -> list[sp.SessionResult]:
    """The results ``refused`` selects failed with a PermissionDeniedError; the others
    are complete. The refused ones, returned."""
    bad = [r for r in results if refused(r)]
    for result in results:
        if refused(result):
            assert type(result.error) is sp.PermissionDeniedError, result
        else:
            assert result.ok and not result.skipped, (result, result.error)
            assert result.events is not None and result.session is not None, result
    return bad


SESSION_CASES: list[tuple[Method, dict[str, Any]]] = [
    *[(m, {}) for m in METHODS],
    *[(m, {"plan": "session"}) for m in EXAM_METHODS],
]


@pytest.mark.parametrize(
    ("method", "options"),
    SESSION_CASES,
    ids=[f"{m}-{'-'.join(map(str, o.values())) or 'default'}" for m, o in SESSION_CASES],
)
async def test_a_refused_session_is_its_own_error_and_the_run_goes_on(
    fake: FakeAPI, monkeypatch: pytest.MonkeyPatch, method: Method, options: dict[str, Any]
) -> None:
    victim = fake.data.sessions[3].sid
    Refuse(monkeypatch, lambda: refusal(sp.PermissionDeniedError), {"annotations"},
           sessions={victim})  # fmt: skip
    async with client_of(fake) as client:
        with anyio.fail_after(10):
            results = await run(client, fake, method, [], only_terminal=False, **options)
    assert len(results) == len(fake.data.sessions)
    bad = assert_only(results, lambda r: r.ref is not None and r.ref.session_sid == victim)
    assert len(bad) == 1


COST_CASES = [
    # (annotations, concurrency, most requests of the denied exam)
    (True, 2, 4),  # the list, the annotation lists in flight beside it, one session's events
    (False, 8, 2),  # the list, then one session alone (not 8 at once): it is refused too
]


@pytest.mark.parametrize(("annotations", "concurrency", "most"), COST_CASES)
@pytest.mark.parametrize("method", EXAM_METHODS)
async def test_a_denied_exam_costs_a_few_requests_not_one_per_session(
    fake: FakeAPI, monkeypatch: pytest.MonkeyPatch, method: Method, annotations: bool,
    concurrency: int, most: int,
) -> None:  # fmt: skip
    denied = exams_of(fake)[1]
    stages: set[Stage] = {"details", "events", "annotations", "exam-list"}
    refuse = Refuse(monkeypatch, lambda: refusal(sp.PermissionDeniedError), stages,
                    exams={denied})  # fmt: skip
    async with client_of(fake) as client:
        with anyio.fail_after(10):
            results = await run(client, fake, method, [], only_terminal=False, plan="exam",
                                concurrency=concurrency, annotations=annotations)  # fmt: skip
    assert len(results) == len(fake.data.sessions)
    bad = assert_only(results, lambda r: r.ref is not None and r.ref.exam_sid == denied)
    assert len(bad) == 10
    # Not 1 + 2 x 10: its annotations, and each session's events after the list failed.
    assert sum(refuse.calls[stage] for stage in stages) <= most, refuse.calls


@pytest.mark.parametrize("method", EXAM_METHODS)
async def test_a_refused_exam_list_alone_loses_no_session(
    fake: FakeAPI, monkeypatch: pytest.MonkeyPatch, method: Method
) -> None:
    # A policy naming the sessions but not the exam-level list: each session's own
    # lists are read instead, and every session is complete.
    listed = exams_of(fake)[2]
    refuse = Refuse(monkeypatch, lambda: refusal(sp.PermissionDeniedError), {"exam-list"},
                    exams={listed})  # fmt: skip
    async with client_of(fake) as client:
        with anyio.fail_after(10):
            results = await run(client, fake, method, [], only_terminal=False, plan="exam")
    assert_only(results, lambda r: False)
    assert {r.plan for r in results if r.ref and r.ref.exam_sid == listed} == {"session"}
    assert refuse.calls["exam-list"] == 1 and refuse.calls["events"] == 10


@pytest.mark.parametrize("method", ["gather_exam", "stream_exam"])
async def test_a_refused_exam_report_is_one_result_and_the_others_sync(
    fake: FakeAPI, monkeypatch: pytest.MonkeyPatch, method: Method
) -> None:
    denied = exams_of(fake)[0]
    refuse = Refuse(monkeypatch, lambda: refusal(sp.PermissionDeniedError), {"exam-report"},
                    exams={denied})  # fmt: skip
    async with client_of(fake) as client:
        with anyio.fail_after(10):
            results = await run(client, fake, method, [], only_terminal=False)
    bad = assert_only(results, lambda r: r.ref is None)
    assert len(bad) == 1 and len(results) == 1 + len(fake.data.sessions) - 10
    assert not any(r.ref and r.ref.exam_sid == denied for r in results)
    assert dict(refuse.calls) == {"exam-report": 1}
