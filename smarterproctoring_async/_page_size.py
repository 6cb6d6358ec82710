"""How many records a list request asks for: a fixed number, or ``"auto"``.

No maximum ``limit`` is documented (SPEC §0.6), and the API's own default is 50. With
``"auto"`` a client asks for :data:`AUTO_FIRST` records; a server that honours fewer
is followed by the paginator (its stride is the length of the first page). A server
that refuses the size outright, with a 400 whose code or message names ``limit``,
makes the client ask for :data:`FALLBACK` from then on, in every list it reads.
"""

from __future__ import annotations

import logging
import re
from typing import Literal

from .errors import InvalidInputError

__all__ = ["AUTO_FIRST", "FALLBACK", "PageSize", "PageSizeSetting"]

#: What ``"auto"`` asks for until the server refuses it.
AUTO_FIRST = 500
#: The API's documented default ``limit``; what ``"auto"`` falls back to.
FALLBACK = 50

PageSizeSetting = int | Literal["auto"]

# The parameter, not any limit: "limit must be <= 100", "'limit' is too large", "invalid
# limit", "parameter limit exceeds 100" name it; "Daily export limit reached" does not.
_NAMES_LIMIT = re.compile(
    r"""['"`]limit['"`]"""
    r"|\blimit\s*(must|should|cannot|can't|(is\s+)?too|is invalid|exceeds|is out of range|[<>=≤≥])"
    r"|\binvalid\s+limit\b|\bparameter\s+limit\b",
    re.IGNORECASE,
)
_log = logging.getLogger("smarterproctoring_async")


class PageSize:
    """The ``limit`` a client's lists ask for; one object per client, shared by its views."""

    def __init__(self, setting: PageSizeSetting) -> None:
        self.auto = setting == "auto"
        self.size = AUTO_FIRST if self.auto else int(setting)

    def __repr__(self) -> str:
        return "'auto'" if self.auto else str(self.size)

    def refused(self, error: InvalidInputError, limit: int) -> bool:
        """Whether ``error`` refused a ``limit`` that ``"auto"`` chose; if so, fall back.

        True means: send the request again with :attr:`size`, now :data:`FALLBACK`.
        """
        if not self.auto or limit <= FALLBACK:
            return False
        said = f"{error.code or ''} {error.message}"
        if not _NAMES_LIMIT.search(said):
            return False
        if self.size != FALLBACK:
            self.size = FALLBACK
            _log.warning(
                "%s %s: the server refused limit=%d (%s); this client asks for %d from now on",
                error.method,
                error.path,
                limit,
                error.message[:200],
                FALLBACK,
            )
        return True

    def not_refused(self) -> None:
        """The request was refused at :data:`FALLBACK` too: it was not the size; undo."""
        if self.auto and self.size == FALLBACK:
            self.size = AUTO_FIRST
            _log.info("the refusal was not about the page size: asking for %d again", AUTO_FIRST)
