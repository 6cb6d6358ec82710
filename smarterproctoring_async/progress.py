"""A tqdm progress bar for the bulk methods, in one line::

    from smarterproctoring_async.progress import progress_bar

    results = await client.gather_session_results(refs, on_progress=progress_bar())

This is the only module that imports tqdm, and only when a bar is made: install the
extra with ``pip install 'smarterproctoring-async[progress]'``. The bar is
``tqdm.auto``'s, so it is a widget in Jupyter (with ipywidgets installed) and text in a
terminal.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

__all__ = ["ProgressBar", "progress_bar"]

_INSTALL_HINT = "pip install 'smarterproctoring-async[progress]'"


def progress_bar(**tqdm_kwargs: object) -> ProgressBar:
    """A bar to pass as ``on_progress=``; the keywords go to ``tqdm`` (``desc=``,
    ``file=``, ``leave=``, ``total=``...). Made now, so it shows before the first result."""
    return ProgressBar(**tqdm_kwargs)


class ProgressBar:
    """An ``on_progress(done, total, failed)`` callback drawing a tqdm bar.

    The bar counts finished sessions (failed and skipped ones included); calls after
    it closed change nothing. A total that
    is not known at first (a paginator as input says it with its first page) is set
    when it arrives. The failures are in the postfix (``failed=2``). The bar closes
    itself once ``done`` reaches the total; as a context manager it is also closed on
    leaving the block, however the run ended (a run that ended early leaves the bar
    short of its total).
    """

    def __init__(self, **tqdm_kwargs: object) -> None:
        options: dict[str, Any] = {"unit": "session", **tqdm_kwargs}
        self._bar = _tqdm()(**options)
        self._failed = 0
        self._bar.set_postfix(failed=0, refresh=False)

    @property
    def closed(self) -> bool:
        """Whether the bar has been closed (by reaching its total, or by :meth:`close`)."""
        return bool(self._bar.disable)

    def __call__(self, done: int, total: int | None, failed: int) -> None:
        """Show ``done`` of ``total`` (``None``: not known yet), ``failed`` of them failed."""
        bar = self._bar
        if total is not None and total != bar.total:
            # reset() is the one call that also resizes the Jupyter widget's bar; it
            # restarts the clock too, which would hide the time spent so far.
            started = bar.start_t
            bar.reset(total=total)
            bar.start_t = started
        if failed != self._failed:
            self._failed = failed
            bar.set_postfix(failed=failed, refresh=False)
        bar.update(done - bar.n)
        if total is not None and done >= total:
            bar.close()

    def close(self) -> None:
        """Close the bar (drawn once more, as it stands); closing again does nothing."""
        self._bar.close()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _tqdm() -> Any:
    try:
        from tqdm.auto import tqdm  # type: ignore[import-untyped, unused-ignore]
    except ImportError as exc:
        raise ImportError(
            f"progress bars need tqdm, which is not installed: {_INSTALL_HINT}", name="tqdm"
        ) from exc
    return tqdm
