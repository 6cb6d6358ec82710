"""``report NAME``: any install-level report, with its typed filters as options.

The options of each report come from the SDK's own declaration of it (the
``TypedDict`` of its filters, read through the endpoint's filter table), so they
match what the method accepts; values are checked by the SDK, which raises
``InvalidFilterError`` (exit 2) before any request.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping
from typing import Any

from .._endpoint import Endpoint
from .._filters import Filter
from ..resources import reports as declared
from .config import add_connection_options, make_client, positive_int
from .errors import EXIT_OK, CliError
from .helptext import REPORT_EPILOG
from .table import columns_of, write_csv, write_json, write_table
from .values import parse_flag, parse_when

__all__ = ["REPORTS", "add_report_command", "describe_reports", "run_report"]

#: Command-line name -> (the ``Reports`` method, its declaration).
REPORTS: Mapping[str, tuple[str, Endpoint[Any]]] = {
    "session-events": ("session_events", declared.SESSION_EVENTS),
    "appointments": ("appointments", declared.APPOINTMENTS),
    "unscheduled-learners": ("unscheduled_learners", declared.UNSCHEDULED_LEARNERS),
    "exam-volume": ("exam_volume", declared.EXAM_VOLUME),
    "exams-by-week": ("exams_by_week", declared.EXAMS_BY_WEEK),
    "service-distribution": ("service_distribution", declared.SERVICE_DISTRIBUTION),
    "appointment-volume": ("appointment_volume", declared.APPOINTMENT_VOLUME),
    "exam-type-stats": ("exam_type_stats", declared.EXAM_TYPE_STATS),
    "modality-distribution": ("modality_distribution", declared.MODALITY_DISTRIBUTION),
    "proctor-volume": ("proctor_volume", declared.PROCTOR_VOLUME),
    "exam-overview": ("exam_overview", declared.EXAM_OVERVIEW),
    "audit": ("audit", declared.AUDIT),
    "churn": ("churn", declared.CHURN),
    "session-requests": ("session_requests", declared.SESSION_REQUESTS),
}


def _plain(doc: str | None) -> str:
    """The first line of a docstring without reStructuredText markup."""
    first = (doc or "").strip().split("\n")[0]
    return re.sub(r":[a-z]+:`~?([^`]*)`", r"\1", first).replace("``", "")


def _option(keyword: str) -> str:
    return "--" + keyword.replace("_", "-")


def _usage_of(spec: Filter) -> str:
    if spec.kind in ("choice", "choices"):
        text = "|".join(spec.allowed)
        return f"{{{text}}}" + (" (repeatable)" if spec.kind == "choices" else "")
    return {
        "sid": "SID",
        "text": "TEXT",
        "texts": "TEXT (repeatable)",
        "flag": "true|false",
        "when": "DATE",
        "span": "START END",
    }.get(spec.kind, "VALUE")


def describe_reports() -> str:
    """The text of ``report --list``: each report, its route and its filters."""
    lines = []
    for name, (_, endpoint) in REPORTS.items():
        kind = "list" if endpoint.paginated else "one object"
        lines.append(f"{name}  ({kind}; GET {endpoint.route})")
        for keyword, spec in endpoint.filters.items():
            required = "  (required)" if spec.required else ""
            lines.append(f"    {_option(keyword)} {_usage_of(spec)}{required}")
        if not endpoint.filters:
            lines.append("    (no filters)")
    return "\n".join(lines) + "\n"


def _add_filter(parser: argparse.ArgumentParser, keyword: str, spec: Filter) -> None:
    help_text = f"sent as {' and '.join(spec.wire)}"
    if spec.allowed:
        help_text += f"; one of: {', '.join(spec.allowed)}"
    options: dict[str, Any] = {"dest": f"filter_{keyword}", "help": help_text}
    if spec.kind in ("choices", "texts"):
        options.update(action="append", metavar="VALUE")
    elif spec.kind == "flag":
        options.update(type=parse_flag, metavar="true|false")
    elif spec.kind == "when":
        options.update(type=parse_when, metavar="DATE")
    elif spec.kind == "span":
        options.update(type=parse_when, nargs=2, metavar=("START", "END"))
    else:
        options.update(metavar="SID" if spec.kind == "sid" else "VALUE")
    parser.add_argument(_option(keyword), **options)


def add_report_command(commands: argparse._SubParsersAction[Any], common: dict[str, Any]) -> None:
    """``report NAME [--filter value …]`` and ``report --list``."""
    report = commands.add_parser(
        "report", help="print any install-level report",
        description="Print an install-level report as a table, CSV or JSON.",
        epilog=REPORT_EPILOG, **common,
    )  # fmt: skip
    report.add_argument("--list", action="store_true", help="list the reports and their filters")
    names = report.add_subparsers(dest="report", metavar="NAME")
    for name, (method, endpoint) in REPORTS.items():
        doc = _plain(getattr(declared.Reports, method).__doc__)
        one = names.add_parser(
            name, help=doc, description=f"{doc}\n\nGET {endpoint.route}",
            epilog=REPORT_EPILOG, **common,
        )  # fmt: skip
        one.add_argument("--install", required=True, metavar="AI…", help="the install")
        one.add_argument(
            "--format", choices=("table", "csv", "json"), default="table", help="default: table"
        )
        one.add_argument(
            "--columns", metavar="A,B,…", help="only these fields, in this order (table, csv)"
        )
        one.add_argument(
            "--width", type=positive_int, default=40, metavar="N",
            help="table cells longer than N characters are cut (default: 40)",
        )  # fmt: skip
        if endpoint.paginated:
            one.add_argument("--max-rows", type=positive_int, metavar="N", help="stop after N rows")
        group = one.add_argument_group("filters")
        for keyword, spec in endpoint.filters.items():
            _add_filter(group, keyword, spec)
        add_connection_options(one)
        one.set_defaults(run=run_report, filter_names=tuple(endpoint.filters))
    report.set_defaults(run=run_report, report=None)


async def run_report(args: argparse.Namespace) -> int:
    """Fetch the report and print it in the format asked."""
    if args.list:
        sys.stdout.write(describe_reports())
        return EXIT_OK
    if args.report is None:
        raise CliError("name a report (see `report --list`), e.g. `report appointments`")
    method, endpoint = REPORTS[args.report]
    filters: dict[str, Any] = {}
    for keyword in args.filter_names:
        value = getattr(args, f"filter_{keyword}")
        if value is not None:  # argparse gives a START END pair as a list; the SDK a tuple
            filters[keyword] = tuple(value) if endpoint.filters[keyword].kind == "span" else value
    async with make_client(args) as client:
        call = getattr(client.install(args.install).reports, method)
        if endpoint.paginated:
            rows: list[dict[str, Any]] = []
            async for row in call(**filters):
                rows.append(row.to_dict())
                if args.max_rows is not None and len(rows) >= args.max_rows:
                    break
            shown: Any = rows
        else:
            one = (await call(**filters)).to_dict()
            shown = one
            rows = [{"field": key, "value": value} for key, value in one.items()]
    wanted = args.columns.split(",") if args.columns else None
    if args.format == "json":
        write_json(sys.stdout, shown)
    elif args.format == "csv":
        write_csv(sys.stdout, [shown] if isinstance(shown, dict) else rows,
                  columns_of([shown] if isinstance(shown, dict) else rows, wanted))  # fmt: skip
    else:
        write_table(sys.stdout, rows, columns_of(rows, wanted), args.width)
    return EXIT_OK
