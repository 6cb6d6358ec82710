"""RankedSlots: the bound holds, lower ranks go first, a cancelled waiter loses nothing."""

from __future__ import annotations

import anyio

from smarterproctoring_async.sync._slots import RankedSlots


async def test_a_freed_slot_goes_to_the_lowest_rank_then_the_earliest() -> None:
    slots = RankedSlots(1)
    order: list[str] = []
    holder = slots.rank(5)
    await holder.acquire()

    async def wait(name: str, rank: int) -> None:
        async with slots.rank(rank):
            order.append(name)
            await anyio.sleep(0.01)

    async with anyio.create_task_group() as tasks:
        for name, rank in (("late-3", 3), ("first-1", 1), ("second-1", 1), ("zero", 0)):
            tasks.start_soon(wait, name, rank)
            await anyio.sleep(0.005)  # arrive in this order
        holder.release()
    assert order == ["zero", "first-1", "second-1", "late-3"]


async def test_never_more_holders_than_slots() -> None:
    slots = RankedSlots(3)
    holding = most = 0

    async def work(rank: int) -> None:
        nonlocal holding, most
        async with slots.rank(rank):
            holding += 1
            most = max(most, holding)
            await anyio.sleep(0.002)
            holding -= 1

    async with anyio.create_task_group() as tasks:
        for k in range(40):
            tasks.start_soon(work, k % 7)
    assert most == 3


async def test_a_cancelled_waiter_gives_its_turn_to_the_next() -> None:
    slots = RankedSlots(1)
    await slots.rank(0).acquire()
    got: list[int] = []
    doomed = anyio.CancelScope()

    async def wait(rank: int, scope: anyio.CancelScope) -> None:
        with scope:
            async with slots.rank(rank):
                got.append(rank)

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(wait, 1, doomed)  # waits first, then is cancelled while waiting
        await anyio.sleep(0.005)
        tasks.start_soon(wait, 2, anyio.CancelScope())
        await anyio.sleep(0.005)
        doomed.cancel()
        await anyio.sleep(0.005)
        slots.rank(0).release()
    assert got == [2]
    # Every slot is back: one can be taken at once.
    with anyio.fail_after(1):
        await slots.rank(9).acquire()
