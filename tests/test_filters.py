"""Filter tables and their validation: pure functions, then real methods with no server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Literal, TypedDict

import pytest
from hypothesis import given
from hypothesis import strategies as st

import smarterproctoring_async as sp
from smarterproctoring_async import _filters as f
from smarterproctoring_async.errors import InvalidFilterError
from smarterproctoring_async.models import parse_datetime

HEX = "0123456789abcdef" * 2
INSTALL = "AI" + HEX
EXAM = "EX" + HEX
UTC = timezone.utc
START = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)
END = datetime(2025, 3, 8, tzinfo=UTC)


class Sample(TypedDict, total=False):
    """Every kind of filter, declared the way endpoint methods declare theirs."""

    exam_sid: Annotated[str, f.SID]
    course_title: str
    learner_email: Annotated[str, f.NO_PERCENT]
    status: Literal["Scheduled", "In Progress", "Closed"]
    statuses: f.Many[Literal["Scheduled", "Closed"]]
    include_active: bool
    appointment_after: f.When
    event_time_range: Annotated[f.DateRange, f.span("eventTimeRangeStart", "eventTimeRangeEnd")]
    sort_keys: Annotated[f.Many[Literal["createdDate", "firstName"]], f.ONE]
    sort_order: f.SortOrder


TABLE = f.table_of(Sample)
REPEATED = {"statuses", "sortKeys"}


def build(**values: object) -> dict[str, object]:
    """The query as a dict: repeated keys (arrays) as lists."""
    query: dict[str, object] = {}
    for key, value in f.build_query(TABLE, values):
        if key in REPEATED:
            query.setdefault(key, [])
            query[key].append(value)  # type: ignore[attr-defined]
        else:
            assert key not in query, f"{key} sent twice"
            query[key] = value
    return query


def test_keywords_map_to_wire_names_and_none_means_not_given() -> None:
    assert build(
        exam_sid=EXAM,
        course_title="Bio 100%",
        status="In Progress",
        include_active=False,
        learner_email=None,
    ) == {
        "examSid": EXAM,
        "courseTitle": "Bio 100%",
        "status": "In Progress",
        "includeActive": "false",
    }
    assert build() == {}


def test_the_table_follows_the_declaration() -> None:
    assert f.keyword_for("courseOfferingSid") == "course_offering_sid"
    assert f.wire_for("course_offering_sid") == "courseOfferingSid"
    assert f.keyword_for("type") == "type" == f.wire_for("type")
    assert list(TABLE) == list(Sample.__annotations__)
    kinds = {keyword: (spec.kind, spec.wire) for keyword, spec in TABLE.items()}
    assert kinds == {
        "exam_sid": ("sid", ("examSid",)),
        "course_title": ("text", ("courseTitle",)),
        "learner_email": ("text", ("learnerEmail",)),
        "status": ("choice", ("status",)),
        "statuses": ("choices", ("statuses",)),
        "include_active": ("flag", ("includeActive",)),
        "appointment_after": ("when", ("appointmentAfter",)),
        "event_time_range": ("span", ("eventTimeRangeStart", "eventTimeRangeEnd")),
        "sort_keys": ("choices", ("sortKeys",)),
        "sort_order": ("choice", ("sortOrder",)),
    }
    assert TABLE["learner_email"].no_percent and not TABLE["course_title"].no_percent
    assert TABLE["status"].allowed == ("Scheduled", "In Progress", "Closed")
    assert TABLE["sort_keys"].max_items == 1 and TABLE["statuses"].max_items is None
    assert TABLE["sort_order"].upper


def test_a_declaration_the_table_cannot_read_is_refused() -> None:
    class Odd(TypedDict, total=False):
        limit: float

    with pytest.raises(TypeError, match=r"Odd\.limit"):
        f.table_of(Odd)


def test_unknown_keyword_is_a_type_error_not_dropped() -> None:
    with pytest.raises(TypeError, match="'exam'"):
        build(exam=EXAM)


def test_datetimes_become_utc_with_z() -> None:
    paris = timezone(timedelta(hours=2))
    assert build(appointment_after=datetime(2025, 3, 1, 10, 0, 0, 250_000, tzinfo=paris)) == {
        "appointmentAfter": "2025-03-01T08:00:00.250Z"
    }
    assert build(appointment_after=date(2025, 3, 1)) == {
        "appointmentAfter": "2025-03-01T00:00:00.000Z"
    }


OFFSETS = st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23))


@given(
    st.datetimes(
        min_value=datetime(1970, 1, 2),
        max_value=datetime(9000, 1, 1),
        timezones=st.builds(timezone, OFFSETS),
    )
)
def test_any_aware_datetime_is_sent_as_the_same_instant(moment: datetime) -> None:
    sent = build(appointment_after=moment)["appointmentAfter"]
    assert isinstance(sent, str) and sent.endswith("Z")
    back = parse_datetime(sent)
    assert isinstance(back, datetime)
    assert abs(back - moment) < timedelta(milliseconds=1)


def test_naive_datetimes_are_refused_naming_the_keyword() -> None:
    with pytest.raises(InvalidFilterError, match=r"appointment_after.*naive"):
        build(appointment_after=datetime(2025, 1, 1))
    with pytest.raises(InvalidFilterError, match=r"event_time_range\[1\].*naive"):
        build(event_time_range=(START, datetime(2025, 1, 1)))


def test_date_strings_are_refused() -> None:
    with pytest.raises(InvalidFilterError, match="appointment_after must be a timezone-aware"):
        build(appointment_after="2025-01-01T00:00:00Z")


def test_a_range_is_one_pair_sent_as_two_names() -> None:
    assert build(event_time_range=(START, END)) == {
        "eventTimeRangeStart": "2025-03-01T08:30:00.000Z",
        "eventTimeRangeEnd": "2025-03-08T00:00:00.000Z",
    }
    assert build(event_time_range=[date(2025, 3, 1), END])["eventTimeRangeStart"] == (
        "2025-03-01T00:00:00.000Z"
    )


@pytest.mark.parametrize(
    "value", [START, (START,), (START, None), (None, END), (START, END, END), "2025"]
)
def test_a_range_needs_both_ends(value: object) -> None:
    with pytest.raises(InvalidFilterError, match="event_time_range") as caught:
        build(event_time_range=value)
    assert "eventTimeRangeStart" in str(caught.value) or "both" in str(caught.value)


def test_a_range_must_not_end_before_it_starts() -> None:
    with pytest.raises(InvalidFilterError, match="event_time_range starts after it ends"):
        build(event_time_range=(END, START))


def test_enum_errors_list_the_allowed_values() -> None:
    with pytest.raises(InvalidFilterError) as caught:
        build(status="closed")
    message = str(caught.value)
    assert message.startswith("status must be one of")
    for allowed in ("'Scheduled'", "'In Progress'", "'Closed'"):
        assert allowed in message
    assert "'closed'" in message


def test_enum_must_be_a_string() -> None:
    with pytest.raises(InvalidFilterError, match="status must be a str"):
        build(status=3)


def test_array_filters_take_one_value_or_several_and_repeat_the_key() -> None:
    assert build(statuses="Closed") == {"statuses": ["Closed"]}
    query = build(statuses=("Scheduled", "Closed"))
    assert query == {"statuses": ["Scheduled", "Closed"]}
    assert f.build_query(TABLE, {"statuses": ["Scheduled", "Closed"]}) == (
        ("statuses", "Scheduled"),
        ("statuses", "Closed"),
    )
    with pytest.raises(InvalidFilterError, match="statuses must be one of"):
        build(statuses=["Closed", "Open"])
    for wrong in (b"Closed", {"Closed": 1}, 5):
        with pytest.raises(InvalidFilterError, match="statuses must be a str or a list"):
            build(statuses=wrong)


def test_array_filters_respect_max_items() -> None:
    assert build(sort_keys="firstName") == {"sortKeys": ["firstName"]}
    with pytest.raises(InvalidFilterError, match="sort_keys takes at most 1"):
        build(sort_keys=["createdDate", "firstName"])


def test_sort_order_accepts_any_case() -> None:
    assert build(sort_order="desc") == {"sortOrder": "DESC"}
    with pytest.raises(InvalidFilterError, match="sort_order must be one of 'ASC', 'DESC'"):
        build(sort_order="down")


def test_percent_is_refused_only_where_the_api_forbids_it() -> None:
    with pytest.raises(InvalidFilterError, match="learner_email must not contain '%'"):
        build(learner_email="ada%@example.edu")
    assert build(course_title="100%") == {"courseTitle": "100%"}


def test_text_must_be_a_string() -> None:
    with pytest.raises(InvalidFilterError, match="course_title must be a str"):
        build(course_title=42)


def test_flags_must_be_booleans() -> None:
    assert build(include_active=True) == {"includeActive": "true"}
    with pytest.raises(InvalidFilterError, match="include_active must be True or False"):
        build(include_active="true")


def test_sid_filters_are_checked_against_their_prefix() -> None:
    with pytest.raises(InvalidFilterError, match="exam_sid: examSid must be 'EX'"):
        build(exam_sid="ES" + HEX)
    with pytest.raises(InvalidFilterError, match="exam_sid must be a non-empty SID"):
        build(exam_sid="")
    loose = f.build_query(TABLE, {"exam_sid": "legacy-id"}, validate_sids=False)
    assert loose == (("examSid", "legacy-id"),)


def test_required_filters() -> None:
    class Sorted(TypedDict):
        sort_by: Literal["examTitle"]

    table = f.table_of(Sorted)
    with pytest.raises(InvalidFilterError, match="sort_by is required"):
        f.build_query(table, {})
    assert f.build_query(table, {"sort_by": "examTitle"}) == (("sortBy", "examTitle"),)


# The same checks through the real methods. Nothing listens at the base URL: a request
# would fail with a TransportError, so a filter error proves none was sent.


@pytest.fixture
async def reports() -> AsyncIterator[sp.Reports]:
    retry = sp.RetryPolicy(max_attempts=1)
    async with sp.Client("t", base_url="http://127.0.0.1:9", retry=retry) as client:
        yield client.install(INSTALL).reports


async def test_methods_refuse_bad_filters_before_any_request(reports: sp.Reports) -> None:
    with pytest.raises(InvalidFilterError, match="status must be one of 'Needs Proctor'"):
        reports.appointments(status="closed")
    with pytest.raises(InvalidFilterError, match="learner_email must not contain '%'"):
        reports.appointments(learner_email="%@example.edu")
    with pytest.raises(InvalidFilterError, match="appointment_after is a naive datetime"):
        reports.appointments(appointment_after=datetime(2025, 1, 1))
    with pytest.raises(InvalidFilterError, match="event_time_range"):
        reports.session_events(event_time_range=(START, None))
    with pytest.raises(InvalidFilterError, match="exam_sid: examSid must be 'EX'"):
        reports.session_events(exam_sid="bad")
    with pytest.raises(InvalidFilterError, match="service_types must be one of"):
        reports.service_distribution(service_types=["live", "drone"])
    with pytest.raises(InvalidFilterError, match="appointment_date_range"):
        await reports.appointment_volume(appointment_date_range=(END, START))
    with pytest.raises(InvalidFilterError, match="exam_session_status must be one of"):
        await reports.proctor_volume(exam_session_status="closed")


async def test_methods_refuse_unknown_keywords(reports: sp.Reports) -> None:
    with pytest.raises(TypeError, match="examSid"):
        reports.appointments(examSid=EXAM)  # type: ignore[call-arg]
    with pytest.raises(InvalidFilterError, match="sort_by is required"):
        reports.exam_overview()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        await reports.exam_type_stats(exam_sid=EXAM)  # type: ignore[call-arg]
