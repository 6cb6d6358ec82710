"""The one module that imports pandas, only when a frame is first built.

:func:`pandas_off_loop` imports it in a worker thread: the import takes most of a
second, and in a notebook or a service that second would stall every task of the
event loop.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, TypeAlias

import anyio.to_thread

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped, unused-ignore]

    #: For annotations elsewhere in the package (pandas is imported here only).
    DataFrame: TypeAlias = pd.DataFrame

__all__ = ["pandas", "pandas_off_loop"]

_INSTALL_HINT = "pip install 'smarterproctoring-async[pandas]'"
_ready: list[Any] = []  # pandas, once imported and warmed up


def pandas() -> Any:
    """The pandas module (imported now if it was not), or an ImportError saying what
    to install."""
    if _ready and sys.modules.get("pandas") is _ready[0]:
        return _ready[0]
    try:
        import pandas as module  # type: ignore[import-untyped, unused-ignore]
    except ImportError as exc:
        raise ImportError(
            f"DataFrames need pandas, which is not installed: {_INSTALL_HINT}", name="pandas"
        ) from exc
    # pandas loads the code of some dtypes (and pyarrow, for its string storage) on
    # first use: building one frame of each here keeps that off the caller too.
    module.DataFrame(
        {
            "string": module.array(["a", None], dtype="string"),
            "Int64": module.array([1, None], dtype="Int64"),
            "Float64": module.array([1.5, None], dtype="Float64"),
            "boolean": module.array([True, None], dtype="boolean"),
            "date": module.to_datetime(["2025-01-01T00:00:00Z", None], utc=True),
        }
    )
    _ready[:] = [module]
    return module


async def pandas_off_loop() -> Any:
    """:func:`pandas`, imported in a worker thread the first time."""
    if _ready and sys.modules.get("pandas") is _ready[0]:
        return _ready[0]
    return await anyio.to_thread.run_sync(pandas)
