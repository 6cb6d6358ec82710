"""What the API returns, as frozen attrs classes with snake_case attributes.

Each model names the fields the API reference documents; every other field the
server sends lands in ``extra`` under its wire name, so nothing is lost and new API
fields need no new release. Decoding is lenient where the API is known to vary:

- a documented string field that arrives as an object, list, number or boolean is
  left ``None`` and its value kept in ``extra`` (the reference shows ``exam`` as a
  string on one page and an object on another); so is a nested object that arrives
  as anything but an object;
- ISO-8601 dates become timezone-aware datetimes; a date that does not parse is
  ``None``, its raw value kept in ``extra``;
- fields the reference shows in several shapes are plain JSON values (``JSONValue``).

A value that fits none of this (a count that is not a number, a record that is not
an object) raises :class:`~smarterproctoring_async.errors.DecodeError` naming the
model, the record and the field. ``to_dict()`` gives back the record exactly as the
server sent it.

Layout: ``_lenient`` (the rules, plain functions), ``_converter`` (the base
:class:`Model` and the one cattrs converter), the records (``session``, ``events``,
``records``), and values that are not records (``values``, ``results``).
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
