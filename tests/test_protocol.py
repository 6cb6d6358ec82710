"""Pure protocol functions: no event loop, no server."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from email.utils import format_datetime as http_date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smarterproctoring_async import _envelope as e
from smarterproctoring_async import _error_body as b
from smarterproctoring_async import _protocol as p
from smarterproctoring_async._retry_rules import error_for_status
from smarterproctoring_async.errors import (
    APIError,
    AuthenticationError,
    DecodeError,
    InvalidFilterError,
    InvalidInputError,
    InvalidSidError,
    NotFoundError,
    RateLimitError,
    RedirectError,
    ServerError,
)

HEX = "0123456789abcdef" * 2
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


@given(
    st.sampled_from(sorted(p.SID_PREFIXES.items())),
    st.text(alphabet="0123456789abcdef", min_size=32, max_size=32),
)
def test_well_formed_sids_pass(param_prefix: tuple[str, str], body: str) -> None:
    name, prefix = param_prefix
    assert p.check_sid(name, prefix + body) == prefix + body


@pytest.mark.parametrize(
    "value",
    [
        "EX" + HEX,  # wrong prefix for an install
        "AI" + HEX.upper(),
        "AI" + HEX[:-1],
        "AI" + HEX + "0",
        " AI" + HEX,
        "AI" + HEX + "\n",
        "",
    ],
)
def test_malformed_install_sids_are_refused(value: str) -> None:
    with pytest.raises(InvalidSidError, match="installSid"):
        p.check_sid("installSid", value)


def test_sid_must_be_a_string() -> None:
    with pytest.raises(InvalidSidError):
        p.check_sid("examSid", 12)


@pytest.mark.parametrize("value", ["a/b", "..", ".", "", "x\ty"])
def test_unvalidated_sids_still_cannot_change_the_path(value: str) -> None:
    with pytest.raises(InvalidSidError):
        p.check_sid("installSid", value, validate=False)


def test_unvalidated_sids_are_percent_encoded() -> None:
    path = p.build_path("/v1/installs/{installSid}", {"installSid": "a b?c#d"}, validate=False)
    assert path == "/v1/installs/a%20b%3Fc%23d"


def test_build_path_checks_every_placeholder() -> None:
    template = "/v1/installs/{installSid}/exams/{examSid}"
    assert p.build_path(template, {"installSid": "AI" + HEX, "examSid": "EX" + HEX}) == (
        f"/v1/installs/AI{HEX}/exams/EX{HEX}"
    )
    with pytest.raises(InvalidSidError, match="examSid"):
        p.build_path(template, {"installSid": "AI" + HEX, "examSid": "ES" + HEX})


def test_datetimes_are_sent_as_utc_with_z() -> None:
    paris = timezone(timedelta(hours=2))
    assert p.format_datetime(datetime(2025, 6, 1, 14, 30, 5, 123456, tzinfo=paris)) == (
        "2025-06-01T12:30:05.123Z"
    )
    assert p.format_datetime(date(2025, 6, 1)) == "2025-06-01T00:00:00.000Z"


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(InvalidFilterError, match="naive"):
        p.encode_query({"appointmentAfter": datetime(2025, 1, 1)})


def test_query_encoding() -> None:
    pairs = p.encode_query(
        {"sortKeys": ["a", "b"], "includeActive": True, "limit": 5, "skip": None, "x": "y"}
    )
    assert pairs == (
        ("sortKeys", "a"),
        ("sortKeys", "b"),
        ("includeActive", "true"),
        ("limit", "5"),
        ("x", "y"),
    )


def test_choices_list_the_allowed_values() -> None:
    assert p.check_choice("sort_order", "ASC", ("ASC", "DESC")) == "ASC"
    with pytest.raises(InvalidFilterError, match="'ASC', 'DESC'"):
        p.check_choice("sort_order", "UP", ("ASC", "DESC"))


@pytest.mark.parametrize(
    ("status", "terminal"),
    [
        ("Closed", True),
        ("closed", True),
        (" CANCELLED ", True),
        ("Cancelled", True),
        ("In Progress", False),
        ("Scheduled", False),
        (None, False),
        ("", False),
    ],
)
def test_terminal_statuses(status: str | None, terminal: bool) -> None:
    assert p.is_terminal(status) is terminal


def test_retry_after_seconds_and_dates() -> None:
    assert p.parse_retry_after("3", NOW) == 3.0
    assert p.parse_retry_after(" 1.5 ", NOW) == 1.5
    assert p.parse_retry_after(http_date(NOW + timedelta(seconds=30), usegmt=True), NOW) == 30.0
    assert p.parse_retry_after(http_date(NOW - timedelta(seconds=30), usegmt=True), NOW) == 0.0
    assert p.parse_retry_after("soon", NOW) is None
    assert p.parse_retry_after(None, NOW) is None
    assert p.parse_retry_after("-4", NOW) == 0.0
    assert p.parse_retry_after("inf", NOW) is None


@given(st.integers(min_value=0, max_value=10**6))
def test_retry_after_integer_seconds_round_trip(seconds: int) -> None:
    assert p.parse_retry_after(str(seconds), NOW) == seconds


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, InvalidInputError),
        (401, AuthenticationError),
        (403, AuthenticationError),
        (404, NotFoundError),
        (429, RateLimitError),
        (500, ServerError),
        (503, ServerError),
        (302, RedirectError),
        (409, APIError),
    ],
)
def test_status_maps_to_typed_error(status: int, cls: type[APIError]) -> None:
    error = error_for_status(
        status, b'{"code": "SOMECODE", "message": "went wrong"}', method="GET", path="/v1/x"
    )
    assert type(error) is cls
    assert (error.status, error.code, error.message, error.path) == (
        status,
        "SOMECODE",
        "went wrong",
        "/v1/x",
    )
    assert "GET /v1/x" in str(error)


def test_error_body_that_is_html_or_text() -> None:
    html = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    assert error_for_status(502, html, method="GET", path="/").message == "502 Bad Gateway"
    assert error_for_status(500, b"", method="GET", path="/").message == "HTTP 500"
    rate = error_for_status(429, b"slow down", method="GET", path="/", retry_after=2.0)
    assert isinstance(rate, RateLimitError) and rate.retry_after == 2.0


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("/v1/other", "https://api.example.com/v1/other"),
        ("https://api.example.com:443/v1/x", "https://api.example.com:443/v1/x"),
    ],
)
def test_same_host_redirects_are_followed(location: str, expected: str) -> None:
    assert p.redirect_target("https://api.example.com/v1/a", location) == expected


def test_http_to_https_upgrade_on_same_host_is_followed() -> None:
    target = p.redirect_target("http://api.example.com/v1/a", "https://api.example.com/v1/a")
    assert target == "https://api.example.com/v1/a"


@pytest.mark.parametrize(
    "location",
    [
        "https://evil.example.net/steal",
        "//evil.example.net/x",
        "http://api.example.com/v1/a",
        "https://api.example.com:8443/v1/a",
        "ftp://api.example.com/x",
        None,
    ],
)
def test_unsafe_redirects_are_refused(location: str | None) -> None:
    with pytest.raises(RedirectError):
        p.redirect_target("https://api.example.com/v1/a", location)


def test_envelope_reading() -> None:
    env = e.read_envelope({"total": 3, "count": 1, "offset": 0, "results": [{"sid": "x"}]})
    assert env.total == 3 and env.items == [{"sid": "x"}]
    assert e.read_envelope({"results": []}).total is None
    assert e.read_envelope({"total": "7", "results": []}).total == 7
    assert e.read_envelope([1, 2]).total == 2 and not e.read_envelope([1, 2]).paged
    assert e.read_envelope({"total": 2.0, "results": []}).total == 2


@pytest.mark.parametrize(
    "body",
    [
        "text",
        5,
        {"results": {"a": 1}},
        {"total": -1, "results": []},
        {"total": "many", "results": []},
        {"total": True, "results": []},
        {"total": "²", "results": []},
        {"total": "1" * 30, "results": []},
        {"total": 5},
        {"total": 5, "results": None},
        {"total": 5, "items": []},
    ],
)
def test_bad_envelopes_raise_decode_error(body: object) -> None:
    with pytest.raises(DecodeError):
        e.read_envelope(body)


def test_paired_ranges() -> None:
    a, b = datetime(2025, 1, 1, tzinfo=timezone.utc), datetime(2025, 2, 1, tzinfo=timezone.utc)
    assert p.paired("startX", "endX", (a, b)) == {"startX": a, "endX": b}
    assert p.paired("startX", "endX", None) == {}
    with pytest.raises(InvalidFilterError, match="both"):
        p.paired("startX", "endX", (a, None))
    with pytest.raises(InvalidFilterError, match="pair"):
        p.paired("startX", "endX", a)


@pytest.mark.parametrize(
    ("current", "location"),
    [
        ("http://127.0.0.1:8080/v1/a", "https://127.0.0.1:9443/v1/a"),  # upgrade, other port
        ("http://api.example.com:8080/v1/a", "https://api.example.com/v1/a"),
        ("http://127.0.0.1:8080/v1/a", "http://localhost:8080/v1/a"),  # another host name
        ("http://127.0.0.1:8080/v1/a", "http://127.0.0.1:99999/"),  # not a port
        ("http://127.0.0.1:8080/v1/a", "http://[::1"),  # not a URL
    ],
)
def test_redirects_leave_neither_origin_nor_default_ports(current: str, location: str) -> None:
    with pytest.raises(RedirectError):
        p.redirect_target(current, location)


def test_the_token_is_scrubbed_before_the_message_is_cut() -> None:
    token = "eyJ" + "k" * 40
    message = "x" * 180 + token + "y" * 80
    body = json.dumps({"code": f"BAD {token}", "message": message}).encode()
    error = error_for_status(400, body, method="GET", path="/v1/a", secret=token)
    for text in (str(error), error.message, error.code or ""):
        assert all(token[i : i + 8] not in text for i in range(len(token) - 7))
    assert "[token]" in error.message


def test_error_bodies_are_read_in_linear_time_and_bounded() -> None:
    import time

    titles = b"<title>" * 30_000  # 205 KiB, no closing tag: quadratic for a lazy regex
    started = time.perf_counter()
    error = error_for_status(404, titles, method="GET", path="/v1/a")
    assert time.perf_counter() - started < 0.5
    assert len(error.message) <= b.MESSAGE_CHARS
    deep = b"[" * 100_000 + b"]" * 100_000
    assert error_for_status(404, deep, method="GET", path="/v1/a").status == 404


def test_log_lines_show_paging_and_sids_but_not_people() -> None:
    query = (
        ("learnerEmail", "ann@example.org"),
        ("learnerFirstName", "Ann"),
        ("examTitle", "Chemistry 101"),
        ("examSid", "EX" + "a" * 32),
        ("status", "Closed"),
        ("appointmentAfter", "2026-01-01T00:00:00.000Z"),
        ("offset", "50"),
        ("limit", "50"),
    )
    line = p.loggable_query(query)
    for secret in ("ann", "Ann", "Chemistry"):
        assert secret not in line
    for shown in ("learnerEmail=***", "examSid=EX", "status=Closed", "offset=50", "limit=50"):
        assert shown in line
    assert "appointmentAfter=2026-01-01T00:00:00.000Z" in line
