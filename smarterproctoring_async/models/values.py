"""Values that are not API records: a JSON value, a session's address, one page of a list.

They carry no ``extra`` and are never decoded by the converter: the SDK builds them.
"""

from __future__ import annotations

from typing import Generic, TypeAlias, TypeVar

import attrs

__all__ = ["JSONValue", "Page", "SessionRef"]

T = TypeVar("T")

# A real runtime value, not a string: the converter evaluates model annotations.
JSONValue: TypeAlias = bool | int | float | str | list["JSONValue"] | dict[str, "JSONValue"] | None
"""Any value JSON can hold."""


@attrs.frozen
class SessionRef:
    """The three SIDs that address one exam session: install, exam, session."""

    install_sid: str
    exam_sid: str
    session_sid: str

    @property
    def session_ref(self) -> SessionRef:
        """The ref itself, so refs and report rows can be mixed where refs are taken."""
        return self


@attrs.frozen
class Page(Generic[T]):
    """One page of a list: its records, the server's total (if sent) and its offset."""

    items: tuple[T, ...]
    total: int | None
    offset: int
