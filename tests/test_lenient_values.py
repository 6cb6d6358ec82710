"""The lenient value rules: counts as digit strings, and values that fit no rule kept.

The API's framework sends an uncast SQL ``COUNT`` as a digit string and a ``numeric``
as a decimal string; both are read as numbers. Any other value that fits no rule for
its typed attribute is kept in ``extra`` under its wire name, the attribute left at
its default, and logged; only a record that is not a JSON object fails.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs
import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.models import Model, decoder, wire_names
from smarterproctoring_async.models._lenient import optional_member

MODELS = [
    sp.EventReport,
    sp.Annotation,
    sp.ExamSession,
    sp.Appointment,
    sp.AppointmentExam,
    sp.AppointmentEnrollment,
    sp.SessionEventRow,
    sp.SessionSummary,
    sp.ServiceDistributionRow,
    sp.Record,
    sp.UnscheduledLearner,
]


@attrs.frozen(kw_only=True, slots=False)
class Counts(Model):
    """Every way a model can hold whole numbers."""

    plain: int = 0
    optional: int | None = None
    many: list[int] | None = None
    fixed: tuple[int, ...] | None = None
    by_name: Mapping[str, int] | None = None
    ratio: float | None = None
    flag: bool | None = None
    when: datetime | None = None


@attrs.frozen(kw_only=True)  # slotted, with a validator: decoded by calling the class
class Guarded(Model):
    """A model the decoder builds through its ``__init__``."""

    level: int = attrs.field(default=0, validator=attrs.validators.ge(0))


def _fields_of(kind: type) -> list[tuple[type[Model], str, str]]:
    found = []
    for cls in MODELS:
        attrs.resolve_types(cls)
        for field in attrs.fields(cls):
            if field.name != "extra" and (optional_member(field.type) or field.type) is kind:
                found.append((cls, field.name, wire_names(cls)[field.name]))
    return found


INT_FIELDS = _fields_of(int)
FLOAT_FIELDS = _fields_of(float)
BOOL_FIELDS = _fields_of(bool)


def test_the_models_have_fields_of_each_kind() -> None:
    names = {attribute for _, attribute, _ in INT_FIELDS}
    assert {"session_report_count", "total_sessions", "needs_proctor_sessions"} <= names
    assert FLOAT_FIELDS and BOOL_FIELDS


@pytest.mark.parametrize(("cls", "attribute", "wire"), INT_FIELDS, ids=str)
@pytest.mark.parametrize(("sent", "read"), [("3", 3), ("-1", -1), ("0", 0), ("007", 7)])
def test_every_int_field_of_every_model_reads_a_digit_string(
    cls: type[Model], attribute: str, wire: str, sent: str, read: int
) -> None:
    record = {wire: sent, "other": 1}
    row = decoder(cls)(record)
    assert getattr(row, attribute) == read and type(getattr(row, attribute)) is int
    assert wire not in row.extra
    assert row.to_dict() == {wire: sent, "other": 1}  # as sent: still the string


def test_every_int_annotation_reads_digit_strings() -> None:
    record = {
        "plain": "12",
        "optional": "-4",
        "many": ["1", 2, "3"],
        "fixed": ["5", 6.0],
        "byName": {"a": "7", "b": 8},
    }
    counts = decoder(Counts)(record)
    assert (counts.plain, counts.optional) == (12, -4)
    assert counts.many == [1, 2, 3] and counts.fixed == (5, 6)
    assert counts.by_name == {"a": 7, "b": 8}
    assert counts.extra == {} and counts.to_dict() == record
    assert decoder(Guarded)({"level": "9"}).level == 9  # the class-called path too


def test_the_biggest_bigint_is_read_and_a_longer_digit_string_is_not() -> None:
    assert decoder(Counts)({"optional": str(2**63 - 1)}).optional == 2**63 - 1
    longer = decoder(Counts)({"optional": "1" * 20})
    assert longer.optional is None and longer.extra == {"optional": "1" * 20}


@pytest.mark.parametrize(
    "sent",
    [" 3", "3 ", "3\n", "+3", "1_000", "٣", "²", "3.0", "3.5", "0x1f", "1e3", "", "-", "abc"],
)
def test_a_string_that_is_not_postgres_digits_is_kept_in_extra(sent: str) -> None:
    counts = decoder(Counts)({"optional": sent, "plain": sent})
    assert counts.optional is None and counts.plain == 0  # each at its default
    assert counts.extra == {"optional": sent, "plain": sent}
    assert counts.to_dict() == {"optional": sent, "plain": sent}


@pytest.mark.parametrize(("cls", "attribute", "wire"), FLOAT_FIELDS, ids=str)
@pytest.mark.parametrize(("sent", "read"), [("2.50", 2.5), ("-3", -3.0), ("90", 90.0)])
def test_every_float_field_reads_a_decimal_string(
    cls: type[Model], attribute: str, wire: str, sent: str, read: float
) -> None:
    row = decoder(cls)({wire: sent})
    assert getattr(row, attribute) == read and wire not in row.extra
    assert row.to_dict() == {wire: sent}


@pytest.mark.parametrize("sent", ["ninety", "1e3", "nan", "inf", " 1.5", "1.", ".5", True])
def test_a_number_that_is_not_one_is_kept_in_extra(sent: object) -> None:
    counts = decoder(Counts)({"ratio": sent})
    assert counts.ratio is None and counts.extra == {"ratio": sent}


@pytest.mark.parametrize(("cls", "attribute", "wire"), BOOL_FIELDS, ids=str)
@pytest.mark.parametrize("sent", ["maybe", "true", 1, 0, [True], {"v": True}])
def test_every_bool_field_keeps_anything_but_true_or_false_in_extra(
    cls: type[Model], attribute: str, wire: str, sent: object
) -> None:
    row = decoder(cls)({wire: sent, "sid": "x"})
    assert getattr(row, attribute) is None and row.extra[wire] == sent
    assert row.to_dict() == {wire: sent, "sid": "x"}


@pytest.mark.parametrize(
    ("field", "sent"),
    [
        ("optional", "abc"),
        ("optional", 2.5),
        ("optional", True),
        ("optional", {"n": 1}),
        ("many", ["1", "x"]),  # one element fits no rule: the whole list is kept
        ("byName", {"a": "x"}),
        ("flag", "maybe"),
        ("when", "noon"),
    ],
)
def test_a_value_fitting_no_rule_is_none_and_kept_under_its_wire_name(
    field: str, sent: object
) -> None:
    record = {"plain": "1", field: sent, "undocumented": [1]}
    counts = decoder(Counts)(record)
    attribute = {wire: attr for attr, wire in wire_names(Counts).items()}[field]
    assert getattr(counts, attribute) is None
    assert counts.extra == {field: sent, "undocumented": [1]}
    assert counts.plain == 1  # the rest of the record is read as usual
    assert counts.to_dict() == record and list(counts.to_dict()) == list(record)


def test_a_misfit_in_a_model_built_through_init_keeps_its_default() -> None:
    guarded = decoder(Guarded)({"level": "high", "x": 1})
    assert guarded.level == 0 and guarded.extra == {"level": "high", "x": 1}


def test_one_odd_count_does_not_fail_an_appointment_or_its_nested_exam() -> None:
    record = {
        "sid": "ES" + "c" * 32,
        "sessionReportCount": "many",
        "reviewRequired": "yes",
        "exam": {"sid": "EX" + "b" * 32, "totalSessions": "4", "needsProctorSessions": []},
    }
    row = decoder(sp.Appointment)(record)
    assert row.session_report_count is None and row.review_required is None
    assert row.extra == {"sessionReportCount": "many", "reviewRequired": "yes"}
    assert row.exam is not None and row.exam.total_sessions == 4
    assert row.exam.needs_proctor_sessions is None
    assert row.exam.extra == {"needsProctorSessions": []}
    assert row.to_dict() == record


@pytest.mark.parametrize("record", [["sessionReportCount", "3"], "3", 3, None, True])
def test_a_record_that_is_not_an_object_still_fails(record: object) -> None:
    with pytest.raises(sp.DecodeError, match="Appointment: expected a JSON object"):
        decoder(sp.Appointment)(record)
    with pytest.raises(sp.DecodeError, match="Appointment: expected a JSON object"):
        decoder(sp.Appointment, {"install_sid": "AI" + "a" * 32})(record)


def test_a_misfit_is_logged_once_loudly_then_quietly_and_never_with_its_value(
    caplog: pytest.LogCaptureFixture,
) -> None:
    @attrs.frozen(kw_only=True, slots=False)
    class Fresh(Model):  # a class of its own: no earlier test has warned about it
        count: int | None = None

    with caplog.at_level(logging.DEBUG, logger="smarterproctoring_async"):
        for secret in ("alice@example.com", "bob@example.com"):
            assert decoder(Fresh)({"count": secret}).count is None
        decoder(Fresh)({"count": "5"})  # a count as digits is not a misfit: not logged
    said = [(r.levelno, r.getMessage()) for r in caplog.records if "Fresh" in r.getMessage()]
    assert [level for level, _ in said] == [logging.WARNING, logging.DEBUG]
    assert "'count'" in said[0][1] and "a string" in said[0][1]
    assert not any("example.com" in message for _, message in said)


class Odd(float):
    """A type whose hook, registered by the caller, raises a plain ValueError."""


sp.models.converter.register_structure_hook(Odd, lambda value, _: Odd(value))


@attrs.frozen(kw_only=True, slots=False)
class Probe(Model):
    """A model with a field only the caller's hook decodes."""

    odd: Odd | None = None


def test_a_hook_failing_otherwise_still_names_the_model_record_and_field() -> None:
    with pytest.raises(sp.DecodeError, match=r"^Probe 'P1': field 'odd' failed: ValueError"):
        decoder(Probe)({"sid": "P1", "odd": "not a number"})


def test_happy_path_values_are_the_json_values_themselves() -> None:
    record: dict[str, Any] = {"plain": 3, "optional": None, "ratio": 1, "flag": False}
    counts = decoder(Counts)(record)
    assert (counts.plain, counts.optional, counts.ratio, counts.flag) == (3, None, 1, False)
    assert counts.extra == {}
