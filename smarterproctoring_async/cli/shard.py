"""``--shard I/N``: which sessions one worker of a split export takes, and where it writes.

Shards are numbered from 1 to N. A session belongs to shard ``1 + h mod N``, where
``h`` is the first 8 bytes of the SHA-256 of its SID (UTF-8) read as a big-endian
integer: the same on every machine, Python version and run (Python's own ``hash()`` of
a string is salted per process, so it would deal the sessions differently each time).
Worker I of N writes to ``DIR/shard-I-of-N/``, so the workers can share one ``--out``
(or one network share) and ``export merge DIR`` finds them all there.
"""

from __future__ import annotations

import argparse
import hashlib
import re
from typing import Any

import attrs

__all__ = ["Shard", "parse_shard", "shard_of"]

_FORM = re.compile(r"([0-9]+)/([0-9]+)")


def shard_of(session_sid: str, count: int) -> int:
    """The shard (1 to ``count``) that holds ``session_sid``."""
    digest = hashlib.sha256(session_sid.encode("utf-8")).digest()
    return 1 + int.from_bytes(digest[:8], "big") % count


@attrs.frozen
class Shard:
    """Shard ``index`` of ``count`` (1-based)."""

    index: int
    count: int

    @property
    def dirname(self) -> str:
        """The sub-directory of ``--out`` this shard writes to: ``shard-I-of-N``."""
        return f"shard-{self.index}-of-{self.count}"

    def holds(self, session_sid: str) -> bool:
        """Whether ``session_sid`` is this shard's."""
        return shard_of(session_sid, self.count) == self.index

    def to_json(self) -> dict[str, int]:
        """The form a state file records."""
        return {"index": self.index, "count": self.count}

    @classmethod
    def from_json(cls, value: Any) -> Shard | None:
        """A state file's record of the shard (None: not sharded, or unreadable)."""
        if not isinstance(value, dict):
            return None
        index, count = value.get("index"), value.get("count")
        if isinstance(index, int) and isinstance(count, int) and 1 <= index <= count:
            return cls(index, count)
        return None

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> Shard:
    """An argparse type: ``I/N`` with ``1 <= I <= N`` (a usage error otherwise)."""
    match = _FORM.fullmatch(text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(
            f"expected I/N, such as 1/4 (shard I of N, from 1), got {text!r}"
        )
    index, count = int(match[1]), int(match[2])
    if count < 1:
        raise argparse.ArgumentTypeError(f"the number of shards must be at least 1: {text!r}")
    if not 1 <= index <= count:
        raise argparse.ArgumentTypeError(
            f"shards are numbered 1 to {count}, got {index} (in {text!r})"
        )
    return Shard(index, count)
