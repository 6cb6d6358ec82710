"""The server-side rate limit (the ``rate_limit`` and ``rate_burst`` knobs): a token
bucket, and the 429 it answers with ``Retry-After``."""

from __future__ import annotations

import math
import time

from aiohttp import web

from .errors import status_body
from .responses import json_response, retry_after_text


class Bucket:
    """A token bucket that starts full again whenever its rate or burst changes."""

    def __init__(self) -> None:
        self._shape: tuple[float, int] | None = None
        self._tokens = 0.0
        self._stamp = 0.0

    def take(self, rate: float | None, burst: int) -> float | None:
        """Spend one token; the seconds to wait if there is none (None: go ahead)."""
        burst = max(1, burst)
        if not rate or rate <= 0:
            self._shape = None
            return None
        now = time.monotonic()
        if self._shape != (rate, burst):
            self._shape, self._tokens, self._stamp = (rate, burst), float(burst), now
        self._tokens = min(float(burst), self._tokens + (now - self._stamp) * rate)
        self._stamp = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return None
        return (1.0 - self._tokens) / rate


def rate_limited(
    wait: float, rate: float | None, retry_after: float | str | None, style: str
) -> web.Response:
    """The 429 for a request that must ``wait`` seconds.

    ``Retry-After`` is ``retry_after`` verbatim if a string, else the wait rounded up to
    whole seconds, at least ``retry_after`` (and at least 1).
    """
    if isinstance(retry_after, str):
        header = retry_after
    else:
        floor = math.ceil(retry_after) if retry_after else 1
        header = retry_after_text(max(1, floor, math.ceil(wait)))
    message = f"Rate limit of {rate or 0:g} requests/s exceeded"
    return json_response(429, status_body(429, message, style), {"Retry-After": header})
