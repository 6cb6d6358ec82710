"""The sync engine: an install's terminal sessions into a store, exactly once.

``client.sync(install, store, ...)`` (see :class:`~smarterproctoring_async.Client`)
is the entry point; this package is what it runs:

- ``_options``: every argument checked once, into one frozen :class:`SyncOptions`;
- ``_engine``: the store's lock, the run in its log, passes (``follow``), windows;
- ``_pass``: one pass: the report read once, shard and version filters, the install
  plan's fetches, each result saved as it arrives;
- ``_versions``, ``_shard``, ``_window``, ``_clock``: the pieces each of those needs;
- ``_summary``: :class:`SyncSummary`, what a sync returns.

It uses the store only through the methods ``_store_face.SyncStore`` lists, and never
imports the store's database driver.
"""

# Only the light public pieces: ``sp.shard_of`` and ``sp.SyncSummary`` load no client.
from ._shard import shard_of
from ._summary import SyncSummary

__all__ = ["SyncSummary", "shard_of"]
