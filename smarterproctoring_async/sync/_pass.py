"""One pass of a sync: read the report once, fetch what changed, save each result.

The install's appointments report is read once (every page). Its rows are cut down
to this worker's shard, then to the sessions whose version (see ``_versions``) differs
from the one stored: the rest cost nothing. What is left goes, grouped by exam, through
the install plan of the bulk methods (``_exam_plan.exam_work``: exam-level
event lists where cheaper, details from the report rows), and each result is handled
as it arrives: an ok one saved at once (one transaction in the store), a skipped one
(not terminal yet) left for a later pass, a failed one counted and listed.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence

import attrs

from ..models import Appointment, SessionResult
from ..resources._context import Context
from ._exam_level import ref_or_none
from ._exam_plan import ExamRows, exam_work
from ._options import SyncOptions
from ._plans import ExamsPlan, Progress, StartRun
from ._shard import shard_of
from ._store_face import SyncStore
from ._summary import Tally
from ._versions import row_version

__all__ = ["StartRun", "sync_pass"]

_log = logging.getLogger("smarterproctoring_async")


async def sync_pass(
    context: Context, options: SyncOptions, run_id: int, tally: Tally, start_run: StartRun
) -> None:
    """Sync the install once into ``options.store``, adding to ``tally``.

    Fatal errors (the token no longer works...) and a failure of the report itself
    are raised; a failure confined to one session is counted in ``tally``.
    """
    store = options.store
    # Read before the report: a session saved by a run that ends meanwhile is then at
    # worst fetched once more, never taken for unchanged when it is not.
    # refetch: the first pass takes nothing for unchanged (a change the report row does
    # not show, such as an annotation added with no other change, is fetched then).
    refetching = options.refetch and tally.passes == 0
    known = await store.versions(options.install.sid)
    stored: dict[str, str] = {} if refetching else known
    progress = Progress(options.bulk.on_progress, None)
    versions: dict[str, str] = {}
    todo: list[ExamRows] = []
    async for exam in options.rows(progress):
        kept = [row for row in exam.rows if _wanted(row, options.shard, stored, versions, tally)]
        if kept or exam.error is not None:
            todo.append(attrs.evolve(exam, rows=tuple(kept)))
    progress.total = sum(len(exam.rows) for exam in todo)
    if not todo:
        return

    def done(batch: Sequence[SessionResult]) -> None:
        for result in batch:
            progress(result)

    plan = ExamsPlan(
        _each(todo),
        exam_work(context, options.bulk),
        concurrency=options.bulk.concurrency,
        on_result=done,
        start_run=start_run(progress),
    )
    async with plan.stream() as results:
        async for result in results:
            if result.skipped and result.ref is not None:
                _went_back(result.ref.session_sid, known, tally)
            await _keep(store, result, versions, run_id, tally)


def _wanted(
    row: Appointment,
    shard: tuple[int, int] | None,
    stored: dict[str, str],
    versions: dict[str, str],
    tally: Tally,
) -> bool:
    """Whether ``row``'s session is fetched in this pass (noting its version if so)."""
    ref = ref_or_none(row)
    if ref is None:
        # A row naming no session becomes a failed result (it says what is wrong);
        # with shards, the first shard alone reports it, so it is counted once.
        return shard is None or shard[0] == 1
    sid = ref.session_sid
    if shard is not None and shard_of(sid, shard[1]) != shard[0]:
        return False
    version = row_version(row)
    if stored.get(sid) == version:
        tally.unchanged += 1
        return False
    versions[sid] = version
    return True


async def _keep(
    store: SyncStore, result: SessionResult, versions: dict[str, str], run_id: int, tally: Tally
) -> None:
    """Save an ok result (one transaction), or count it as skipped or failed."""
    if result.skipped:
        tally.skipped += 1  # not terminal yet: its version is not stored, so it comes back
        return
    if result.error is not None or result.ref is None:
        tally.note_failure(result)  # not stored: fetched again next pass
        return
    version = versions[result.ref.session_sid]
    await store.save(result, version=version, run_id=run_id)
    tally.stored += 1
    tally.events += len(result.events or ())
    tally.annotations += len(result.annotations or ())


def _went_back(sid: str, stored: dict[str, str], tally: Tally) -> None:
    """Warn (once a run) of a stored session the report no longer shows as terminal:
    the store never deletes, so its rows stay as they were stored."""
    if sid in stored and sid not in tally.went_back:
        tally.went_back.add(sid)
        _log.warning(
            "session %s was stored, but the report now shows it as not terminal (or not "
            "reviewed, as asked): its stored rows are kept as they were", sid,
        )  # fmt: skip


async def _each(exams: list[ExamRows]) -> AsyncIterator[ExamRows]:
    for exam in exams:
        yield exam
