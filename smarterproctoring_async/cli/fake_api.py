"""``fake-api``: the embedded fake API in the foreground, for trying the other commands."""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import signal
import sys
from typing import Any

from .config import positive_int
from .errors import EXIT_OK
from .helptext import FAKE_API_EPILOG

__all__ = ["add_fake_api_command", "run_fake_api"]


def _port(text: str) -> int:
    value = int(text) if text.isdigit() else -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"not a port number (0-65535): {text!r}")
    return value


def _latency(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more seconds, got {text!r}")
    return value


async def run_fake_api(args: argparse.Namespace) -> int:
    """Serve until SIGINT or SIGTERM; the JSON description first, on stdout."""
    # Here, not at the top: building the parser (``--help``) must not load the fake.
    from ..testing import FakeAPI, generate_data
    from ..testing.summary import summary

    data = generate_data(seed=args.seed, exams=args.exams, sessions_per_exam=args.sessions_per_exam)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    token = secrets.token_hex(16)
    async with FakeAPI(data, token=token, host=args.host, port=args.port, latency=args.latency,
                       request_log_size=0) as fake:  # fmt: skip
        sys.stdout.write(json.dumps(summary(fake.base_url, fake.token, data)) + "\n")
        sys.stdout.flush()
        await stop.wait()
    return EXIT_OK


def add_fake_api_command(commands: argparse._SubParsersAction[Any], common: dict[str, Any]) -> None:
    """``fake-api [--port N] [--seed N] …``."""
    fake = commands.add_parser(
        "fake-api", help="run the embedded fake API until Ctrl-C",
        description="Serve the embedded fake API in the foreground, for trying the other "
        "commands or testing the non-Python parts of a stack.",
        epilog=FAKE_API_EPILOG, **common,
    )  # fmt: skip
    fake.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1")
    fake.add_argument("--port", type=_port, default=0, help="default: 0, picked by the OS")
    fake.add_argument("--seed", type=int, default=0, help="data set seed (default: 0)")
    fake.add_argument("--exams", type=positive_int, default=3, help="exams (default: 3)")
    fake.add_argument(
        "--sessions-per-exam", type=positive_int, default=10, metavar="N",
        help="sessions per exam (default: 10)",
    )  # fmt: skip
    fake.add_argument(
        "--latency", type=_latency, default=0.0, metavar="SECONDS", help="added to every answer"
    )
    fake.set_defaults(run=run_fake_api)
