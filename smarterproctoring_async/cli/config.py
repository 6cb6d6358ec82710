"""Where the command line gets its token and base URL, and how it builds a client.

The token comes from ``SMARTERPROCTORING_TOKEN`` or ``--token-file``, never from an
argument (arguments show in ``ps`` and shell history) and is never printed.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .console import add_output_options
from .errors import CliError

if TYPE_CHECKING:
    from .. import Client, Limiter

__all__ = ["add_connection_options", "connected", "make_client", "read_token"]

TOKEN_ENV = "SMARTERPROCTORING_TOKEN"
#: The most --token-file may hold. A JWT is well under 8 KiB; the cap keeps a wrong path
#: (/dev/zero, a log file, a disk image) from being read into memory whole.
TOKEN_FILE_MAX = 64 * 1024
BASE_URL_ENV = "SMARTERPROCTORING_BASE_URL"

CONNECTION_HELP = f"""\
configuration:
  token     ${TOKEN_ENV}, or --token-file PATH (a UTF-8 text file of at most
            64 KiB holding only the token; whitespace around it is dropped);
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
    if not 0 < value < float("inf"):  # nan fails both comparisons
        raise argparse.ArgumentTypeError(f"must be a finite number above 0, got {text}")
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
    group.add_argument(
        "--timeout", type=positive_float, default=None, metavar="SECONDS",
        help="the most one request may take, its retries, pauses and rate-limit waits "
        "included; then the command fails naming the host (default: each attempt up to "
        "30 s, 4 attempts)",
    )  # fmt: skip
    add_output_options(parser)


def read_token(args: argparse.Namespace) -> str:
    """The token from ``--token-file`` or the environment; CliError (exit 2) if none.

    Every refusal of the file is one line naming it, and never quotes its content.
    """
    path: Path | None = args.token_file
    if path is not None:
        return _token_in(path)
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise CliError(f"no token: set ${TOKEN_ENV} or pass --token-file PATH")
    return token


def _token_in(path: Path) -> str:
    try:
        with path.open("rb") as file:
            # One byte over the cap tells "too big" apart without reading the rest.
            data = file.read(TOKEN_FILE_MAX + 1)
    except OSError as error:
        raise CliError(f"cannot read --token-file {path}: {error.strerror or error}") from None
    if len(data) > TOKEN_FILE_MAX:
        raise CliError(
            f"--token-file {path} holds more than {TOKEN_FILE_MAX // 1024} KiB: not a token file"
        )
    try:
        token = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise CliError(f"--token-file {path} is not UTF-8 text: not a token file") from None
    if not token:
        raise CliError(f"--token-file {path} is empty")
    # The client refuses these too, but its message cannot say which file held them.
    if not (token.isascii() and token.isprintable()):
        raise CliError(
            f"--token-file {path} must hold only the token: it has a line break, a control "
            "or a non-ASCII character in it"
        )
    return token


def make_client(args: argparse.Namespace, *, rate_limiter: Limiter | None = None) -> Client:
    """A client configured from the connection options (ConfigurationError: exit 2).

    ``rate_limiter``, if given, is the budget instead of one of ``--rate-limit`` its own.
    ``--timeout`` is both the retry deadline (the whole request) and the time one
    attempt may take: the transport clips each attempt to what is left of the deadline.
    """
    from .. import Client, RetryPolicy  # here: building the parser must not load aiohttp

    timeout: float | None = args.timeout
    # Passed only when given: otherwise the client's own default attempt timeout holds.
    options: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
    return Client(
        read_token(args),
        base_url=args.base_url or os.environ.get(BASE_URL_ENV) or None,
        rate_limit=args.rate_limit,
        burst=args.burst,
        max_concurrency=args.concurrency,
        retry=RetryPolicy(max_retry_after=args.max_retry_after, deadline=timeout),
        rate_limiter=rate_limiter,
        **options,
    )


@asynccontextmanager
async def connected(
    args: argparse.Namespace, *, rate_limiter: Limiter | None = None, watch: bool = True
) -> AsyncIterator[Client]:
    """:func:`make_client` opened, with a notice on stderr when it waits long (``waiting``).

    ``watch=False`` drops that notice: a command that sleeps on purpose (``sync
    --follow`` between passes) would otherwise report each of its own sleeps.

    Records the API's ``host:port`` as ``args.api_host``: the SDK's timeout errors name
    the request but not the host, and the command's error line should say which.
    """
    from .waiting import host_of, watching  # here: --help need not load asyncio

    async with (
        make_client(args, rate_limiter=rate_limiter) as client,
        watching(client, args.timeout if watch else None, enabled=watch),
    ):
        args.api_host = host_of(client.base_url)
        yield client
