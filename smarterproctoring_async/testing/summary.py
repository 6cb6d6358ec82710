"""What a running fake tells a user who has no Python: where it is and SIDs worth trying.

``python -m smarterproctoring_async.testing`` and ``smarterproctoring-async fake-api``
print this as one line of JSON.
"""

from __future__ import annotations

from typing import Any

from .data import FakeData, FakeSession

__all__ = ["summary"]


def summary(
    base_url: str, token: str, data: FakeData, big: FakeSession | None = None
) -> dict[str, Any]:
    """What the JSON line holds: where the fake is and SIDs worth trying."""

    def session(s: FakeSession) -> dict[str, Any]:
        return {
            "install_sid": s.install_sid,
            "exam_sid": s.exam_sid,
            "session_sid": s.sid,
            "status": s.status,
            "events": len(s.events),
            "annotations": len(s.annotations),
        }

    installs = []
    for install in data.installs:
        sessions = data.install_sessions(str(install["sid"]))
        first_of_status: dict[str, FakeSession] = {}
        for s in sorted(sessions, key=lambda s: -len(s.events)):  # the busiest of each
            first_of_status.setdefault(s.status, s)
        installs.append(
            {
                "install_sid": install["sid"],
                "exam_sids": [e["sid"] for e in data.exams if e["installSid"] == install["sid"]],
                "sessions": [session(s) for s in first_of_status.values()],
            }
        )
    closed = [s for s in data.sessions if s.status == "Closed"] or data.sessions
    found: dict[str, Any] = {
        "base_url": base_url,
        "token": token,
        "example": session(max(closed, key=lambda s: len(s.events))),
        "env": {"SMARTERPROCTORING_BASE_URL": base_url, "SMARTERPROCTORING_TOKEN": token},
        "installs": installs,
    }
    if big is not None:
        found["big_session"] = session(big)
    return found
