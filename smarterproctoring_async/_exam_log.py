"""Log lines about one exam of a bulk run: the exam, never a learner, at INFO and above.

A line names the exam's SID (an exam is shared by all its learners: it identifies no
person, and the operator needs it to act) but never a session's or a row's SID, nor
the server's own words, which may quote a learner's name or e-mail (README, "Logs").
Those go into a second line at DEBUG.
"""

from __future__ import annotations

import logging

from .errors import APIError

__all__ = ["exam_note", "what_failed"]

_log = logging.getLogger("smarterproctoring_async")


def exam_note(level: int, exam_sid: str, message: str, *args: object, detail: str = "") -> None:
    """Log ``message % args`` about the exam ``exam_sid`` at ``level``.

    ``message`` and ``args`` must hold no other SID nor any server text; ``detail``
    (which may) goes only into a DEBUG line.
    """
    if _log.isEnabledFor(level):
        _log.log(level, "exam %s: " + message, exam_sid, *args)
    if detail and _log.isEnabledFor(logging.DEBUG):
        _log.debug("exam %s: the line above concerns %s", exam_sid, detail)


def what_failed(error: BaseException) -> str:
    """An error as a log line may name it: its class, status and code, no message."""
    if isinstance(error, APIError):
        code = f" code {error.code}" if error.code and error.code.isalnum() else ""
        return f"{type(error).__name__} ({error.status}{code})"
    return type(error).__name__
