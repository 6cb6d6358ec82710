"""One exam's exam-level event list, grouped by the session each row names.

What :mod:`._exam_plan` calls when an exam's events are read through its exam-level
list: whether the rest of the list is worth reading after its first page, whether its
events fit beside those the run's other lists hold, whether its rows can be trusted to
name their sessions. Each ``None`` it returns sends the exam back to its sessions' own
lists, and says why in the log.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable
from contextlib import aclosing

from .._exam_log import exam_note, what_failed
from .._page_size import FALLBACK
from ..errors import DecodeError, PermissionDeniedError, raise_alone
from ..models import Appointment, EventReport, SessionEventRow, SessionRef
from ..resources._context import Context
from ..resources._failures import is_fatal, unwrap
from ..resources.exam import Exam
from ..resources.reports import Reports
from ._exam_sessions import Denial, SessionFetch

__all__ = ["Held", "Listed", "exam_level", "exam_size", "not_worth_it", "ref_or_none"]


class Held:
    """The events a run's exam-level lists hold: at most ``limit`` between them."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0

    def take(self, events: int) -> bool:
        """Count ``events`` more if they fit (true), else leave the count alone."""
        if self.count + events > self.limit:
            return False
        self.count += events
        return True

    def give_back(self, events: int) -> None:
        """Uncount ``events`` taken before (their list is over)."""
        self.count -= events


class Listed:
    """The sessions the report lists for an exam, and how to learn all of them.

    ``denial`` is the exam's: a denied exam-level list is noted there (see
    :class:`~._exam_sessions.Denial`).
    """

    def __init__(
        self, context: Context, exam: Exam, sids: set[str], held: Held, denial: Denial
    ) -> None:
        self.context = context
        self.exam = exam
        self.sids = sids
        self.held = held
        self.denial = denial
        self.count = len(sids)  # the exam's sessions, filtered out or not, as far as known

    async def unlisted(self, named: set[str]) -> set[str]:
        """Of the sessions ``named`` by exam-level rows, those the exam does not have.

        A session the rows held do not list may have been filtered out of the report,
        or have started since it was read: the exam's whole list is read again once,
        unfiltered, to tell those from sessions the exam does not have at all.
        """
        strangers = named - self.sids
        if not strangers:
            return strangers
        report = Reports(self.context, self.exam.install_sid).appointments(exam_sid=self.exam.sid)
        every = {row.sid async for row in report}
        if known := strangers & every:  # not this run's: said, never dropped unseen
            exam_note(
                logging.INFO, self.exam.sid,
                "events of %d session(s) outside this run's report rows (filtered out, or "
                "started since the report was read) are left for a run that lists them",
                len(known), detail=", ".join(sorted(known)[:3]),
            )  # fmt: skip
        return strangers - every


async def exam_level(
    listed: Listed, wanted: list[SessionFetch], *, auto: bool
) -> dict[str, list[EventReport]] | None:
    """The exam-level list grouped by session SID, or ``None`` to read it per session."""
    taken = [0]  # the events counted in the run's Held for this list
    try:
        return await _grouped(listed, wanted, auto, taken)
    finally:
        listed.held.give_back(taken[0])


async def _grouped(
    listed: Listed, wanted: list[SessionFetch], auto: bool, taken: list[int]
) -> dict[str, list[EventReport]] | None:
    exam = listed.exam
    groups: dict[str, list[EventReport]] = {one.session.ref.session_sid: [] for one in wanted}
    others: set[str] = set()  # sessions named by rows but not asked for
    own = (exam.install_sid, exam.sid)
    held = 0
    first = True
    try:
        async with aclosing(exam.events().pages()) as pages:
            async for page in pages:
                cost = (page.total, len(page.items), len(wanted), listed.count)
                if first and (why := not_worth_it(*cost, auto=auto, limit=listed.held.limit)):
                    # A choice in "auto"; a plan asked for and not followed is worth a warning.
                    level = logging.INFO if auto else logging.WARNING
                    exam_note(level, exam.sid, "%s; reading its sessions' events one by one",
                              why)  # fmt: skip
                    return None
                if first and page.total and not listed.held.take(page.total):
                    exam_note(
                        logging.INFO, exam.sid,
                        "its %d events do not fit beside the %d held for other "
                        "exams; reading its sessions' events one by one",
                        page.total, listed.held.count,
                    )  # fmt: skip
                    return None
                if first:
                    taken[0] = page.total or 0
                first = False
                for row in page.items:
                    ref = ref_or_none(row)
                    if ref is None or (ref.install_sid, ref.exam_sid) != own:
                        exam_note(
                            logging.WARNING,
                            exam.sid,
                            "an exam-level event row %s; reading the events of its %d "
                            "sessions one by one rather than guessing their groups",
                            "names no session" if ref is None else "names another exam",
                            len(wanted),
                            detail=f"row {row.sid!r}"
                            + ("" if ref is None else f" of {ref.exam_sid}"),
                        )
                        return None
                    bucket = groups.get(ref.session_sid)
                    if bucket is not None:
                        bucket.append(row)
                        held += 1
                    else:  # a session not asked for; unless the exam has none such
                        others.add(ref.session_sid)
                if held > taken[0]:  # more than announced: counted as they come
                    if not listed.held.take(held - taken[0]):
                        exam_note(
                            logging.WARNING,
                            exam.sid,
                            "over %d events to hold; reading per session",
                            held,
                        )
                        return None
                    taken[0] = held
    except Exception as raised:
        _failed(listed, wanted, unwrap(raised))
        return None
    if unlisted := await _guarded(exam, listed.unlisted(others)):
        exam_note(
            logging.WARNING,
            exam.sid,
            "exam-level event rows name %d session(s) the exam does not list; reading the "
            "events of its %d sessions one by one rather than dropping them",
            len(unlisted),
            len(wanted),
            detail=", ".join(sorted(unlisted)[:3]),
        )
        return None
    return groups


def _failed(listed: Listed, wanted: list[SessionFetch], error: BaseException) -> None:
    """Say why the exam-level list failed, and what comes instead; raise a fatal error."""
    if is_fatal(error):
        raise_alone(error)
    exam = listed.exam
    if isinstance(error, PermissionDeniedError):
        listed.denial.exam_level(error)
        exam_note(
            logging.WARNING,
            exam.sid,
            "the token may not read its exam-level event list (%s); reading one "
            "session's own events first, to tell whether the whole exam is denied",
            what_failed(error),
            detail=str(error),
        )
        return
    exam_note(
        logging.WARNING,
        exam.sid,
        "the exam-level event list failed (%s); reading the events of its %d sessions one by one",
        what_failed(error),
        len(wanted),
        detail=str(error),
    )


async def _guarded(exam: Exam, check: Awaitable[set[str]]) -> set[str]:
    """``check``'s answer; if it fails (not fatally), a set that sends the exam per session."""
    try:
        return await check
    except Exception as raised:
        error = unwrap(raised)
        if is_fatal(error):
            raise_alone(error)
        exam_note(logging.WARNING, exam.sid, "its session list failed (%s)", what_failed(error))
        return {"(unknown)"}


def not_worth_it(
    total: int | None, length: int, wanted: int, listed: int, *, auto: bool, limit: int
) -> str | None:
    """Why the rest of the exam-level list is not worth reading (``None``: it is).

    From its first page: ``total`` events in pages of ``length``, for ``wanted`` of the
    ``listed`` sessions. Read per session, each wanted session costs a request at
    least, and its share of the events (assumed even) in pages of the same length. A
    list of more than ``limit`` events is never held.
    """
    if total is not None and total > limit:
        return f"its exam-level list announces {total} events, over {limit}"
    if not auto:
        return None
    if total is None:
        return "its exam-level list announces no total"
    length = max(1, length)
    pages_left = math.ceil(max(0, total - length) / length)
    # A last page as long as the others is confirmed by one more request (see the
    # paginator); so is a first page of 50 records or more that is all of it.
    if total and total % length == 0 and (total > length or length >= FALLBACK):
        pages_left += 1
    share = wanted / max(1, listed, wanted)
    per_session = wanted + math.ceil(total * share / length)
    if pages_left > per_session:
        return (
            f"{pages_left} more exam-level requests cost more than the about {per_session} "
            f"of its {wanted} sessions' own lists"
        )
    return None


def ref_or_none(row: Appointment | SessionEventRow) -> SessionRef | None:
    """The session the row names, or ``None`` when it names none."""
    try:
        return row.session_ref
    except DecodeError:
        return None


def exam_size(row: Appointment) -> int:
    """The exam's number of sessions, as the row's ``exam`` object says (0: unknown)."""
    size = row.exam.total_sessions if row.exam is not None else None
    return size if isinstance(size, int) and size > 0 else 0
