"""The sync store: synced sessions, their events and annotations in a database.

An optional extra on SQLAlchemy 2 Core: ``pip install 'smarterproctoring-async[store]'``
for SQLite (a file, no server; the default), ``[postgres]`` for PostgreSQL through
psycopg 3. Each session is written in one transaction, so a crash at any point leaves
every session all or nothing; ``client.sync(install, store)`` fills it.

Layout: ``_db`` (the only importer of SQLAlchemy: URLs, engines, column types),
``_schema`` (tables, schema versions and migrations, documented there), ``_values``
(from models to rows: wire JSON, typed values), ``_statements`` (each database
operation as one blocking function), ``_pg_save`` (a session saved on PostgreSQL in one
statement), ``_lock`` (the sync lock on both databases; on PostgreSQL the saves of a
locked sync run on the lock's own connection), ``_snapshot`` (the one read
transaction of ``Store.snapshot``) and ``_store`` (:class:`Store`, the async
face running those functions in threads).
"""

from ._store import Store

__all__ = ["Store"]
