"""Exit codes of the command line, and the one error type commands raise to use them."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from .terminal import shown

__all__ = [
    "EXIT_AUTH",
    "EXIT_BROKEN_PIPE",
    "EXIT_BUSY",
    "EXIT_CODES_HELP",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_RATE_LIMITED",
    "EXIT_TERMINATED",
    "EXIT_USAGE",
    "INTERRUPTED",
    "PROG",
    "STDOUT",
    "TERMINATED",
    "CliError",
    "fail",
    "naming",
]

PROG = "smarterproctoring-async"
#: How an error names the command's standard output (see :func:`naming`).
STDOUT = "standard output"

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_RATE_LIMITED = 4
#: Another sync holds the store's lock for this install (or shard): a scheduler can
#: tell "already running" apart from a failure and simply try again later.
EXIT_BUSY = 5
EXIT_INTERRUPTED = 130
#: Stopped by SIGTERM (128 + 15, what the shell reports for a process it ends).
EXIT_TERMINATED = 143
#: Standard output was closed by its reader (``| head``): what ``cat`` and ``ls`` give,
#: since SIGPIPE ends them and the shell reports 128 + 13. A pipeline under ``set -o
#: pipefail`` then fails, as it does with those tools.
EXIT_BROKEN_PIPE = 141

#: What Ctrl-C prints, whenever it comes (exit code EXIT_INTERRUPTED).
INTERRUPTED = "interrupted; run the same command again to resume"
#: What SIGTERM prints (exit code EXIT_TERMINATED).
TERMINATED = "stopped by SIGTERM; run the same command again to resume"

EXIT_CODES_HELP = """\
exit codes:
  0    everything asked for was done
  1    some sessions failed (a 401/403 on some exams or sessions only, outside the
       token's scope, included), or the API (or the Redis of --redis-url) could not
       be reached (see the messages)
  2    usage: a bad option or value, a missing token, a missing optional package
  3    authentication failed: the token itself no longer works (bad, expired or
       revoked; /v1/check refuses it too)
  4    rate-limited: the server asked to pause longer than --max-retry-after
  5    the store is busy: another sync of this install (or shard) holds its lock
  130  interrupted (Ctrl-C); a sync resumes where it stopped when run again (the
       session being saved is committed or rolled back, never half)
  141  standard output was closed early (e.g. `| head -1`): nothing more is
       written and nothing is printed, as with cat or ls (128 + SIGPIPE)
  143  stopped by SIGTERM, as cleanly as by Ctrl-C"""


class CliError(Exception):
    """A failure the command line reports as one line on stderr with an exit code."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


@contextmanager
def naming(where: object) -> Iterator[None]:
    """Name ``where`` (a path, "standard output") in an OSError that names no file.

    A failed ``write()`` or ``flush()`` (a full disk: ENOSPC) carries no file name, so
    the error line would not say which output failed.
    """
    try:
        yield
    except OSError as error:
        # errno set: a system call failed (the SDK's TimeoutError is an OSError too, with
        # no errno, and names its host itself). A closed pipe is not an error to report.
        if error.filename is None and error.errno and not isinstance(error, BrokenPipeError):
            error.filename = str(where)
        raise


def fail(message: str, code: int) -> int:
    """Write ``message`` as the command's one error line on stderr; ``code``.

    The message may quote the server (an API error's text): its control characters are
    escaped and its line breaks folded, so it stays one inert line on a terminal.
    """
    line = " ".join(shown(str(message)).split())
    sys.stderr.write(f"{PROG}: error: {line}\n")
    sys.stderr.flush()
    return code
