"""``SMARTERPROCTORING_LOG=debug|info|warning``: a stderr handler without writing code.

Like ``OPENAI_LOG``: when the variable is set, the first :class:`Client` created in the
process attaches one ``StreamHandler`` (stderr) at that level to the
``smarterproctoring_async`` logger and sets the logger's level. Later clients add
nothing. A value that names no level is reported once, as a :class:`RuntimeWarning`,
and ignored. The log lines themselves never hold the token, a query value or the
server's words (see ``_observe``).
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from collections.abc import Mapping

__all__ = ["LOG_ENV", "configure_from_env"]

LOG_ENV = "SMARTERPROCTORING_LOG"
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_done = False


def configure_from_env(environ: Mapping[str, str] = os.environ) -> logging.Handler | None:
    """Attach the handler ``SMARTERPROCTORING_LOG`` asks for, once per process; the
    handler attached (``None`` when nothing was)."""
    global _done
    if _done:
        return None
    value = environ.get(LOG_ENV)
    if value is None or not value.strip():
        return None
    _done = True
    level = _LEVELS.get(value.strip().lower())
    if level is None:
        warnings.warn(
            f"{LOG_ENV} must be one of {', '.join(_LEVELS)}; got {value[:20]!r}, ignored",
            RuntimeWarning,
            stacklevel=3,
        )
        return None
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter(_FORMAT))
    logger = logging.getLogger("smarterproctoring_async")
    logger.addHandler(handler)
    logger.setLevel(level)
    return handler


def _reset() -> None:
    """Forget that the variable was read (tests)."""
    global _done
    _done = False
