"""Which errors end a bulk run, and concurrent work that fails with one error, never a group.

A task group raises what its tasks raised wrapped in an exception group. Recorded as a
session's ``error`` or tested with ``isinstance``, that group hides a fatal error (a
revoked token would then read as one failed session, and the run go on) and gives the
caller something that is not a :class:`SmarterProctoringError`. :class:`Tasks` catches
each failure inside its task, and :func:`unwrap` picks the error out of a group that
still reaches a boundary.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, cast, overload

import anyio

from ..errors import (
    AuthenticationError,
    ClientStateError,
    RateLimitError,
    SmarterProctoringError,
    raise_alone,
)

__all__ = ["Tasks", "all_of", "is_fatal", "unwrap"]


def is_fatal(error: BaseException) -> bool:
    """Errors that no other session can escape either: stop the whole run.

    A token that no longer works, a closed client, and a server pause longer than
    ``max_retry_after`` (every further request of the limiter would fail the same way).
    A :class:`~smarterproctoring_async.errors.PermissionDeniedError` is not: the token
    works, only that resource is outside its scope.
    """
    if isinstance(error, RateLimitError):
        return error.pause_exceeded
    return isinstance(error, (AuthenticationError, ClientStateError))


@overload
def unwrap(error: Exception) -> Exception: ...
@overload
def unwrap(error: BaseException) -> BaseException: ...
def unwrap(error: BaseException) -> BaseException:
    """The error to act on: ``error`` itself, or what an exception group holds.

    From a group (nested or not): its first fatal error; else, when it holds only
    SDK errors, the first of them. A group holding anything else is returned as it is:
    that is a bug to show whole, not an API failure to file under one session. An
    ``Exception`` gives an ``Exception``: an exception group of them holds only them.
    """
    if not _is_group(error):
        return error
    leaves = list(_leaves(error))
    fatal = next((leaf for leaf in leaves if is_fatal(leaf)), None)
    if fatal is not None:
        return fatal
    if leaves and all(isinstance(leaf, SmarterProctoringError) for leaf in leaves):
        return leaves[0]
    return error


def _is_group(error: BaseException) -> bool:
    # By its face rather than its class: before Python 3.11 the class is the backport's,
    # which the SDK does not import (it is not one of its dependencies).
    return isinstance(getattr(error, "exceptions", None), tuple) and hasattr(error, "subgroup")


def _leaves(error: BaseException) -> Iterator[BaseException]:
    if _is_group(error):
        for inner in cast(Sequence[BaseException], getattr(error, "exceptions", ())):
            yield from _leaves(inner)
    else:
        yield error


class Tasks:
    """``async with Tasks() as tasks: tasks.start_soon(fetch, ...)``: run them at once.

    The first task to fail cancels the others; leaving the block then raises that
    failure itself (a fatal one if any task hit one), never an exception group. The
    block's own code is cancelled too, so a loop starting tasks stops starting them.
    """

    def __init__(self) -> None:
        self._group = anyio.create_task_group()
        self._failures: list[BaseException] = []

    async def __aenter__(self) -> Tasks:
        await self._group.__aenter__()
        return self

    def start_soon(self, call: Callable[..., Awaitable[object]], *args: Any) -> None:
        """Start ``call(*args)`` in a task of its own."""
        self._group.start_soon(self._run, call, args)

    async def _run(self, call: Callable[..., Awaitable[object]], args: tuple[Any, ...]) -> None:
        try:
            await call(*args)
        except Exception as error:
            # Caught here, not by the task group: it is raised as itself, not in a group.
            self._failures.append(unwrap(error))
            self._group.cancel_scope.cancel()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        # True when the block's own code was cancelled by a failing task: not its error.
        suppressed = await self._group.__aexit__(exc_type, exc, traceback)
        if self._failures:
            raise_alone(next((f for f in self._failures if is_fatal(f)), self._failures[0]))
        return bool(suppressed)


async def all_of(calls: Mapping[str, Callable[[], Awaitable[Any]]]) -> dict[str, Any]:
    """Run ``calls`` at once; their results by name, or what :class:`Tasks` raises.

    The first failure cancels the others and is raised itself (a fatal one if any call
    hit one), never a group; nothing started here outlives the call, cancelled or not.
    Plain asyncio tasks: a task group costs about 60 us per session for three fetches
    against 25 (one session's own work is a few hundred), and bulk runs make one per
    session.
    """
    failures: list[BaseException] = []

    def note(task: asyncio.Task[Any]) -> None:
        if not task.cancelled() and task.exception() is not None:
            failures.append(unwrap(task.exception()))  # type: ignore[arg-type]

    tasks = {name: asyncio.ensure_future(call()) for name, call in calls.items()}
    for task in tasks.values():
        task.add_done_callback(note)
    try:
        await asyncio.wait(tasks.values(), return_when=asyncio.FIRST_EXCEPTION)
    finally:
        pending = [task for task in tasks.values() if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            # Shielded: the others' requests end before this returns, even while the
            # caller itself is being cancelled.
            with anyio.CancelScope(shield=True):
                await asyncio.wait(pending)
    if failures:
        raise_alone(next((f for f in failures if is_fatal(f)), failures[0]))
    return {name: task.result() for name, task in tasks.items()}
