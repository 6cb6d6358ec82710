"""``TypedDict`` (and ``Unpack``) from ``typing_extensions``, for the whole package.

pydantic (and so FastAPI) refuses ``typing.TypedDict`` on Python below 3.12: a filter
or stats dict used as a response annotation would crash the application at import.
``typing_extensions``' class is accepted everywhere. This is the one module importing
``typing_extensions`` (an import contract says so).
"""

from __future__ import annotations

from typing_extensions import TypedDict, Unpack

__all__ = ["TypedDict", "Unpack"]
