"""``report NAME``: any install-level report, with its typed filters as options.

The reports and the options of their filters come from the SDK's public types (see
``report_filters``), so they match what each ``Reports`` method accepts; values are
checked by the SDK, which raises ``InvalidFilterError`` (exit 2) before any request.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .config import add_connection_options, connected, positive_int
from .errors import EXIT_OK, CliError
from .helptext import REPORT_EPILOG
from .report_filters import REPORTS, Option
from .table import columns_of, write_csv, write_json, write_table
from .values import parse_flag, parse_when

__all__ = ["add_report_command", "describe_reports", "run_report"]


def _usage_of(option: Option) -> str:
    if option.kind in ("choice", "choices"):
        text = "|".join(option.allowed)
        return f"{{{text}}}" + (" (repeatable)" if option.kind == "choices" else "")
    return {
        "text": "SID" if option.keyword.endswith("_sid") else "TEXT",
        "texts": "TEXT (repeatable)",
        "flag": "true|false",
        "when": "DATE",
        "span": "START END",
    }.get(option.kind, "VALUE")


def describe_reports() -> str:
    """The text of ``report --list``: each report, its method and its filters."""
    lines = []
    for name, report in REPORTS.items():
        kind = "list" if report.paginated else "one object"
        lines.append(f"{name}  ({kind}; Reports.{report.method})")
        for option in report.options.values():
            required = "  (required)" if option.required else ""
            lines.append(f"    {option.flag} {_usage_of(option)}{required}")
        if not report.options:
            lines.append("    (no filters)")
    return "\n".join(lines) + "\n"


def _add_filter(parser: argparse._ArgumentGroup, option: Option) -> None:
    help_text = f"the {option.keyword} filter"
    if option.allowed:
        help_text += f"; one of: {', '.join(option.allowed)}"
    options: dict[str, Any] = {"dest": f"filter_{option.keyword}", "help": help_text}
    if option.kind in ("choices", "texts"):
        options.update(action="append", metavar="VALUE")
    elif option.kind == "flag":
        options.update(type=parse_flag, metavar="true|false")
    elif option.kind == "when":
        options.update(type=parse_when, metavar="DATE")
    elif option.kind == "span":
        options.update(type=parse_when, nargs=2, metavar=("START", "END"))
    else:
        options.update(metavar="SID" if option.keyword.endswith("_sid") else "VALUE")
    parser.add_argument(option.flag, **options)


def add_report_command(commands: argparse._SubParsersAction[Any], common: dict[str, Any]) -> None:
    """``report NAME [--filter value …]`` and ``report --list``."""
    report = commands.add_parser(
        "report", help="print any install-level report",
        description="Print an install-level report as a table, CSV or JSON.",
        epilog=REPORT_EPILOG, **common,
    )  # fmt: skip
    report.add_argument("--list", action="store_true", help="list the reports and their filters")
    names = report.add_subparsers(dest="report", metavar="NAME")
    for name, spec in REPORTS.items():
        one = names.add_parser(
            name, help=spec.summary, description=f"{spec.summary}\n\n(Reports.{spec.method})",
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
        if spec.paginated:
            one.add_argument("--max-rows", type=positive_int, metavar="N", help="stop after N rows")
        group = one.add_argument_group("filters")
        for option in spec.options.values():
            _add_filter(group, option)
        add_connection_options(one)
        one.set_defaults(run=run_report)
    report.set_defaults(run=run_report, report=None)


async def run_report(args: argparse.Namespace) -> int:
    """Fetch the report and print it in the format asked."""
    if args.list:
        sys.stdout.write(describe_reports())
        return EXIT_OK
    if args.report is None:
        raise CliError("name a report (see `report --list`), e.g. `report appointments`")
    spec = REPORTS[args.report]
    filters: dict[str, Any] = {}
    for keyword, option in spec.options.items():
        value = getattr(args, f"filter_{keyword}")
        if value is not None:  # argparse gives a START END pair as a list; the SDK a tuple
            filters[keyword] = tuple(value) if option.kind == "span" else value
    async with connected(args) as client:
        call = getattr(client.install(args.install).reports, spec.method)
        if spec.paginated:
            rows: list[dict[str, Any]] = []
            async for row in call(**filters):
                rows.append(row.to_dict())
                if args.max_rows is not None and len(rows) >= args.max_rows:
                    break
            shown: Any = rows
        else:
            one = (await call(**filters)).to_dict()
            shown = one
    wanted = args.columns.split(",") if args.columns else None
    if isinstance(shown, dict):  # one object: a field per line, --columns picks the fields
        rows = [{"field": name, "value": shown.get(name)} for name in wanted or shown]
    if args.format == "json":
        write_json(sys.stdout, shown)
    elif args.format == "csv":
        write_csv(sys.stdout, [shown] if isinstance(shown, dict) else rows,
                  columns_of([shown] if isinstance(shown, dict) else rows, wanted))  # fmt: skip
    else:
        columns = ["field", "value"] if isinstance(shown, dict) else columns_of(rows, wanted)
        write_table(sys.stdout, rows, columns, args.width)
    return EXIT_OK
