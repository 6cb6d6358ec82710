"""The straight-line decoder of flat models (models/_fast.py): it takes only records the
lenient hooks would return unchanged, gives the very instance the cattrs path gives, and
leaves each decoded row one object for the cyclic garbage collector."""

from __future__ import annotations

import gc
import logging
from typing import Any

import attrs
import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.models import _lenient, converter, decoder, wire_names
from smarterproctoring_async.models._converter import _as_is
from smarterproctoring_async.models._fast import straight_line


@attrs.frozen(kw_only=True, slots=False)
class SlowAnnotation(sp.Annotation):
    """An Annotation the fast path skips (an init hook makes it not plain): the oracle."""

    def __attrs_post_init__(self) -> None:
        pass


@attrs.frozen(kw_only=True, slots=False)
class SlowExam(sp.AppointmentExam):
    def __attrs_post_init__(self) -> None:
        pass


RECORDS: list[dict[str, Any]] = [
    {"sid": "AN1", "sessionTime": 12, "createdDate": "2024-05-01T10:00:00Z", "x": [1]},
    {"sid": "AN1", "sessionTime": 1.5, "createdDate": "2024-05-01T10:00:00+02:00"},
    {"sid": "AN1", "sessionTime": "2.50", "createdDate": "2024-05-01"},  # digit string
    {"sid": None, "sessionTime": None, "createdDate": None, "metadata": {"a": [1, None]}},
    {"sid": 5, "severity": {"o": 1}, "createdDate": "not a date"},  # misfits
    {"sessionTime": True, "createdDate": 17, "notes": ["n"]},  # misfits
    {"createdDate": "2024-05-01T10:00:00", "sessionTime": 0},  # no offset: UTC
    {"createdDate": "2024-05-01T10:00:00.123456789Z"},  # more digits than fromisoformat
    {},
]


def _view(model: sp.Model) -> list[tuple[str, Any, type]]:
    return [(k, v, type(v)) for k, v in attrs.asdict(model, recurse=False).items()]


@pytest.mark.parametrize("record", RECORDS)
def test_fast_path_gives_what_the_lenient_path_gives(record: dict[str, Any]) -> None:
    fast, slow = decoder(sp.Annotation)(record), decoder(SlowAnnotation)(record)
    assert _view(fast) == _view(slow)
    assert fast.to_dict() == slow.to_dict() == record
    assert list(fast.to_dict()) == list(record)  # the order as sent


EXAM_RECORDS: list[dict[str, Any]] = [
    {"sid": "EX1", "totalSessions": 3, "requireApproval": False},
    {"sid": "EX1", "totalSessions": "3", "needsProctorSessions": 3.0},  # digit string, 3.0
    {"sid": "EX1", "totalSessions": True, "requireApproval": 1},  # misfits
    {"totalSessions": 2**70, "url": None},
]


@pytest.mark.parametrize("record", EXAM_RECORDS)
def test_fast_path_keeps_ints_exact(record: dict[str, Any]) -> None:
    fast, slow = decoder(sp.AppointmentExam)(record), decoder(SlowExam)(record)
    assert _view(fast) == _view(slow) and fast.extra == slow.extra


def _fields(model: type[sp.Model]) -> dict[str, tuple[str, Any, Any]]:
    kinds = {field.name: field.type for field in attrs.fields(attrs.resolve_types(model))}
    return {
        attribute: (wire, kinds[attribute], converter.get_structure_hook(kinds[attribute]))
        for attribute, wire in wire_names(model).items()
    }


SLOW = object()


@pytest.mark.parametrize(
    ("model", "record", "fast"),
    [
        (sp.Annotation, {"sid": "A", "sessionTime": 3, "metadata": {"k": 1}}, True),
        (sp.Annotation, {"sessionTime": 2.5, "createdDate": "2024-05-01T10:00:00"}, True),
        (sp.Annotation, {"sessionTime": "2.5"}, False),
        (sp.Annotation, {"sessionTime": False}, False),
        (sp.Annotation, {"sid": 1}, False),
        (sp.Annotation, {"createdDate": 1}, False),
        (sp.Annotation, {"createdDate": "soon"}, False),
        (sp.AppointmentExam, {"totalSessions": 2}, True),
        (sp.AppointmentExam, {"totalSessions": 2.0}, False),
        (sp.AppointmentExam, {"totalSessions": 2.5}, False),
        (sp.AppointmentExam, {"requireApproval": True}, True),
        (sp.AppointmentExam, {"requireApproval": "true"}, False),
        (sp.Appointment, {"exam": {"sid": "EX1"}, "sessionReportCount": 1}, True),
        (sp.Appointment, {"exam": "EX1"}, False),  # a nested model's misfit
    ],
)
def test_only_records_needing_no_rule_take_the_fast_path(
    model: type[sp.Model], record: dict[str, Any], fast: bool
) -> None:
    decode = straight_line(model, _fields(model), lambda _: SLOW, _as_is)
    got = decode(record)
    assert (got is not SLOW) is fast
    if fast:
        assert got == decoder(model)(record)
        assert got.to_dict() == record


def test_a_decoded_row_is_one_object_for_the_garbage_collector() -> None:
    record = {"sid": "AN1", "createdDate": "2024-05-01T10:00:00Z", "sessionTime": 1}
    row = decoder(sp.Annotation)(record)
    assert gc.is_tracked(row)
    assert not gc.is_tracked(row.__dict__)  # the record is in a slot, not in __dict__
    assert record not in row.__dict__.values() and row.to_dict() == record


def test_a_nested_misfit_warns_once(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG, "smarterproctoring_async")
    # Warned once per process: forget what other tests made it warn about.
    monkeypatch.setattr(_lenient, "_WARNED", set())
    row = decoder(sp.Appointment)({"exam": {"sid": "EX1", "courseName": 7}, "sid": 3})
    assert row.exam is not None and row.exam.course_name is None and row.sid is None
    warned = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert sum("'courseName'" in r.getMessage() for r in warned) == 1


def test_defaults_for_an_attribute_the_model_lacks_are_refused_every_time() -> None:
    # The check is remembered only for names found good: a bad set fails on each call.
    for _ in range(2):
        with pytest.raises(ValueError, match="EventReport has no attribute\\(s\\) nope"):
            decoder(sp.EventReport, {"sid": "ER1", "nope": 1})
    filled = decoder(sp.EventReport, {"event_type_sid": "ET1"})({"sid": "ER2"})
    assert filled.event_type_sid == "ET1" and filled.to_dict() == {"sid": "ER2"}
