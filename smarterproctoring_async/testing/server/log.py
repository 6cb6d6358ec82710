"""The request log: the most recent requests in full, and exact counters over all of them.

A fake that kept every request would grow without bound under a long benchmark or soak
test (about 1.4 kB a request, most of it the headers). ``RequestLog`` keeps the last
``maxlen`` records (10,000 by default; None keeps all) in start order, and counts every
request by route, status and fault, so totals stay exact after old records are dropped.
It reads like a list of ``RequestRecord``: ``len``, indexing, slicing, iteration, and
``==`` against a list (``fake.requests == []``).
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import overload

DEFAULT_SIZE = 10_000


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request the fake received, logged when its answer was done.

    ``route`` is the Swagger template matched (None for an unknown path); ``query`` keeps
    every pair in order, repeated keys included; ``status`` is 0 for a dropped connection;
    ``in_flight`` counts the requests being handled at arrival, this one included;
    ``fault`` is the kind of the injected fault, if any.
    """

    start: float
    end: float
    method: str
    path: str
    route: str | None
    query: tuple[tuple[str, str], ...]
    status: int
    headers: dict[str, str]
    in_flight: int
    fault: str | None


class RequestLog(Sequence[RequestRecord]):
    """The most recent ``maxlen`` requests (None: all), oldest start first, plus counters.

    Counters cover every request since the log was created or cleared, kept or not:
    ``total``, ``by_route`` (template, None for an unknown path), ``by_status`` (0 for a
    dropped connection), ``by_fault`` (injected fault kind) and ``max_in_flight``.
    ``dropped`` is how many records were let go to stay within ``maxlen``.
    """

    def __init__(self, maxlen: int | None = DEFAULT_SIZE) -> None:
        if maxlen is not None and maxlen < 0:
            raise ValueError("maxlen must be >= 0 or None")
        self._records: deque[RequestRecord] = deque(maxlen=maxlen)
        self.total = 0
        self.by_route: Counter[str | None] = Counter()
        self.by_status: Counter[int] = Counter()
        self.by_fault: Counter[str] = Counter()
        self.in_flight = 0
        self.max_in_flight = 0

    @property
    def maxlen(self) -> int | None:
        """How many records are kept (None: every one)."""
        return self._records.maxlen

    @property
    def dropped(self) -> int:
        """How many records were let go to stay within ``maxlen``."""
        return self.total - len(self._records)

    def begin(self) -> int:
        """Note a request's arrival; the number in flight, this one included."""
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        return self.in_flight

    def end(self, record: RequestRecord) -> None:
        """Note a request's end and log it, in start order among the records kept."""
        self.in_flight -= 1
        self.total += 1
        self.by_route[record.route] += 1
        self.by_status[record.status] += 1
        if record.fault is not None:
            self.by_fault[record.fault] += 1
        records = self._records
        if records.maxlen == 0:
            return
        # Requests end out of start order only by a few places: look from the right.
        at = len(records)
        while at > 0 and records[at - 1].start > record.start:
            at -= 1
        if len(records) == records.maxlen:
            if at == 0:
                return  # older than every record kept: it would be the first dropped
            records.popleft()  # a full deque refuses insert()
            at -= 1
        records.insert(at, record)

    def clear(self) -> None:
        """Forget every record and counter; ``max_in_flight`` restarts from the current count."""
        self._records.clear()
        self.total = 0
        self.by_route.clear()
        self.by_status.clear()
        self.by_fault.clear()
        self.max_in_flight = self.in_flight

    def __len__(self) -> int:
        return len(self._records)

    @overload
    def __getitem__(self, index: int) -> RequestRecord: ...
    @overload
    def __getitem__(self, index: slice) -> list[RequestRecord]: ...
    def __getitem__(self, index: int | slice) -> RequestRecord | list[RequestRecord]:
        if isinstance(index, slice):
            return list(self._records)[index]
        return self._records[index]

    def __iter__(self) -> Iterator[RequestRecord]:
        return iter(self._records)

    def __reversed__(self) -> Iterator[RequestRecord]:
        return reversed(self._records)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (RequestLog, list, tuple)):
            return list(self._records) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by content

    def __repr__(self) -> str:
        return (
            f"RequestLog({len(self)} kept of {self.total}, maxlen={self.maxlen}, "
            f"max_in_flight={self.max_in_flight})"
        )
