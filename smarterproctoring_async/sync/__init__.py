"""The bulk plans and the sync engine: many sessions' results, and an install's
terminal sessions into a store, exactly once.

The client's bulk methods (``stream_``/``gather_session_results``, ``_exam_results``,
``_install_results``) run the plans:

- ``_bulk_options``: every bulk argument checked once, into one frozen ``BulkOptions``
  (``concurrency`` means the same everywhere);
- ``_plans``: ``SessionsPlan`` and ``ExamsPlan``, each with ``.stream()`` and
  ``.gather()``; where an exam-level run's report rows come from;
- ``_sessions``: one session's fetch; ``_exam_plan`` (with ``_exam_level``,
  ``_exam_sessions``, ``_slots``): one exam's, its events through the exam-level list
  where cheaper.

``client.sync(install, store, ...)`` (see :class:`~smarterproctoring_async.Client`)
runs the install plan into a store:

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
