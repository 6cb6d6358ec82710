"""The models' machinery: one cattrs converter, lenient hooks, records kept as sent."""

from __future__ import annotations

import copy
import inspect
import linecache
import pickle
import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, Optional, Union, get_args

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import smarterproctoring_async as sp
from smarterproctoring_async.models import JSONValue, Model, converter, decoder, wire_names
from smarterproctoring_async.models._lenient import is_json_value, optional_member

UTC = timezone.utc

# -- strategies: records of a model class, right and wrong ------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
not_strings = st.one_of(
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.lists(json_values, max_size=2),
    st.dictionaries(st.text(max_size=4), json_values, max_size=2),
)
moments = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2099, 1, 1), timezones=st.just(UTC)
)
dates = st.one_of(
    moments.map(lambda d: d.isoformat().replace("+00:00", "Z")),
    moments.map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}Z"),
    moments.map(lambda d: d.astimezone(timezone(timedelta(hours=-5))).isoformat()),
    moments.map(lambda d: d.replace(tzinfo=None).isoformat()),  # naive: read as UTC
)
not_dates = st.one_of(st.sampled_from(["yesterday", "", "2025-13-01", "soon Z"]), not_strings)


def _member(kind: Any) -> Any:
    return optional_member(kind) or kind


def value_strategy(kind: Any, *, misfit: bool) -> st.SearchStrategy[Any]:
    """A wire value for a field annotated ``kind``: one that fits, or (``misfit``) one of
    another JSON kind that the model must keep in ``extra``."""
    if is_json_value(kind):
        return json_values
    kind = _member(kind)
    if kind is str:
        return not_strings if misfit else st.text(max_size=12)
    if kind is datetime:
        return not_dates if misfit else dates
    if isinstance(kind, type) and issubclass(kind, Model):
        return not_strings.filter(lambda v: type(v) is not dict) if misfit else records(kind)
    if kind is int:
        if misfit:  # not a whole number, nor the digits of one
            return st.one_of(
                st.booleans(),
                st.floats(allow_nan=False).filter(lambda f: not f.is_integer()),
                st.text(max_size=6).filter(lambda t: not re.fullmatch(r"-?[0-9]{1,19}", t)),
                st.lists(json_values, max_size=2),
            )
        return st.one_of(
            st.integers(),
            st.integers(-(2**50), 2**50).map(float),
            st.integers(-(10**18), 10**18).map(str),  # an uncast SQL count
        )
    if kind is float:
        if misfit:
            return st.booleans() | st.sampled_from(["", "1e3", " 1", "nan", "1_0", "²"])
        return st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    if kind is bool:
        return (
            (st.integers() | st.text(max_size=5) | st.floats(allow_nan=False))
            if misfit
            else st.booleans()
        )
    raise AssertionError(f"no strategy for {kind!r}")


def _misfit_possible(kind: Any) -> bool:
    return not is_json_value(_member(kind))


@st.composite
def records(draw: st.DrawFn, cls: type[Model]) -> dict[str, Any]:
    """A record of ``cls``: documented fields present or not, null, fitting or misfit,
    plus undocumented fields of any JSON value, in any order."""
    attrs.resolve_types(cls)
    kinds = {field.name: field.type for field in attrs.fields(cls)}
    record: dict[str, Any] = {}
    for attribute, wire in wire_names(cls).items():
        kind = kinds[attribute]
        choice = draw(st.sampled_from(["absent", "null", "fits", "misfit"]))
        if choice == "null":
            record[wire] = None
        elif choice == "fits" or (choice == "misfit" and not _misfit_possible(kind)):
            record[wire] = draw(value_strategy(kind, misfit=False))
        elif choice == "misfit":
            record[wire] = draw(value_strategy(kind, misfit=True))
    documented = set(wire_names(cls).values())
    extra_keys = st.text(min_size=1, max_size=10).filter(lambda k: k not in documented)
    record.update(draw(st.dictionaries(extra_keys, json_values, max_size=4)))
    order = draw(st.permutations(list(record)))
    return {key: record[key] for key in order}


MODELS = [
    sp.EventReport,
    sp.Annotation,
    sp.ExamSession,
    sp.Appointment,
    sp.SessionEventRow,
    sp.SessionSummary,
    sp.ServiceDistributionRow,
    sp.Record,
    sp.UnscheduledLearner,
]


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_to_dict_gives_back_every_record_exactly(cls: type[Model], data: st.DataObject) -> None:
    record = data.draw(records(cls))
    sent = copy.deepcopy(record)
    model = decoder(cls)(record)
    back = model.to_dict()
    assert back == sent and list(back) == list(sent)  # keys, order and values
    assert back is not record and model.to_dict() == sent  # a copy each time
    # Every field is in a typed attribute or in extra, never in both, never lost.
    by_wire = {wire: attr for attr, wire in wire_names(cls).items()}
    for key, value in sent.items():
        if key in model.extra:
            assert model.extra[key] == value
            assert key not in by_wire or getattr(model, by_wire[key]) is None
        else:
            assert key in by_wire
            assert (getattr(model, by_wire[key]) is None) == (value is None)
    assert "__wire_record__" not in attrs.asdict(model)


def _canonical(cls: type[Model]) -> st.SearchStrategy[dict[str, Any]]:
    """Records a model built in code writes back the same: no nulls, no misfits, whole
    numbers as ints, dates in the SDK's own format, nested records canonical too."""

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        kinds = {field.name: field.type for field in attrs.fields(cls)}
        record: dict[str, Any] = {}
        for attribute, wire in wire_names(cls).items():
            if not draw(st.booleans()):
                continue
            kind = _member(kinds[attribute])
            if isinstance(kind, type) and issubclass(kind, Model):
                record[wire] = draw(_canonical(kind))
            elif kind is datetime:
                moment = draw(moments)
                record[wire] = moment.isoformat().replace("+00:00", "Z")
            elif kind is int:
                record[wire] = draw(st.integers())
            else:
                value = draw(value_strategy(kinds[attribute], misfit=False))
                if value is None:
                    continue
                record[wire] = value
        documented = set(wire_names(cls).values())
        keys = st.text(min_size=1, max_size=8).filter(lambda k: k not in documented)
        record.update(draw(st.dictionaries(keys, json_values, max_size=3)))
        return record

    attrs.resolve_types(cls)
    return build()


@pytest.mark.parametrize("cls", [sp.Appointment, sp.ExamSession, sp.Annotation], ids=str)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_models_built_in_code_encode_through_the_converter(
    cls: type[Model], data: st.DataObject
) -> None:
    record = data.draw(_canonical(cls))
    rebuilt = attrs.evolve(decoder(cls)(record))  # same attributes, no record kept
    assert rebuilt.to_dict() == record  # order aside: attributes first, then extra
    assert converter.unstructure(rebuilt) == record


# -- annotations: any ordinary one works ------------------------------------------------


class Celsius(float):
    """A type only a hook registered on the converter knows how to decode."""


converter.register_structure_hook(Celsius, lambda value, _: Celsius(value))
converter.register_unstructure_hook(Celsius, float)


@attrs.frozen(kw_only=True, slots=False)
class Gauge(Model):
    """A test model spelling its annotations every ordinary way."""

    count: Optional[int] = None  # noqa: UP045 - the spelling under test
    ratio: Union[float, None] = None  # noqa: UP007 - the spelling under test
    label: str | None = None
    tags: list[str] | None = None
    flags: tuple[bool, ...] | None = None
    labels: Mapping[str, JSONValue] | None = None
    read_at: datetime | None = None
    inner: Gauge | None = None  # a model nested in itself
    temperature: Celsius | None = None
    url: str | None = attrs.field(default=None, metadata={"wire": "URL"})


@attrs.frozen(kw_only=True)  # slotted, with a validator: decoded by calling the class
class Checked(Model):
    """A test model the decoder must build through its ``__init__``."""

    level: int = attrs.field(default=0, validator=attrs.validators.ge(0))
    name: str | None = None


def test_ordinary_annotations_decode() -> None:
    record = {
        "count": 3.0,
        "ratio": 2,
        "label": "g",
        "tags": ["a", "b"],
        "flags": [True, False],
        "labels": {"k": [1, {"x": None}]},
        "readAt": "2025-01-02T03:04:05Z",
        "inner": {"count": 1, "inner": {"label": "deep", "new": 1}},
        "temperature": 21.5,
        "URL": "https://x",
        "unknown": {"kept": True},
    }
    gauge = decoder(Gauge)(record)
    assert gauge.count == 3 and type(gauge.count) is int
    assert (gauge.ratio, gauge.label, gauge.tags, gauge.flags) == (
        2,
        "g",
        ["a", "b"],
        (True, False),
    )
    assert gauge.labels == {"k": [1, {"x": None}]}
    assert gauge.read_at == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert gauge.inner is not None and gauge.inner.count == 1
    assert gauge.inner.inner is not None and gauge.inner.inner.label == "deep"
    assert gauge.inner.inner.extra == {"new": 1}
    assert isinstance(gauge.temperature, Celsius)  # the converter's own hook was used
    assert gauge.url == "https://x" and gauge.extra == {"unknown": {"kept": True}}
    assert gauge.to_dict() == record
    assert converter.structure(record, Gauge) == gauge


@pytest.mark.parametrize(
    ("field", "value"),
    [("label", 5), ("tags", "a"), ("tags", [1]), ("labels", []), ("readAt", "noon"), ("inner", 7)],
)
def test_a_misfit_of_any_annotation_is_kept_in_extra(field: str, value: object) -> None:
    gauge = decoder(Gauge)({field: value, "count": 1})
    attribute = {w: a for a, w in wire_names(Gauge).items()}[field]
    assert getattr(gauge, attribute) is None and gauge.extra == {field: value}
    assert gauge.count == 1 and gauge.to_dict() == {field: value, "count": 1}


@pytest.mark.parametrize(
    ("field", "value"),
    [("count", "3.5"), ("count", 2.5), ("count", True), ("ratio", "1e3"), ("flags", [1])],
)
def test_a_number_or_flag_fitting_no_rule_is_kept_in_extra(field: str, value: object) -> None:
    gauge = decoder(Gauge)({"sid": "GA1", field: value})
    attribute = {w: a for a, w in wire_names(Gauge).items()}[field]
    assert getattr(gauge, attribute) is None and gauge.extra == {"sid": "GA1", field: value}


def test_a_nested_value_fitting_no_rule_stays_in_the_nested_extra() -> None:
    gauge = decoder(Gauge)({"inner": {"count": "x", "label": "in"}})
    assert gauge.inner is not None and gauge.inner.label == "in"
    assert gauge.inner.count is None and gauge.inner.extra == {"count": "x"}


def test_a_failing_hook_of_another_kind_is_reported_with_its_field_and_cause() -> None:
    with pytest.raises(sp.DecodeError, match=r"^Gauge: field 'temperature' failed: ValueError"):
        decoder(Gauge)({"temperature": "hot"})


@pytest.mark.parametrize("record", [[], "x", 3, None])
def test_a_record_that_is_not_an_object_is_a_decode_error(record: object) -> None:
    with pytest.raises(sp.DecodeError, match="EventReport: expected a JSON object") as caught:
        decoder(sp.EventReport)(record)
    assert type(caught.value) is sp.DecodeError


def test_classes_with_validators_or_slots_are_built_through_init() -> None:
    checked = decoder(Checked)({"level": 2, "name": "n", "more": 1})
    assert (checked.level, checked.name, checked.extra) == (2, "n", {"more": 1})
    assert checked.to_dict() == {"level": 2, "name": "n", "more": 1}
    with pytest.raises(ValueError, match="level"):
        decoder(Checked)({"level": -1})


def test_unparsable_date_is_none_and_kept_in_extra() -> None:
    event = decoder(sp.EventReport)({"sid": "ER1", "eventTime": "yesterday", "createdDate": 7})
    assert event.event_time is None and event.created_date is None
    assert event.extra == {"eventTime": "yesterday", "createdDate": 7}
    assert event.to_dict() == {"sid": "ER1", "eventTime": "yesterday", "createdDate": 7}
    hints = inspect.get_annotations(sp.EventReport, eval_str=True)
    assert hints["event_time"] == datetime | None  # no str in the type any more


def test_path_defaults_fill_what_the_record_lacks_without_changing_it() -> None:
    decode = decoder(sp.SessionEventRow, {"install_sid": "AI1", "exam_sid": "EX1"})
    row = decode({"sid": "ER1", "examSid": "EX2", "installSid": None})
    assert (row.install_sid, row.exam_sid) == ("AI1", "EX2")
    assert row.to_dict() == {"sid": "ER1", "examSid": "EX2", "installSid": None}


# -- what the models keep, and where ----------------------------------------------------


def test_asdict_fields_and_repr_show_no_private_record() -> None:
    event = decoder(sp.EventReport)({"sid": "ER1", "sessionSid": "ES1"})
    assert all(not field.name.startswith("_") for field in attrs.fields(sp.EventReport))
    assert attrs.asdict(event) == {
        **attrs.asdict(sp.EventReport(sid="ER1")),
        "extra": {"sessionSid": "ES1"},
    }
    assert "ES1" not in repr(event)


def test_extra_made_on_first_use_behaves_like_a_field() -> None:
    record = {"sid": "ER1", "sessionSid": "ES1", "n": [1]}
    first, second = decoder(sp.EventReport)(record), decoder(sp.EventReport)(record)
    assert first == second  # equality reads extra
    assert first.extra == {"sessionSid": "ES1", "n": [1]} and first.extra is first.extra
    assert first != attrs.evolve(second, extra={})
    assert attrs.evolve(second, status="Open").extra == first.extra
    for again in (pickle.loads(pickle.dumps(second)), copy.deepcopy(second), copy.copy(second)):
        assert again == first and again.to_dict() == record
    with pytest.raises(AttributeError, match="'EventReport' object has no attribute 'extr'"):
        _ = first.extr  # type: ignore[attr-defined]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        first.sid = "x"  # type: ignore[misc]


@attrs.frozen(kw_only=True, slots=False)
class Probe(Model):
    """A test model decoded nowhere else, so its hooks are made by the test below."""

    level: int | None = None


@attrs.frozen(kw_only=True, slots=False)
class Spied(Model):
    """A test model whose structure hook the test below replaces on the converter."""

    level: int | None = None


def _generated_for(cls: type) -> list[str]:
    suffix = f"{cls.__module__}.{cls.__qualname__}>"
    return [
        n
        for n in linecache.cache
        if n.startswith("<cattrs generated structure") and n.endswith(suffix)
    ]


def test_decoding_goes_through_the_converter_and_its_generated_functions() -> None:
    assert not _generated_for(Probe)
    assert decoder(Probe)({"level": 1, "x": 2}) == Probe(level=1, extra={"x": 2})
    assert _generated_for(Probe)  # cattrs.gen made Probe's structure function, for decoder()

    calls: list[object] = []
    real = converter.get_structure_hook(Spied)

    def spy(data: object, cls: type) -> Spied:
        calls.append(data)
        return real(data, cls)  # type: ignore[no-any-return]

    converter.register_structure_hook(Spied, spy)
    assert decoder(Spied)({"level": 2}).level == 2
    assert calls == [{"level": 2}]  # decoder() asked the converter for the class's hook

    record = {"sid": "ER1", "eventTime": "2025-01-02T03:04:05Z"}
    built = attrs.evolve(decoder(sp.EventReport)(record))
    assert converter.unstructure(built) == record


# -- records: shared fields, one is_terminal, names ------------------------------------


def test_appointment_and_exam_session_share_their_common_fields_by_construction() -> None:
    session = {f.name: f for f in attrs.fields(sp.ExamSession)}
    appointment = {f.name: f for f in attrs.fields(sp.Appointment)}
    shared = [base for base in sp.Appointment.__mro__ if base in sp.ExamSession.__mro__]
    common_base = shared[0]
    declared = {f.name for f in attrs.fields(common_base)}
    same = {
        name for name in session.keys() & appointment.keys() if name not in ("exam", "enrollment")
    }
    assert same <= declared and len(same) > 20
    # ...and neither class declares them again.
    assert not same & (
        set(vars(sp.ExamSession)["__annotations__"]) | set(vars(sp.Appointment)["__annotations__"])
    )


@pytest.mark.parametrize(
    ("status", "terminal"),
    [
        ("Closed", True),
        (" cancelled ", True),
        ("CLOSED\n", True),
        ("In Progress", False),
        ("Closed Pending", False),
        (None, False),
    ],
)
def test_is_terminal_is_one_rule_defined_once(status: str | None, terminal: bool) -> None:
    classes = [sp.ExamSession, sp.Appointment, sp.SessionSummary, sp.ServiceDistributionRow]
    assert len({id(inspect.getattr_static(cls, "is_terminal")) for cls in classes}) == 1
    for cls in classes:
        assert decoder(cls)({"status": status}).is_terminal is terminal


def test_record_is_the_generic_row_and_report_row_its_alias() -> None:
    assert sp.ReportRow is sp.Record
    row = decoder(sp.Record, {"install_sid": "AI1"})({"total": 2})
    assert repr(row) == "Record(install_sid='AI1', fields=['total'])"


def test_json_value_is_recognised_however_it_resolved() -> None:
    attrs.resolve_types(sp.ExamSession)
    exam = attrs.fields(sp.ExamSession).exam.type
    assert is_json_value(exam) and is_json_value(JSONValue)
    assert not is_json_value(Optional[str])  # noqa: UP045
    assert len(get_args(JSONValue)) == 7
