"""Exit codes of the command line, and the one error type commands raise to use them."""

from __future__ import annotations

import sys

__all__ = [
    "EXIT_AUTH",
    "EXIT_CODES_HELP",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_RATE_LIMITED",
    "EXIT_USAGE",
    "INTERRUPTED",
    "PROG",
    "CliError",
    "fail",
]

PROG = "smarterproctoring-async"

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_RATE_LIMITED = 4
EXIT_INTERRUPTED = 130

#: What Ctrl-C prints, whenever it comes (exit code EXIT_INTERRUPTED).
INTERRUPTED = "interrupted; run the same command again to resume"

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
  130  interrupted (Ctrl-C); an export resumes where it stopped when run again"""


class CliError(Exception):
    """A failure the command line reports as one line on stderr with an exit code."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


def fail(message: str, code: int) -> int:
    """Write ``message`` as the command's one error line on stderr; ``code``."""
    line = " ".join(str(message).split())  # one line, whatever the message holds
    sys.stderr.write(f"{PROG}: error: {line}\n")
    sys.stderr.flush()
    return code
