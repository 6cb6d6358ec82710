"""``--to`` / ``--from``: which store a command uses, checked before anything is opened.

A database password never comes from an argument (arguments show in ``ps`` and shell
history) and is never printed: a URL holding one is refused with a line saying where
the password goes instead (``PGPASSWORD`` or ``~/.pgpass``, which psycopg reads
itself). Refusing, rather than quietly stripping it, keeps a job from connecting
without the password it was given and failing later with a less clear error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

from .errors import CliError

if TYPE_CHECKING:
    from .. import Store

__all__ = ["DEFAULT_STORE", "STORE_HELP", "open_store", "refuse_password"]

#: The store when none is named: an SQLite file in the working directory.
DEFAULT_STORE = "sqlite:///smarterproctoring.db"

STORE_HELP = (
    "the store: sqlite:///relative.db, sqlite:////absolute.db or "
    "postgresql://user@host[:port]/database; a password goes in $PGPASSWORD or "
    f"~/.pgpass, never here (default: {DEFAULT_STORE})"
)


def refuse_password(url: str, option: str) -> str:
    """``url`` if it holds no password; else CliError (exit 2) that does not quote it."""
    try:
        parts = urlsplit(url)
        password = parts.password
        query = parse_qsl(parts.query, keep_blank_values=True)
    except ValueError:
        raise CliError(f"{option}: not a database URL (e.g. {DEFAULT_STORE})") from None
    if password or any(key.lower() == "password" for key, _ in query):
        raise CliError(
            f"{option} holds a password: remove it from the URL and set $PGPASSWORD or "
            "~/.pgpass instead (arguments show in ps and shell history)"
        )
    return url


def open_store(url: str, option: str, *, create: bool = True) -> Store:
    """A :class:`~smarterproctoring_async.Store` for ``url`` (not opened yet); with
    ``create=False`` opening it fails (StoreError) where there is no store yet.

    A missing extra (SQLAlchemy, psycopg) is CliError, exit 2, with its pip line.
    """
    checked = refuse_password(url, option)
    try:
        from .. import Store  # here: --help must not load the store (nor SQLAlchemy)

        return Store(checked, create=create)
    except ImportError as error:
        # The store's own message names the pip line of the extra it needs.
        raise CliError(f"{option}: {error}") from None
