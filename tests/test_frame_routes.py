"""Every list route's DataFrame, against the fake API: nullable dtypes (``object`` only
for the documented cases), timezone-aware dates, and column names by the one rule."""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
import re
from typing import Any

import pandas as pd
import pytest

import smarterproctoring_async as sp
from smarterproctoring_async import frames
from smarterproctoring_async import resources as handles_package
from smarterproctoring_async._endpoint import Endpoint
from smarterproctoring_async.testing import FakeAPI, generate_data

from .test_contract import WALK, handles_of, sample


def list_endpoints() -> dict[str, Endpoint[Any]]:
    """Every paginated endpoint declared in ``resources/``, by its constant's name."""
    found: dict[str, Endpoint[Any]] = {}
    for info in pkgutil.iter_modules(handles_package.__path__):
        module = importlib.import_module(f"{handles_package.__name__}.{info.name}")
        for name, value in vars(module).items():
            if isinstance(value, Endpoint) and value.paginated:
                found[name] = value
    return found


LISTS = list_endpoints()
COLUMN = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")
ZONED = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}.*(Z|[+-]\d{2}:?\d{2})")
NULLABLE = {"Int64", "Float64", "boolean"}


def test_the_list_routes_were_found() -> None:
    assert len(LISTS) >= 20 and {"APPOINTMENTS", "EXAM_EVENTS", "EVENT_TYPES"} <= set(LISTS)
    assert set(LISTS) <= set(WALK), "a list route test_contract does not walk"


@pytest.fixture(scope="module")
def frames_by_route() -> dict[str, pd.DataFrame]:
    """Each list route's frame, fetched once for the module's tests."""
    return asyncio.run(fetch_frames())


async def fetch_frames() -> dict[str, pd.DataFrame]:
    data = generate_data(seed=2, sessions_per_exam=8, events=(1, 4))
    async with FakeAPI(data) as fake:
        session = next(
            s for s in fake.data.sessions if s.events and s.annotations and s.status == "Closed"
        )
        course = str(fake.data.exam(session.exam_sid)["courseSid"])
        options: dict[str, Any] = {"rate_limit": None, "cache_ttl": None}
        async with sp.Client(fake.token, base_url=fake.base_url, **options) as client:
            handles = handles_of(client, fake, session, course)
            found: dict[str, pd.DataFrame] = {}
            for name, endpoint in LISTS.items():
                required = {k: sample(f) for k, f in endpoint.filters.items() if f.required}
                paginator = WALK[name](handles)(**required)
                found[name] = await paginator.to_dataframe()
    return found


def allowed_object(column: pd.Series) -> bool:
    """The documented ``object`` columns: JSON objects and arrays, whole numbers beyond
    64 bits, mixed kinds, a field null in every row."""
    present = [value for value in column if value is not None]
    if not present:
        return True
    kinds = {type(value) for value in present}
    if kinds <= {dict, list}:
        return True
    if kinds == {int}:
        return any(not -(2**63) <= value < 2**63 for value in present)
    return len(kinds) > 1 and not kinds <= {int, float}


@pytest.mark.parametrize("name", sorted(LISTS))
def test_a_list_routes_frame(name: str, frames_by_route: dict[str, pd.DataFrame]) -> None:
    df = frames_by_route[name]
    assert len(df) > 0, f"{name}: the fake sent no row to check"
    names = list(df.columns)
    assert [c for c in names if not COLUMN.fullmatch(c)] == [], "not snake_case"
    assert len(set(names)) == len(names)
    parents = [c for c in frames.PARENT_COLUMNS if c in names]
    assert names[: len(parents)] == parents, "the parent SIDs come first"
    for column in names:
        dtype, values = df[column].dtype, df[column]
        where = f"{name}.{column} ({dtype})"
        if isinstance(dtype, pd.DatetimeTZDtype):
            assert str(dtype.tz) == "UTC", where
        elif isinstance(dtype, pd.StringDtype):
            assert dtype.na_value is pd.NA, where  # nullable, not pandas 3's "str"
            dates = [v for v in values.dropna() if ZONED.fullmatch(v)]
            assert not dates or len(dates) < values.notna().sum(), f"{where}: dates as text"
        elif str(dtype) == "object":
            assert allowed_object(values), f"{where}: {values.dropna().head(3).tolist()}"
        else:
            assert str(dtype) in NULLABLE, where


def test_events_have_the_same_columns_by_every_route(
    frames_by_route: dict[str, pd.DataFrame],
) -> None:
    per_session = frames_by_route["SESSION_EVENT_REPORTS"]
    exam_level = frames_by_route["EXAM_EVENTS"]
    assert list(exam_level.columns[: len(per_session.columns)]) == list(per_session.columns)
    for column in per_session.columns:
        assert exam_level[column].dtype == per_session[column].dtype, column
