"""Where the command line gets its token and base URL, and how it builds a client.

The token comes from ``SMARTERPROCTORING_TOKEN`` or ``--token-file``, never from an
argument (arguments show in ``ps`` and shell history) and is never printed.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import CliError

if TYPE_CHECKING:
    from .. import Client
    from .._ratelimit import Limiter

__all__ = ["add_connection_options", "make_client", "read_token"]

TOKEN_ENV = "SMARTERPROCTORING_TOKEN"
BASE_URL_ENV = "SMARTERPROCTORING_BASE_URL"

CONNECTION_HELP = f"""\
configuration:
  token     ${TOKEN_ENV}, or --token-file PATH (a file holding only the token);
            never a plain argument, never printed
  base URL  --base-url, else ${BASE_URL_ENV}, else https://api.smarterproctoring.com"""


def positive_int(text: str) -> int:
    """An argparse type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def positive_float(text: str) -> float:
    """An argparse type: a number above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {text}")
    return value


def add_connection_options(parser: argparse.ArgumentParser) -> None:
    """The options of every command that talks to the API."""
    group = parser.add_argument_group("connection")
    group.add_argument(
        "--token-file", metavar="PATH", type=Path,
        help=f"read the token from PATH (default: ${TOKEN_ENV})",
    )  # fmt: skip
    group.add_argument("--base-url", metavar="URL", help=f"API root (default: ${BASE_URL_ENV})")
    group.add_argument(
        "--rate-limit", type=positive_float, default=10.0, metavar="N",
        help="requests per second for the whole run (default: 10, the client's default)",
    )  # fmt: skip
    group.add_argument(
        "--burst", type=positive_int, default=None, metavar="N",
        help="requests that may start at once after a quiet spell (default: one second's "
        "worth of --rate-limit); give a shared budget the burst of the API's own limit",
    )  # fmt: skip
    group.add_argument(
        "--concurrency", type=positive_int, default=16, metavar="N",
        help="requests in flight at once (default: 16)",
    )  # fmt: skip
    group.add_argument(
        "--max-retry-after", type=positive_float, default=60.0, metavar="SECONDS",
        help="longest server-requested pause to wait out; longer: exit 4 (default: 60)",
    )  # fmt: skip


def read_token(args: argparse.Namespace) -> str:
    """The token from ``--token-file`` or the environment; CliError (exit 2) if none."""
    path: Path | None = args.token_file
    if path is not None:
        try:
            token = path.read_text(encoding="utf-8").strip()
        except OSError as error:
            raise CliError(f"cannot read --token-file {path}: {error.strerror}") from None
        if not token:
            raise CliError(f"--token-file {path} is empty")
        return token
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise CliError(f"no token: set ${TOKEN_ENV} or pass --token-file PATH")
    return token


def make_client(args: argparse.Namespace, *, rate_limiter: Limiter | None = None) -> Client:
    """A client configured from the connection options (ConfigurationError: exit 2).

    ``rate_limiter``, if given, is the budget instead of one of ``--rate-limit`` its own.
    """
    from .. import Client, RetryPolicy  # here: building the parser must not load aiohttp

    return Client(
        read_token(args),
        base_url=args.base_url or os.environ.get(BASE_URL_ENV) or None,
        rate_limit=args.rate_limit,
        burst=args.burst,
        max_concurrency=args.concurrency,
        retry=RetryPolicy(max_retry_after=args.max_retry_after),
        rate_limiter=rate_limiter,
    )
