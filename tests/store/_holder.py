"""A process that takes a store's sync lock and keeps it until killed.

``python -m tests.store._holder URL INSTALL [I/N]``: prints ``locked`` once it holds
the lock, then sleeps.
"""

from __future__ import annotations

import sys

import anyio

import smarterproctoring_async as sp


async def hold(url: str, install: str, shard: tuple[int, int] | None) -> None:
    async with sp.Store(url) as store, store.lock(install, shard=shard, wait=30):
        print("locked", flush=True)
        await anyio.sleep(3600)


if __name__ == "__main__":
    url, install, *rest = sys.argv[1:]
    shard = tuple(int(part) for part in rest[0].split("/")) if rest else None
    anyio.run(hold, url, install, shard)  # type: ignore[arg-type]
