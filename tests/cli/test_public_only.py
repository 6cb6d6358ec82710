"""The command line on the public API only: the import contract stays complete, and the
report options read from public types say what the SDK's own filter tables say."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import smarterproctoring_async
from smarterproctoring_async.cli.report_filters import REPORTS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - 3.10
    tomllib = pytest.importorskip("tomli")

CONTRACT = "The command line (cli/) imports only the package's public names"
PACKAGE = Path(smarterproctoring_async.__file__).parent


def test_the_cli_contract_forbids_every_private_module_of_the_package_root() -> None:
    config = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    (contract,) = [c for c in contracts if c["name"] == CONTRACT]
    private = {
        f"smarterproctoring_async.{path.stem}"
        for path in PACKAGE.iterdir()
        if path.name.startswith("_") and not path.name.startswith("__") and path.suffix == ".py"
    }
    missing = private - set(contract["forbidden_modules"])
    assert not missing, f"add to the contract {CONTRACT!r} in pyproject.toml: {sorted(missing)}"


@pytest.mark.parametrize("name", list(REPORTS))
def test_report_options_match_the_sdk_declaration(name: str) -> None:
    from smarterproctoring_async.resources import reports as declared  # the private tables

    endpoint = getattr(declared, name.replace("-", "_").upper())
    report = REPORTS[name]
    assert report.paginated == endpoint.paginated
    assert list(report.options) == list(endpoint.filters)
    for keyword, spec in endpoint.filters.items():
        option = report.options[keyword]
        assert option.kind == ("text" if spec.kind == "sid" else spec.kind), keyword
        assert option.allowed == spec.allowed and option.required == spec.required, keyword
