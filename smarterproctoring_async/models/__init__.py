"""What the API returns, as frozen attrs classes with snake_case attributes.

Each model names the fields the API reference documents; every other field the
server sends lands in ``extra`` under its wire name, so nothing is lost and new API
fields need no new release. Decoding is lenient where the API is known to vary:

- counts arrive as JSON numbers, whole floats (``3.0``) or digit strings (``"3"``,
  ``"-1"``: the API's framework sends an uncast SQL ``COUNT`` as text); other
  numbers also as decimal strings (``"2.50"``); all become ``int``/``float``;
- ISO-8601 dates become timezone-aware datetimes;
- fields the reference shows in several shapes are plain JSON values (``JSONValue``);
- a value that fits no rule for its attribute (a string field sent an object, a
  nested object sent a string, a date that does not parse, a count of ``"abc"`` or
  ``" 3"``, a flag of ``"maybe"``) leaves the attribute at its default (``None``) and
  is kept in ``extra`` under its wire name: one odd value never fails a page. It is
  logged (a WARNING the first time per model and field, DEBUG after; the value's
  JSON kind, never the value), and a row's documented fields found in ``extra``
  are its misfits: ``set(row.extra) & set(wire_names(type(row)).values())``.

Only a record that is not a JSON object raises
:class:`~smarterproctoring_async.errors.DecodeError` (as does a hook the caller
registered that fails, naming the model, the record and the field).
``to_dict()`` gives back the record exactly as the server sent it, digit strings
and misfits included. A row of a grouped page (``results`` keyed by date on a route
that takes ``groupBy``) tells its group by ``group_key``.

Layout: ``_lenient`` (the rules, plain functions), ``_converter`` (the base
:class:`Model` and the one cattrs converter), ``_instances`` (how a decoded instance
is built and what it keeps beside its attributes), the records (``session``,
``events``, ``records``), and values that are not records (``values``, ``results``).
"""

from ._converter import Model, converter, decoder, wire_names
from ._lenient import parse_datetime
from .events import Annotation, EventReport, SessionEventRow
from .records import Record, ReportRow, ServiceDistributionRow, UnscheduledLearner
from .results import SessionResult
from .session import (
    Appointment,
    AppointmentEnrollment,
    AppointmentExam,
    ExamSession,
    SessionSummary,
)
from .values import JSONValue, Page, SessionRef

__all__ = [
    "Annotation",
    "Appointment",
    "AppointmentEnrollment",
    "AppointmentExam",
    "EventReport",
    "ExamSession",
    "JSONValue",
    "Model",
    "Page",
    "Record",
    "ReportRow",
    "ServiceDistributionRow",
    "SessionEventRow",
    "SessionRef",
    "SessionResult",
    "SessionSummary",
    "UnscheduledLearner",
    "converter",
    "decoder",
    "parse_datetime",
    "wire_names",
]
