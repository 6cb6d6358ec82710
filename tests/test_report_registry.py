"""``sp.REPORTS``, the one registry of install-level reports, against ``sp.Reports``.

Every public method of ``Reports`` is a report and must be in the registry (else it
stays out of the command line and the dashboard); each entry says truly how the method
is called (its filters' ``TypedDict``, list or one object, cached or not).
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.cli.app import build_parser
from smarterproctoring_async.testing import FakeAPI

from .conftest import MakeClient

METHODS = sorted(
    name
    for name, member in vars(sp.Reports).items()
    if not name.startswith("_") and inspect.isfunction(member)
)


def test_every_report_method_is_in_the_registry() -> None:
    registered = sorted(spec.method for spec in sp.REPORTS.values())
    assert registered == METHODS


@pytest.mark.parametrize("name", list(sp.REPORTS))
def test_an_entry_says_how_its_method_is_called(name: str) -> None:
    spec = sp.REPORTS[name]
    assert spec.name == name == spec.method.replace("_", "-")
    method = getattr(sp.Reports, spec.method)
    assert spec.paginated == (not inspect.iscoroutinefunction(method))
    parameters = inspect.signature(method).parameters
    assert spec.cached == ("cache" in parameters)
    if spec.filters is None:
        assert "filters" not in parameters
    else:  # ``**filters: Unpack[SomeFilters]``, a string (postponed annotations)
        assert parameters["filters"].annotation == f"Unpack[{spec.filters.__name__}]"
    assert spec.summary and "``" not in spec.summary


def test_the_report_command_offers_exactly_the_registry() -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command")
    report = commands.choices["report"]  # type: ignore[index]
    names = next(a for a in report._actions if a.dest == "report")
    assert list(names.choices) == list(sp.REPORTS)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", list(sp.REPORTS))
async def test_fetch_returns_what_the_entry_says(
    name: str, fake: FakeAPI, make_client: MakeClient
) -> None:
    spec = sp.REPORTS[name]
    reports = make_client().install(str(fake.data.installs[0]["sid"])).reports
    filters: dict[str, Any] = {"sort_by": "examTitle"} if name == "exam-overview" else {}
    answer = await spec.fetch(reports, cache=False, **filters)
    if spec.paginated:
        assert isinstance(answer, list) and all(isinstance(r, spec.model) for r in answer)
    else:
        assert isinstance(answer, spec.model)
