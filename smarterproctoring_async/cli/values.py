"""Turning command-line text into the values the SDK's typed filters take."""

from __future__ import annotations

import argparse
from datetime import date, datetime

__all__ = ["parse_flag", "parse_when"]


def parse_when(text: str) -> date | datetime:
    """``2025-01-31`` (a date: midnight UTC) or an ISO-8601 date-time.

    A trailing ``Z`` means UTC. A date-time without an offset is passed on as it is,
    so that the SDK refuses it with its own message (naive times are ambiguous).
    """
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO-8601 date or date-time: {text!r} (e.g. 2025-01-31 or 2025-01-31T08:00:00Z)"
        ) from None


def parse_flag(text: str) -> bool:
    """``true``/``false`` (also yes/no, 1/0)."""
    lowered = text.lower()
    if lowered in ("true", "yes", "1"):
        return True
    if lowered in ("false", "no", "0"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Seconds from ``90``, ``90s``, ``5m`` or ``1h`` (a number, then an optional unit)."""
    cleaned = text.strip().lower()
    unit = cleaned[-1:] if cleaned[-1:] in ("s", "m", "h") else ""
    number = cleaned[: len(cleaned) - len(unit)]
    try:
        value = float(number) * _UNITS[unit]
    except ValueError:
        value = float("nan")
    # nan fails both comparisons; inf is refused: the sleep would never end.
    if not 0 < value < float("inf") or number.strip() != number:
        raise argparse.ArgumentTypeError(
            f"expected a duration such as 90, 90s, 5m or 1h (more than 0), got {text!r}"
        )
    return value
