"""Read-only sequence views, so that huge generated lists are never copied to be served."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator, Sequence
from typing import overload

from .records import Record

Part = tuple[Sequence[Record], Callable[[Record], Record] | None]


class ChainView(Sequence[Record]):
    """Several sequences end to end, each item optionally mapped (e.g. event -> report row)."""

    def __init__(self, parts: Sequence[Part]) -> None:
        self._parts = [part for part in parts if len(part[0])]
        self._starts: list[int] = []
        total = 0
        for items, _ in self._parts:
            self._starts.append(total)
            total += len(items)
        self._len = total

    def __len__(self) -> int:
        return self._len

    @overload
    def __getitem__(self, index: int) -> Record: ...
    @overload
    def __getitem__(self, index: slice) -> list[Record]: ...
    def __getitem__(self, index: int | slice) -> Record | list[Record]:
        if isinstance(index, slice):
            start, stop, step = index.indices(self._len)
            if step != 1:
                return [self[i] for i in range(start, stop, step)]
            return self._range(start, stop)
        if index < 0:
            index += self._len
        if not 0 <= index < self._len:
            raise IndexError("index out of range")
        return self._range(index, index + 1)[0]

    def _range(self, start: int, stop: int) -> list[Record]:
        found: list[Record] = []
        part = bisect.bisect_right(self._starts, start) - 1
        while start < stop and 0 <= part < len(self._parts):
            items, mapper = self._parts[part]
            local = start - self._starts[part]
            chunk = items[local : local + (stop - start)]
            if mapper is None:
                found.extend(chunk)
            else:
                found.extend(mapper(item) for item in chunk)
            start += len(chunk)
            part += 1
        return found

    def __iter__(self) -> Iterator[Record]:
        for items, mapper in self._parts:
            for item in items:
                yield mapper(item) if mapper else item


class ReversedView(Sequence[Record]):
    """A sequence read backwards without copying it."""

    def __init__(self, items: Sequence[Record]) -> None:
        self._items = items

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> Record: ...
    @overload
    def __getitem__(self, index: slice) -> list[Record]: ...
    def __getitem__(self, index: int | slice) -> Record | list[Record]:
        size = len(self._items)
        if isinstance(index, slice):
            start, stop, step = index.indices(size)
            if step != 1 or start >= stop:
                return [self[i] for i in range(start, stop, step)]
            chunk = self._items[size - stop : size - start]
            return list(reversed(chunk))
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError("index out of range")
        return self._items[size - 1 - index]
