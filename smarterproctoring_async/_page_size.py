"""How many records a list request asks for: a fixed number, or ``"auto"``.

No maximum ``limit`` is documented (SPEC §0.6), and the API's own default is 50. With
``"auto"`` a client asks for :data:`AUTO_FIRST` records; a server that honours fewer
is followed by the paginator (its stride is the length of the first page).

A server may refuse the size outright, and its 400 need not say so: the API's joi
validation answers ``"Invalid request query input"`` on hapi's defaults, naming
nothing. So with ``"auto"``, any 400 to a request that asked for more than
:data:`FALLBACK` is asked again once at :data:`FALLBACK` before it counts (no wording
is read). If that answer is good, the client asks for :data:`FALLBACK` on that route
(per route template) from then on, and says so once at INFO; if it is refused too,
that 400 is the real error, raised, and the route keeps its size. An int is sent as
is and never changed.
"""

from __future__ import annotations

import logging
from typing import Literal

__all__ = ["AUTO_FIRST", "FALLBACK", "PageSize", "PageSizeSetting"]

#: What ``"auto"`` asks for until the server refuses it.
AUTO_FIRST = 500
#: The API's documented default ``limit``; what ``"auto"`` falls back to.
FALLBACK = 50

PageSizeSetting = int | Literal["auto"]

_log = logging.getLogger("smarterproctoring_async")


class PageSize:
    """The ``limit`` a client's lists ask for; one object per client, shared by its views.

    With ``"auto"`` it remembers the routes (templates) whose server refused
    :data:`AUTO_FIRST` and took :data:`FALLBACK`.
    """

    def __init__(self, setting: PageSizeSetting) -> None:
        self.auto = setting == "auto"
        self.size = AUTO_FIRST if self.auto else int(setting)
        # Route templates only: a bounded set, and no SID is ever kept.
        self._fell_back: set[str] = set()

    def __repr__(self) -> str:
        return "'auto'" if self.auto else str(self.size)

    def for_route(self, route: str) -> int:
        """The ``limit`` a list of ``route`` (a template) asks for first."""
        return FALLBACK if route in self._fell_back else self.size

    def may_fall_back(self, limit: int) -> bool:
        """Whether a 400 to a request that asked for ``limit`` is asked again at
        :data:`FALLBACK` before it counts: with ``"auto"``, above :data:`FALLBACK`."""
        return self.auto and limit > FALLBACK

    def fell_back(self, method: str, route: str, limit: int) -> None:
        """``limit`` was refused on ``route`` and :data:`FALLBACK` answered: keep it."""
        if route in self._fell_back:
            return
        self._fell_back.add(route)
        # Method, template and numbers only: neither SIDs nor the server's own words.
        _log.info(
            "%s %s: limit=%d was refused and limit=%d answered; this client asks for %d "
            "on this route from now on",
            method,
            route,
            limit,
            FALLBACK,
            FALLBACK,
        )
