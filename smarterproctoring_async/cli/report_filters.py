"""The reports the ``report`` command offers, and their filters read from public types.

Each report is a method of ``sp.Reports`` whose filters are typed by a public
``TypedDict`` (``sp.AppointmentFilters`` ...). The options are read from those types,
as a user's own tool would: a ``Literal`` is one value of an enum, several of them
(``Literal | Sequence[Literal]``) a repeatable option, ``bool`` true or false, a
``date | datetime`` a date, a pair of them a START END span, ``str`` free text; a
required key of the ``TypedDict`` is a required filter. The SDK checks every value
(``InvalidFilterError``, exit 2) before any request, so the command line does not
repeat its rules; it only turns text into the types the method takes. A list report
returns a ``Paginator``; one answering a single object is a coroutine function.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, Union, get_args, get_origin, get_type_hints

import smarterproctoring_async as sp

__all__ = ["REPORTS", "Option", "Report"]


@dataclass(frozen=True)
class Option:
    """One filter of a report as the command line offers it.

    ``kind``: ``text``, ``texts`` (repeatable), ``choice``, ``choices`` (repeatable),
    ``flag``, ``when`` or ``span``; ``allowed``: the enum's values, if any.
    """

    keyword: str
    kind: str
    allowed: tuple[str, ...] = ()
    required: bool = False

    @property
    def flag(self) -> str:
        """The command-line option: ``exam_sid`` -> ``--exam-sid``."""
        return "--" + self.keyword.replace("_", "-")


@dataclass(frozen=True)
class Report:
    """One report: the ``Reports`` method and the options of its filters."""

    method: str
    options: Mapping[str, Option]

    @property
    def paginated(self) -> bool:
        """Whether the report is a list (a ``Paginator``), not one awaited object."""
        return not inspect.iscoroutinefunction(getattr(sp.Reports, self.method))

    @property
    def summary(self) -> str:
        """The first line of the method's docstring, without reStructuredText markup."""
        return next(s.summary for s in sp.REPORTS.values() if s.method == self.method)


def _option(keyword: str, hint: object, required: bool) -> Option:
    origin, args = get_origin(hint), get_args(hint)
    if hint is str:
        return Option(keyword, "text", required=required)
    if hint is bool:
        return Option(keyword, "flag", required=required)
    if origin is Literal:
        return Option(keyword, "choice", tuple(args), required)
    if origin is tuple and len(args) == 2:
        return Option(keyword, "span", required=required)
    if origin in (Union, types.UnionType):
        if set(args) == {datetime, date}:
            return Option(keyword, "when", required=required)
        enums = [a for a in args if get_origin(a) is Literal]
        many = [a for a in args if get_origin(a) in (Sequence, list, tuple)]
        if len(enums) == 1 and len(many) == 1:
            return Option(keyword, "choices", tuple(get_args(enums[0])), required)
        if str in args and len(many) == 1:
            return Option(keyword, "texts", required=required)
    # Loud at start-up (and in the tests that build every command), not a silent text box.
    raise TypeError(f"report filter {keyword}: no command-line form for {hint!r}")


def _report(method: str, declared: type | None) -> Report:
    if declared is None:
        return Report(method, {})
    required: frozenset[str] = getattr(declared, "__required_keys__", frozenset())
    hints = get_type_hints(declared)  # Annotated markers dropped: the SDK applies them
    options = {key: _option(key, hint, key in required) for key, hint in hints.items()}
    return Report(method, options)


#: Command-line name -> the report: one per entry of the SDK's registry (``sp.REPORTS``),
#: so a report added there is a subcommand here without a line of this module.
REPORTS: Mapping[str, Report] = {
    name: _report(spec.method, spec.filters) for name, spec in sp.REPORTS.items()
}
