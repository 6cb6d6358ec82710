"""The ``smarterproctoring-async`` command line (also ``python -m smarterproctoring_async``).

Commands: ``export sessions`` and ``export exam-events`` (resumable, incremental exports
to JSON Lines, CSV or Parquet), ``report`` (any install-level report), ``demo`` (the SDK
against the embedded fake API) and ``fake-api`` (that fake in the foreground). This
package is an application on top of the library: ``import smarterproctoring_async``
never loads it, and it is the only part of the product that uses the fake (``testing``).
"""

from .app import main

__all__ = ["main"]
