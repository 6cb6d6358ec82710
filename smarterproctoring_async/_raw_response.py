"""Raw responses: the status, headers and timing of an awaited call, with its value.

``await client.with_raw_response(call)`` runs ``call`` (any awaited method of the
client, such as ``session.get()``) with a :class:`Recorder` in a context variable;
the transport notes each answer it reads into it, so every endpoint keeps its one
declaration and its one return type. The last answer the call read wins (after a
retry, the answer that succeeded).
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Iterator, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["RECORDER", "Headers", "RawResponse", "Recorder", "raw_response"]

T = TypeVar("T")

#: Headers that carry a request id, in the order they are looked for. The API does not
#: document one; whatever the server (or a proxy in front of it) sends is shown.
REQUEST_ID_HEADERS = ("X-Request-Id", "X-Amzn-Requestid", "X-Amzn-Trace-Id", "X-Correlation-Id")


class Headers(Mapping[str, str]):
    """Response headers: read-only, looked up whatever the case of the name.

    A header sent more than once keeps its first value.
    """

    __slots__ = ("_items",)

    def __init__(self, pairs: Mapping[str, str] | None = None) -> None:
        items: dict[str, tuple[str, str]] = {}
        for name, value in (pairs or {}).items():
            items.setdefault(name.lower(), (name, value))
        self._items = items

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()][1]

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __repr__(self) -> str:
        return f"Headers({dict(self.items())!r})"


@dataclass(frozen=True)
class RawResponse(Generic[T]):
    """An awaited call's value (:attr:`parsed`) and the HTTP answer it came from.

    ``status`` is ``None`` (and ``headers`` empty) when no request was needed: a report
    answered from the client's cache.
    """

    #: The HTTP status of the answer.
    status: int | None
    #: The answer's headers (read-only, case-insensitive).
    headers: Headers
    #: Seconds from sending the request to reading the whole body (the last attempt).
    elapsed: float
    #: The value the call returns without ``with_raw_response``.
    parsed: T

    @property
    def request_id(self) -> str | None:
        """The server's request id, if it sent one (``X-Request-Id``, then Amazon's
        ``X-Amzn-Requestid`` and ``X-Amzn-Trace-Id``, then ``X-Correlation-Id``)."""
        return next((self.headers[h] for h in REQUEST_ID_HEADERS if h in self.headers), None)


class Recorder:
    """Where the transport notes the answers of one recorded call."""

    __slots__ = ("elapsed", "headers", "status")

    def __init__(self) -> None:
        self.status: int | None = None
        self.headers = Headers()
        self.elapsed = 0.0

    def note(self, status: int, headers: Mapping[str, str], elapsed: float) -> None:
        """An answer was read."""
        self.status, self.headers, self.elapsed = status, Headers(headers), elapsed


#: The recorder of the call being awaited under ``with_raw_response``, if any.
RECORDER: contextvars.ContextVar[Recorder | None] = contextvars.ContextVar(
    "smarterproctoring_raw_response", default=None
)


async def raw_response(call: Awaitable[T]) -> RawResponse[T]:
    """Await ``call`` while recording its answers; its value and the last answer."""
    if not isinstance(call, Awaitable):
        raise TypeError(
            f"with_raw_response takes an awaited call such as session.get(), got "
            f"{type(call).__name__} (a paginator's pages are not recorded)"
        )
    recorder = Recorder()
    token = RECORDER.set(recorder)
    try:
        value = await call
    finally:
        RECORDER.reset(token)
    return RawResponse(recorder.status, recorder.headers, recorder.elapsed, value)
