"""Time windows: ``"22:00-06:00"`` in a time zone, when a scheduled sync may run.

The reporting guide asks for batch jobs off-peak. A window is a start and an end time
of day in one zone (``zoneinfo``; the machine's local zone when none is given); one
whose end is not after its start runs across midnight. Outside it, the sync waits
until the next start.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from ..errors import InvalidFilterError

__all__ = ["Window", "parse_window", "zone_of"]

_FORM = re.compile(r"([0-9]{1,2}):([0-9]{2})-([0-9]{1,2}):([0-9]{2})")


@attrs.frozen
class Window:
    """Times of day from ``start`` (included) to ``end`` (excluded), in ``zone``."""

    start: time
    end: time
    zone: tzinfo
    text: str

    def contains(self, moment: datetime) -> bool:
        """Whether the aware ``moment`` falls inside the window."""
        local = moment.astimezone(self.zone).time().replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= local < self.end
        # Across midnight (or a whole day when start == end): the evening or the morning.
        return local >= self.start or local < self.end

    def next_start(self, moment: datetime) -> datetime:
        """The first start of the window at or after the aware ``moment`` (same zone)."""
        local = moment.astimezone(self.zone)
        for days in range(3):
            day = local.date() + timedelta(days=days)
            # Built from wall-clock fields in the zone: a DST change in between moves
            # the instant, not the hour the operator wrote.
            candidate = datetime.combine(day, self.start, tzinfo=self.zone)
            if candidate >= local:
                return candidate
        raise AssertionError("unreachable: a start falls within any two days")  # pragma: no cover

    def __str__(self) -> str:
        return f"{self.text} ({self.zone})"


def zone_of(tz: str | None) -> tzinfo:
    """The ``zoneinfo`` zone named ``tz``; the machine's local zone for ``None``."""
    if tz is None:
        local = datetime.now().astimezone().tzinfo
        assert local is not None  # astimezone() always gives a zone
        return local
    if not isinstance(tz, str) or not tz:
        raise InvalidFilterError(f"tz must be a time zone name such as 'Europe/Paris', got {tz!r}")
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidFilterError(f"tz {tz!r:.60} is not a known time zone") from error


def parse_window(text: str | None, tz: str | None) -> Window | None:
    """``"HH:MM-HH:MM"`` in zone ``tz`` as a :class:`Window`; ``None`` for no window."""
    if text is None:
        if tz is not None:
            zone_of(tz)  # still refused when wrong: a typo is never ignored silently
        return None
    match = _FORM.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise InvalidFilterError(
            f"window must be 'HH:MM-HH:MM' such as '22:00-06:00', got {text!r:.60}"
        )
    hours_minutes = [int(part) for part in match.groups()]
    if any(h > 23 or m > 59 for h, m in (hours_minutes[:2], hours_minutes[2:])):
        raise InvalidFilterError(f"window {text!r}: hours are 00-23 and minutes 00-59")
    start = time(hours_minutes[0], hours_minutes[1])
    end = time(hours_minutes[2], hours_minutes[3])
    return Window(start, end, zone_of(tz), text.strip())
