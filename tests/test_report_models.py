"""Decoding report rows without a server: nested models, path defaults, session refs."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.models import converter, decoder

HEX = "0123456789abcdef" * 2
INSTALL, EXAM, SESSION = "AI" + HEX, "EX" + HEX, "ES" + HEX
decode_appointment = decoder(sp.Appointment, {"install_sid": INSTALL})


def test_nested_objects_become_typed_models() -> None:
    row = decode_appointment(
        {
            "sid": SESSION,
            "examSid": EXAM,
            "status": "Closed",
            "exam": {"sid": EXAM, "title": "Final", "totalSessions": 3.0, "new": 1},
            "enrollment": {"enrollmentSid": "EN" + HEX, "role": "learner", "email": "a@b"},
        }
    )
    assert isinstance(row.exam, sp.AppointmentExam)
    assert (row.exam.title, row.exam.total_sessions, row.exam.extra) == ("Final", 3, {"new": 1})
    assert isinstance(row.enrollment, sp.AppointmentEnrollment)
    assert row.enrollment.extra == {"email": "a@b"}
    assert row.to_dict()["exam"]["totalSessions"] == 3.0  # as the server sent it
    assert row.session_ref == sp.SessionRef(INSTALL, EXAM, SESSION)


@pytest.mark.parametrize("shape", ["Final Exam", ["a"], 7, True])
def test_a_nested_value_that_is_not_an_object_stays_in_extra(shape: object) -> None:
    row = decode_appointment({"sid": SESSION, "exam": shape})
    assert row.exam is None and row.extra["exam"] == shape


def test_null_nested_values_are_none() -> None:
    row = decode_appointment({"sid": SESSION, "exam": None, "enrollment": None})
    assert row.exam is None and row.enrollment is None and row.extra == {}


def test_a_nested_field_fitting_no_rule_stays_in_the_nested_extra() -> None:
    row = decode_appointment({"sid": SESSION, "exam": {"totalSessions": "many", "title": "T"}})
    assert row.exam is not None and row.exam.title == "T"
    assert row.exam.total_sessions is None and row.exam.extra == {"totalSessions": "many"}
    assert row.to_dict()["exam"] == {"totalSessions": "many", "title": "T"}


def test_the_converter_decodes_nested_models_too() -> None:
    row = converter.structure({"exam": {"sid": EXAM}}, sp.Appointment)
    assert isinstance(row.exam, sp.AppointmentExam) and row.install_sid is None


def test_models_built_in_code_go_back_to_wire_form() -> None:
    row = sp.Appointment(
        sid=SESSION,
        appointment_date=datetime(2025, 1, 2, 3, 4, tzinfo=timezone.utc),
        exam=sp.AppointmentExam(sid=EXAM, use_proctor_manager=False),
    )
    assert row.to_dict() == {
        "sid": SESSION,
        "appointmentDate": "2025-01-02T03:04:00Z",
        "exam": {"sid": EXAM, "useProctorManager": False},
    }


def test_path_defaults_fill_only_what_the_row_lacks() -> None:
    other = "AI" + "f" * 32
    assert decode_appointment({"installSid": other}).install_sid == other
    assert decode_appointment({"installSid": None}).install_sid == INSTALL
    # A value of the wrong shape stays in extra, and the default fills the attribute.
    odd = decode_appointment({"installSid": {"sid": other}})
    assert odd.install_sid == INSTALL and odd.extra["installSid"] == {"sid": other}
    with pytest.raises(ValueError, match="no attribute"):
        decoder(sp.Record, {"exam_sid": EXAM})


def test_session_ref_says_which_sid_is_missing() -> None:
    with pytest.raises(sp.DecodeError, match=f"Appointment '{SESSION}' has no examSid"):
        _ = decode_appointment({"sid": SESSION}).session_ref
    row = decoder(sp.SessionEventRow)({"sid": "ER" + HEX})
    with pytest.raises(sp.DecodeError, match="has no installSid and no examSid and no sessionSid"):
        _ = row.session_ref


def test_report_rows_name_a_session_by_session_sid_or_an_es_sid() -> None:
    decode = decoder(sp.Record, {"install_sid": INSTALL})
    by_sid = decode({"sid": SESSION, "examSid": EXAM, "total": 1})
    assert by_sid.session_ref == sp.SessionRef(INSTALL, EXAM, SESSION)
    nested = decode({"sessionSid": SESSION, "sid": "MT" + HEX, "exam": {"sid": EXAM}})
    assert nested.session_ref.session_sid == SESSION
    with pytest.raises(sp.DecodeError, match=r"Record 'US.*' has no sessionSid"):
        _ = decode({"sid": "US" + HEX, "examSid": EXAM}).session_ref


def test_lenient_rows_show_their_fields_in_repr() -> None:
    row = decoder(sp.Record)({"total": 3, "byDate": []})
    assert repr(row) == "Record(install_sid=None, fields=['byDate', 'total'])"
    assert row.extra == {"total": 3, "byDate": []}


async def test_client_session_accepts_report_rows() -> None:
    row = decode_appointment({"sid": SESSION, "examSid": EXAM})
    async with sp.Client("t", base_url="http://127.0.0.1:9") as client:
        assert client.session(row).ref == row.session_ref
