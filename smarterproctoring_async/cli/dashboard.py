"""``dashboard --install AI…``: the guide's Pattern 3 as a local web page, until Ctrl-C.

Calls the SDK's public ``sp.serve_dashboard``; the token comes as for every command
(``$SMARTERPROCTORING_TOKEN`` or ``--token-file``), never from an argument, and is
never shown. The page binds to loopback unless ``--listen-anywhere`` is given.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
from typing import Any

from .budget import REDIS_URL_ENV
from .config import CONNECTION_HELP, add_connection_options, make_client, positive_float
from .errors import EXIT_CODES_HELP, EXIT_FAILED, EXIT_OK, CliError
from .stores import open_store, refuse_password

__all__ = ["add_dashboard_command", "run_dashboard"]

DASHBOARD_EPILOG = f"""\
examples:
  export SMARTERPROCTORING_TOKEN=...        # or --token-file PATH
  smarterproctoring-async dashboard --install AI...      # http://127.0.0.1:8050/
  smarterproctoring-async dashboard --install AI... --store sqlite:///smarterproctoring.db
  smarterproctoring-async dashboard --install AI... --redis-url redis://cache:6379/0

The page shows exam volume and exams by week, appointment volume by hour and day,
modality, service and proctor volume, the unscheduled learners (with a CSV download)
and, with --store, the sync health from the store's run log. Each report is fetched
at most once per --cache-ttl seconds and says how old it is.

{CONNECTION_HELP}

{EXIT_CODES_HELP}
"""


def _port(text: str) -> int:
    value = int(text) if text.isdigit() else -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"not a port number (0-65535): {text!r}")
    return value


def add_dashboard_command(
    commands: argparse._SubParsersAction[Any], common: dict[str, Any]
) -> None:
    """``dashboard --install AI… [--store URL] [--port 8050] …``."""
    parser = commands.add_parser(
        "dashboard", help="serve the operations dashboard (a local web page)",
        description="Serve the install's operations dashboard (the guide's Pattern 3) as a "
        "local web page until Ctrl-C.",
        epilog=DASHBOARD_EPILOG, **common,
    )  # fmt: skip
    parser.add_argument("--install", required=True, metavar="AI…", help="the install")
    parser.add_argument(
        "--store", metavar="URL",
        help="show the sync health of this store (sqlite:///path.db or "
        "postgresql://user@host/database; none by default)",
    )  # fmt: skip
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=8050, help="default: 8050 (0: any free)")
    parser.add_argument(
        "--listen-anywhere", action="store_true",
        help="allow a --host that is not loopback (the page shows learners' names and emails)",
    )  # fmt: skip
    parser.add_argument(
        "--cache-ttl", type=positive_float, default=900.0, metavar="SECONDS",
        help="how long a report is reused before it is asked again (default: 900, the "
        "guide's 15 minutes)",
    )  # fmt: skip
    parser.add_argument(
        "--redis-url", metavar="URL", default=os.environ.get(REDIS_URL_ENV) or None,
        help=f"share the report cache through Redis (default: ${REDIS_URL_ENV}, which keeps "
        "a password off the command line; needs the redis extra)",
    )  # fmt: skip
    add_connection_options(parser)
    parser.set_defaults(run=run_dashboard)


async def run_dashboard(args: argparse.Namespace) -> int:
    """Serve until SIGINT or SIGTERM; ``{"dashboard": URL}`` on stdout once listening."""
    from .. import serve_dashboard  # here: building the parser must not load aiohttp

    store = open_store(refuse_password(args.store, "--store"), "--store", create=False) if (
        args.store is not None
    ) else None  # fmt: skip

    def ready(url: str) -> None:
        sys.stdout.write(json.dumps({"dashboard": url}) + "\n")
        sys.stdout.flush()

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    async with contextlib.AsyncExitStack() as stack:
        client = await stack.enter_async_context(make_client(args))
        if store is not None:
            await stack.enter_async_context(store)
        serving = asyncio.ensure_future(
            serve_dashboard(
                client, args.install, store=store, host=args.host, port=args.port,
                cache_ttl=args.cache_ttl, redis_url=args.redis_url,
                listen_anywhere=args.listen_anywhere, on_ready=ready,
            )
        )  # fmt: skip
        stopping = asyncio.ensure_future(stop.wait())
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        try:
            await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)
            for task in (serving, stopping):
                task.cancel()
            await asyncio.wait({serving, stopping})
        error = None if serving.cancelled() else serving.exception()
        if isinstance(error, OSError):  # the port taken, the address not this machine's
            where = f"{args.host}:{args.port}"
            raise CliError(f"cannot listen on {where}: {error.strerror}", EXIT_FAILED)
        if error is not None:
            raise error
    return EXIT_OK
