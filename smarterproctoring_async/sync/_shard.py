"""Which shard of a split sync holds a session: the one definition (the CLI uses it too).

Shards are numbered from 1 to N. A session belongs to shard ``1 + h mod N``, where
``h`` is the first 8 bytes of the SHA-256 of its SID (UTF-8) read as a big-endian
integer: the same on every machine, Python version and run (Python's own ``hash()`` of
a string is salted per process, so it would deal the sessions differently each time).
"""

from __future__ import annotations

import hashlib

from ..errors import InvalidFilterError

__all__ = ["check_shard", "shard_of"]


def shard_of(session_sid: str, count: int) -> int:
    """The shard (1 to ``count``) that holds ``session_sid``.

    Workers that each sync the sessions of one shard ``I`` of ``count`` cover every
    session exactly once between them.
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise InvalidFilterError(f"the number of shards must be an int >= 1, got {count!r}")
    digest = hashlib.sha256(session_sid.encode("utf-8", "surrogatepass")).digest()
    return 1 + int.from_bytes(digest[:8], "big") % count


def check_shard(shard: object) -> tuple[int, int] | None:
    """``shard`` as ``(I, N)`` with ``1 <= I <= N``, or ``None``; anything else refused."""
    if shard is None:
        return None
    if (
        not isinstance(shard, tuple)
        or len(shard) != 2
        or not all(isinstance(n, int) and not isinstance(n, bool) for n in shard)
    ):
        raise InvalidFilterError(f"shard must be a tuple (I, N) of two ints, got {shard!r:.60}")
    index, count = shard
    if count < 1 or not 1 <= index <= count:
        raise InvalidFilterError(f"shard ({index}, {count}): shards are numbered 1 to N, N >= 1")
    return (index, count)
