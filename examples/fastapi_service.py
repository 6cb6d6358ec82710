"""A FastAPI service on one shared client: bounded waits, 503/504 instead of a queue.

One :class:`smarterproctoring_async.Client` is opened in the application's lifespan and
shared by every request handler: one connection pool and one request budget (10
requests per second, the client's default: the API documents no limit) for the whole
process. ``RetryPolicy(deadline=...)``
bounds what a caller waits (rate-limiter waits and retries included): a request the
budget cannot serve in time fails at once with ``sp.TimeoutError``, which the service
answers as 504 rather than queueing its callers for a minute. A ``RateLimitError``
(the API asked for a longer pause than the client waits) is answered as 503.

Run it (``pip install fastapi uvicorn``; the token and base URL from the environment)::

    SMARTERPROCTORING_TOKEN=... python examples/fastapi_service.py --port 8000

``tests/services/test_fastapi.py`` serves this very application against the fake API
with 200 concurrent callers.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Request

import smarterproctoring_async as sp

#: Seconds a caller waits at most for the API, limiter and retries included.
DEADLINE = 2.0
#: The budget shared by every request of the process: the client's default (the API
#: documents no rate limit; raise it only if SmarterProctoring allows more).
RATE_LIMIT = 10.0
#: A caller answered 503/504 is told to come back after this many seconds.
RETRY_AFTER = "1"


def create_app(token: str | sp.TokenProvider | None = None, base_url: str | None = None) -> FastAPI:
    """The application; ``token`` and ``base_url`` default to the environment."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        retry = sp.RetryPolicy(deadline=DEADLINE, max_attempts=3)
        async with sp.Client(
            token, base_url=base_url, rate_limit=RATE_LIMIT, retry=retry
        ) as client:
            app.state.client = client
            yield

    app = FastAPI(lifespan=lifespan)

    @app.get("/installs/{install}/exams/{exam}/sessions/{session}")
    async def session_status(install: str, exam: str, session: str, request: Request) -> Any:
        """A session's status, or 503/504 when the API cannot answer within the deadline."""
        client: sp.Client = request.app.state.client
        try:
            details = await client.install(install).exam(exam).session(session).get()
        except sp.InvalidSidError as error:
            raise HTTPException(422, str(error)) from None
        except sp.NotFoundError:
            raise HTTPException(404, "no such session") from None
        except sp.TimeoutError:
            raise HTTPException(
                504, "the reporting API did not answer in time", {"Retry-After": RETRY_AFTER}
            ) from None
        except sp.RateLimitError:
            raise HTTPException(
                503, "the reporting API asks to slow down", {"Retry-After": RETRY_AFTER}
            ) from None
        return {"sid": details.sid, "status": details.status, "terminal": details.is_terminal}

    @app.get("/stats")
    async def stats(request: Request) -> sp.ClientStats:
        """What the shared client did (served through pydantic as a plain dict)."""
        client: sp.Client = request.app.state.client
        return client.stats

    return app


def main() -> None:
    """Serve the application with uvicorn on loopback."""
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    options = parser.parse_args()
    uvicorn.run(create_app(), host="127.0.0.1", port=options.port)


if __name__ == "__main__":
    main()
