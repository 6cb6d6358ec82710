"""``--shard I/N``: which share of an install's sessions one sync worker takes.

Shards are numbered from 1 to N; which shard holds a session is the library's
``sp.shard_of`` (the sync engine applies it). This module only reads the option.
"""

from __future__ import annotations

import argparse
import re

__all__ = ["parse_shard", "shard_text"]

_FORM = re.compile(r"([0-9]+)/([0-9]+)")


def parse_shard(text: str) -> tuple[int, int]:
    """An argparse type: ``I/N`` with ``1 <= I <= N`` as ``(I, N)`` (a usage error otherwise)."""
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
    return (index, count)


def shard_text(shard: tuple[int, int] | None) -> str:
    """``"shard I/N: "`` for messages, or nothing without a shard."""
    return "" if shard is None else f"shard {shard[0]}/{shard[1]}: "
