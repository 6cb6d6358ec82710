"""Public TypedDicts (and ClientStats) as pydantic/FastAPI annotations on Python 3.10+."""

from __future__ import annotations

import ast
from pathlib import Path

import pydantic
import pytest
from typing_extensions import is_typeddict

import smarterproctoring_async as sp
from smarterproctoring_async import stats

PACKAGE = Path(sp.__file__).parent
PUBLIC_TYPED_DICTS = sorted(
    name for name in sp.__all__ if name != "errors" and is_typeddict(getattr(sp, name))
)


def test_every_public_typed_dict_is_found() -> None:
    assert {"AppointmentFilters", "SessionEventFilters", "ExamVolumeFilters"} <= set(
        PUBLIC_TYPED_DICTS
    )


@pytest.mark.parametrize("name", [*PUBLIC_TYPED_DICTS, "stats.StatsDict"])
def test_pydantic_accepts_it(name: str) -> None:
    kind = getattr(stats, name[6:]) if name.startswith("stats.") else getattr(sp, name)
    adapter = pydantic.TypeAdapter(kind)
    assert adapter.json_schema()["type"] == "object"


def test_client_stats_serialises_as_its_dict() -> None:
    counts = sp.ClientStats()
    counts.for_route("/v1/check").requests += 3
    adapter = pydantic.TypeAdapter(sp.ClientStats)
    assert adapter.dump_python(adapter.validate_python(counts)) == counts.as_dict()
    assert adapter.json_schema(mode="serialization")["title"] == "StatsDict"
    with pytest.raises(pydantic.ValidationError):
        adapter.validate_python({"requests": 3})


def test_no_module_takes_typed_dict_from_typing() -> None:
    found = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module == "typing"
                and any(alias.name == "TypedDict" for alias in node.names)
            ):
                found.append(str(path.relative_to(PACKAGE)))
    assert found == []
