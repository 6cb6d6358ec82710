"""What the API returns, as frozen attrs classes with snake_case attributes.

Each model names the fields the API reference documents; every other field the
server sends lands in ``extra`` under its wire name, so nothing is lost and new API
fields need no new release. Decoding is lenient where the API is known to vary:

- a documented string field that arrives as an object, list, number or boolean is
  left ``None`` and its value kept in ``extra`` (the reference shows ``exam`` as a
  string on one page and an object on another);
- ISO-8601 dates become timezone-aware datetimes; one that does not parse stays the
  string it was;
- fields the reference shows as objects are plain JSON values (``JSONValue``).

A value that fits none of this (a count that is not a number, a record that is not
an object) raises :class:`~smarterproctoring_async.errors.DecodeError` naming the
model, the record and the field. ``to_dict()`` gives back the record exactly as the
server sent it.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Generic, TypeAlias, TypeVar

import attrs

from ._protocol import is_terminal

__all__ = [
    "Annotation",
    "DateValue",
    "EventReport",
    "ExamSession",
    "JSONValue",
    "Model",
    "Page",
    "SessionRef",
    "SessionResult",
]

JSONValue: TypeAlias = (
    'bool | int | float | str | list["JSONValue"] | dict[str, "JSONValue"] | None'
)
"""Any value JSON can hold."""

DateValue: TypeAlias = "datetime | str | None"
"""An aware datetime, or the raw string when the server's date did not parse."""

T = TypeVar("T")

_CAMEL_BREAK = re.compile(r"_([a-z0-9])")


def _wire_name(attribute: str) -> str:
    return _CAMEL_BREAK.sub(lambda m: m.group(1).upper(), attribute)


def _field(wire: str | None = None) -> Any:
    return attrs.field(default=None, metadata={"wire": wire} if wire else {})


@attrs.frozen(kw_only=True)
class Model:
    """Base of every API record: ``extra`` holds the fields the model does not name."""

    extra: Mapping[str, JSONValue] = attrs.field(factory=dict, repr=False)
    _raw: Mapping[str, JSONValue] | None = attrs.field(
        default=None, repr=False, eq=False, alias="raw"
    )

    def to_dict(self) -> dict[str, JSONValue]:
        """The record in wire form (camelCase keys), as the server sent it."""
        if self._raw is not None:
            return copy.deepcopy(dict(self._raw))
        from ._convert import model_to_wire  # models stay importable without cattrs

        return model_to_wire(self)


def wire_fields(cls: type) -> tuple[tuple[str, str, str], ...]:
    """``(attribute, wire name, annotation)`` for each documented field of a model class.

    The annotation is its source text (this module postpones annotations), one of
    ``str | None``, ``int | None``, ``float | None``, ``bool | None``, ``DateValue``
    or ``JSONValue``: the kinds the converter knows how to decode leniently.
    """
    found = _WIRE_FIELDS.get(cls)
    if found is None:
        found = _WIRE_FIELDS[cls] = tuple(
            (f.name, f.metadata.get("wire") or _wire_name(f.name), str(f.type))
            for f in attrs.fields(cls)
            if f.name not in ("extra", "_raw")
        )
    return found


_WIRE_FIELDS: dict[type, tuple[tuple[str, str, str], ...]] = {}


@attrs.frozen(kw_only=True)
class ExamSession(Model):
    """A proctored exam session (Exam Session Details, SPEC §1).

    ``status`` is the API's text (``"Closed"``, ``"In Progress"``, ...); use
    :attr:`is_terminal` rather than comparing it yourself. Fields the reference
    shows both as strings and as objects (``exam``, ``enrollment``, ``course``,
    ``series``, ...) are plain JSON values.
    """

    sid: str | None = _field()
    install_sid: str | None = _field()
    exam_sid: str | None = _field()
    enrollment_sid: str | None = _field()
    user_sid: str | None = _field()
    course_sid: str | None = _field()
    instructor_proctor_sid: str | None = _field()
    proctor_type_sid: str | None = _field()
    cancellation_policy_sid: str | None = _field()
    cancellation_policy_version_sid: str | None = _field()
    status: str | None = _field()
    status_reason: str | None = _field()
    access_key: str | None = attrs.field(default=None, repr=False)
    duration: float | None = _field()
    session_type: str | None = _field()
    scheduling_module: str | None = _field()
    proctor_review_process_sid: str | None = _field()
    workflow_module: str | None = _field()
    appointment_date: DateValue = _field()
    appointment_end_date: DateValue = _field()
    date_approved: DateValue = _field()
    date_scheduled: DateValue = _field()
    created_date: DateValue = _field()
    in_progress_date: DateValue = _field()
    external_appointment_id: str | None = _field()
    external_reserved_appointment_id: str | None = _field()
    external_reserved_appointment_expires: DateValue = _field()
    external_appointment_sync_date: DateValue = _field()
    edit_date: DateValue = _field()
    notes: str | None = _field()
    recording_start_date: DateValue = _field()
    account: JSONValue = _field()
    install: JSONValue = _field()
    deployment: JSONValue = _field()
    session_report_count: int | None = _field()
    series: JSONValue = _field()
    review_by_date: DateValue = _field()
    review_by_user_sid: str | None = _field()
    review_completed_date: DateValue = _field()
    review_required: bool | None = _field()
    review_complete_notification_url: str | None = _field()
    reviewed: bool | None = _field()
    proctor_groups: JSONValue = _field()
    url: str | None = _field("URL")
    exam_locale: str | None = _field()
    platform_version: str | None = _field()
    system_check_start_date: DateValue = _field()
    system_check_end_date: DateValue = _field()
    modality_options: JSONValue = _field()
    exam: JSONValue = _field()
    enrollment: JSONValue = _field()
    course: JSONValue = _field()
    exam_file: JSONValue = _field()
    returned_file: JSONValue = _field()
    photos: JSONValue = _field()

    @property
    def is_terminal(self) -> bool:
        """Closed or Cancelled (any letter case): nothing more will be recorded."""
        return is_terminal(self.status)


@attrs.frozen(kw_only=True)
class EventReport(Model):
    """An integrity event reported during a session (List/Get Event Report, SPEC §2).

    The reference publishes no response schema for event reports; the attributes are
    the fields of its event-report payload, and everything else is in ``extra``.
    """

    sid: str | None = _field()
    subject: str | None = _field()
    details: str | None = _field()
    status: str | None = _field()
    event_time: DateValue = _field()
    potential_damage: str | None = _field()
    corrective_action_details: str | None = _field()
    direct_witness: str | None = _field()
    contact_person: str | None = _field()
    contact_phone: str | None = _field()
    contact_email: str | None = _field()
    event_type_sid: str | None = _field()
    draft: bool | None = _field()
    created_date: DateValue = _field()


@attrs.frozen(kw_only=True)
class Annotation(Model):
    """A proctor's or the system's note on a session (v1 annotations, SPEC §3).

    ``severity`` is ``green``, ``yellow`` or ``red``; ``session_time`` is seconds
    into the session. No response schema is published; other fields are in ``extra``.
    """

    sid: str | None = _field()
    severity: str | None = _field()
    type: str | None = _field()
    title: str | None = _field()
    session_time: float | None = _field()
    details: str | None = _field()
    created_by: str | None = _field()
    status: str | None = _field()
    notes: str | None = _field()
    metadata: JSONValue = _field()
    created_date: DateValue = _field()


@attrs.frozen
class SessionRef:
    """The three SIDs that address one exam session: install, exam, session."""

    install_sid: str
    exam_sid: str
    session_sid: str

    @property
    def session_ref(self) -> SessionRef:
        """The ref itself, so refs and report rows can be mixed where refs are taken."""
        return self


@attrs.frozen(kw_only=True)
class SessionResult:
    """What the bulk fetch got for one session.

    ``session``, ``events`` and ``annotations`` are ``None`` when not asked for, when
    skipped, or when ``error`` is set. ``skipped`` is true when ``only_terminal`` was
    asked and the session was not Closed or Cancelled yet. ``ref`` is ``None`` only
    when the input item named no session (``error`` says why).
    """

    ref: SessionRef | None
    session: ExamSession | None = None
    events: tuple[EventReport, ...] | None = None
    annotations: tuple[Annotation, ...] | None = None
    error: Exception | None = None
    skipped: bool = False

    @property
    def ok(self) -> bool:
        """Fetched completely: no error and not skipped."""
        return self.error is None and not self.skipped


@attrs.frozen
class Page(Generic[T]):
    """One page of a list: its records, the server's total (if sent) and its offset."""

    items: tuple[T, ...]
    total: int | None
    offset: int


def nested(model: type[Model]) -> Any:
    """A model field holding an object decoded as ``model``.

    The converter decodes a JSON object in that field with ``model``'s own lenient
    rules; ``null`` gives ``None``; any other JSON value is left in ``extra``.
    """
    return attrs.field(default=None, metadata={"model": model})


def nested_models(cls: type) -> Mapping[str, type[Model]]:
    """The attributes of a model class declared with :func:`nested`, and their classes."""
    found = _NESTED.get(cls)
    if found is None:
        found = _NESTED[cls] = {
            f.name: f.metadata["model"] for f in attrs.fields(cls) if "model" in f.metadata
        }
    return found


_NESTED: dict[type, Mapping[str, type[Model]]] = {}
