"""What records of several kinds share: a session status and the one rule for it, the
session a row names, and a repr for rows whose fields are all in ``extra``."""

from __future__ import annotations

import attrs

from .._protocol import SID_PREFIXES, is_terminal
from ..errors import DecodeError
from ._converter import Model, wire_names
from .values import SessionRef

__all__ = ["StatusRecord", "extra_fields_repr", "session_ref_of"]


@attrs.frozen(kw_only=True, slots=False)
class StatusRecord(Model):
    """A record carrying a session's status."""

    status: str | None = None

    @property
    def is_terminal(self) -> bool:
        """Closed or Cancelled (any letter case, surrounding blanks ignored): nothing
        more will be recorded for the session. Prefer this to comparing ``status``."""
        return is_terminal(self.status)


def _wire_value(row: Model, wire: str) -> object:
    """The row's value of a wire field: its attribute when documented and set, else
    what ``extra`` holds under that name."""
    for attribute, name in wire_names(type(row)).items():
        if name == wire:
            value = getattr(row, attribute)
            if value is not None:
                return value
            break
    return row.extra.get(wire)


def _sid_text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def session_ref_of(row: Model, session_key: str | None) -> SessionRef:
    """The ref of the session a row names; ``session_key`` is the wire name of its SID.

    With no ``session_key`` the row's ``sessionSid`` is used, else its ``sid`` when that
    has the session prefix ``ES``. The exam SID is ``examSid``, else ``exam.sid``.
    Raises DecodeError naming the SIDs the row lacks.
    """
    install = _sid_text(_wire_value(row, "installSid"))
    exam = _sid_text(_wire_value(row, "examSid"))
    if exam is None:
        embedded = _wire_value(row, "exam")
        if isinstance(embedded, Model):
            exam = _sid_text(_wire_value(embedded, "sid"))
        elif isinstance(embedded, dict):
            exam = _sid_text(embedded.get("sid"))
    if session_key is not None:
        session = _sid_text(_wire_value(row, session_key))
    else:
        session = _sid_text(_wire_value(row, "sessionSid"))
        own = _sid_text(_wire_value(row, "sid"))
        if session is None and own is not None and own.startswith(SID_PREFIXES["sessionSid"]):
            session = own
    if install is None or exam is None or session is None:
        wanted = (
            ("installSid", install),
            ("examSid", exam),
            (session_key or "sessionSid", session),
        )
        missing = " and no ".join(name for name, value in wanted if value is None)
        own = _sid_text(_wire_value(row, "sid"))
        where = f" {own!r}" if own else ""
        raise DecodeError(
            f"{type(row).__name__}{where} has no {missing}, so it names no session to fetch"
        )
    return SessionRef(install, exam, session)


def extra_fields_repr(row: Model, install_sid: str | None) -> str:
    """``Name(install_sid=..., fields=[...])``: the default repr hides ``extra``, which
    holds every field of a row of undocumented shape, so name its fields instead."""
    return f"{type(row).__name__}(install_sid={install_sid!r}, fields={sorted(row.extra)!r})"
