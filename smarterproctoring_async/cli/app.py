"""The ``smarterproctoring-async`` parser, and the one place errors become exit codes.

Loaded by :func:`smarterproctoring_async.cli.main` inside its Ctrl-C guard: an
interrupt while these imports run is reported like one during a command.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from ..errors import (
    AuthenticationError,
    ConfigurationError,
    InvalidFilterError,
    InvalidSidError,
    RateLimitError,
    SmarterProctoringError,
    StoreBusyError,
    TransportError,
)
from . import raise_on_ctrl_c
from .console import configured
from .dashboard import add_dashboard_command
from .demo import add_demo_command
from .errors import (
    EXIT_AUTH,
    EXIT_BROKEN_PIPE,
    EXIT_BUSY,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_RATE_LIMITED,
    EXIT_USAGE,
    INTERRUPTED,
    PROG,
    STDOUT,
    CliError,
    fail,
    naming,
)
from .export import add_export_command, legacy_message
from .fake_api import add_fake_api_command
from .helptext import MAIN_EPILOG
from .report import add_report_command
from .sync import add_sync_command

__all__ = ["build_parser", "run", "version"]


def version() -> str:
    """The installed distribution's version, else the package's ``__version__``."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed(PROG)
    except PackageNotFoundError:
        from .. import __version__

        return str(__version__)


def build_parser() -> argparse.ArgumentParser:
    """The whole command line."""
    common: dict[str, Any] = {"formatter_class": argparse.RawDescriptionHelpFormatter}
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="The SmarterProctoring reporting API from the command line: sync into a "
        "database, export files from it, reports, and a demo against the embedded fake API.",
        epilog=MAIN_EPILOG,
        **common,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_sync_command(commands, common)
    add_export_command(commands, common)
    add_report_command(commands, common)
    add_dashboard_command(commands, common)
    add_demo_command(commands, common)
    add_fake_api_command(commands, common)
    return parser


def run(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default: ``sys.argv[1:]``), run the command; the exit code."""
    legacy = legacy_message(sys.argv[1:] if argv is None else argv)
    if legacy is not None:  # before parsing: the old jobs' options are not this parser's
        return fail(legacy, EXIT_USAGE)
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # argparse: --help, --version (0) and usage errors (2)
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    import asyncio  # here: --help and usage errors do without it

    try:
        # A write() or flush() that fails (a full disk) names no file: name what this
        # command writes to, its --out directory if it has one, else standard output.
        with configured(args):
            with naming(getattr(args, "out", None) or STDOUT):
                raise_on_ctrl_c()
                code: int = asyncio.run(args.run(args))
            # Inside the guard: output still buffered would otherwise meet a closed pipe
            # or a full disk at the interpreter's exit, as "Exception ignored ...".
            with naming(STDOUT):
                sys.stdout.flush()
    except BrokenPipeError:
        _drop_stdout()
        return EXIT_BROKEN_PIPE
    except CliError as error:
        return fail(str(error), error.code)
    except (InvalidFilterError, InvalidSidError, ConfigurationError) as error:
        return fail(str(error), EXIT_USAGE)
    except AuthenticationError as error:
        # The token itself is refused. A PermissionDeniedError (one resource outside the
        # token's scope, e.g. the report of an install it may not read) is exit 1 below.
        return fail(f"authentication failed: {error}", EXIT_AUTH)
    except StoreBusyError as error:
        return fail(str(error), EXIT_BUSY)
    except RateLimitError as error:
        if error.pause_exceeded:
            return fail(f"rate-limited beyond --max-retry-after: {error}", EXIT_RATE_LIMITED)
        return fail(f"rate-limited: {error}", EXIT_FAILED)
    except SmarterProctoringError as error:
        message = f"{type(error).__name__}: {error}"
        host: str | None = getattr(args, "api_host", None)
        if isinstance(error, TransportError) and host and host not in message:
            message += f" (API at {host})"  # a timeout names the request, not the host
        return fail(message, EXIT_FAILED)
    except OSError as error:
        if error.filename == STDOUT:
            _drop_stdout()  # reported here once, not again at the interpreter's exit
        return fail(f"{error.strerror or error}: {error.filename or '?'}", EXIT_FAILED)
    except KeyboardInterrupt:
        return fail(INTERRUPTED, EXIT_INTERRUPTED)
    return code


def _drop_stdout() -> None:
    """Point standard output at the null device: its reader is gone or its disk full.

    Whatever is still buffered is then flushed to nowhere at the interpreter's exit,
    instead of failing once more there (which Python reports as "Exception ignored ...
    BrokenPipeError" and exit code 120). On a closed pipe this is how ``cat`` and
    ``ls`` end too: quietly, with no more output.
    """
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError):  # not a real file (captured, replaced): nothing to do
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)
