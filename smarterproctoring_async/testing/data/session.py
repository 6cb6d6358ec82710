"""FakeSession: one exam session of the fake data set, as the server reads it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .events import EventList


@dataclass
class FakeSession:
    """One exam session of the fake data set, with its event reports and annotations.

    ``wire`` is the session details object exactly as served; ``events`` is generated on
    access (a million events cost no memory); ``annotations`` is a plain list.
    """

    wire: dict[str, Any]
    events: Sequence[dict[str, Any]] = field(default_factory=list)
    annotations: list[dict[str, Any]] = field(default_factory=list)

    @property
    def sid(self) -> str:
        """The session SID (``ES...``)."""
        return str(self.wire["sid"])

    @property
    def install_sid(self) -> str:
        """The install SID (``AI...``)."""
        return str(self.wire["installSid"])

    @property
    def exam_sid(self) -> str:
        """The exam SID (``EX...``)."""
        return str(self.wire["examSid"])

    @property
    def enrollment_sid(self) -> str:
        """The enrollment SID (``EN...``)."""
        return str(self.wire["enrollmentSid"])

    @property
    def status(self) -> str:
        """The session status as currently served."""
        return str(self.wire["status"])

    @property
    def review_status(self) -> str:
        """``pending``, ``complete`` or ``not-required``, as the appointments report names it.

        Read from ``reviewRequired`` and ``reviewed``; ``FakeData.set_review`` changes it.
        """
        if not self.wire.get("reviewRequired"):
            return "not-required"
        return "complete" if self.wire.get("reviewed") else "pending"

    def served(self) -> dict[str, Any]:
        """``wire`` with ``sessionReportCount`` matching ``events`` (edited by hand or not)."""
        self.wire["sessionReportCount"] = len(self.events)
        return self.wire

    def event(self, sid: str) -> dict[str, Any] | None:
        """The event report with this SID, None if the session has none such.

        Generated events are found from their SID alone, without generating the others.
        """
        if isinstance(self.events, EventList):
            return self.events.find(sid)
        return next((e for e in self.events if e.get("sid") == sid), None)

    def annotation(self, sid: str) -> dict[str, Any] | None:
        """The (v1) annotation with this SID, None if the session has none such."""
        return next((a for a in self.annotations if a.get("sid") == sid), None)
