"""Bad arguments are refused with a typed error before any request is sent.

Each test pins one input an outside probe found accepted (or crashing untyped):
out-of-range dates, years below 1000, non-bool options, a rate limiter of the wrong
shape and empty lists given to list filters.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

import smarterproctoring_async as sp
from smarterproctoring_async import _protocol
from smarterproctoring_async.cli import main
from smarterproctoring_async.errors import ConfigurationError, InvalidFilterError
from smarterproctoring_async.testing import FakeAPI

from .conftest import MakeClient, handle

UTC = timezone.utc
WEST = timezone(timedelta(hours=-5))
EAST = timezone(timedelta(hours=5))
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"


def reports(client: sp.Client, fake: FakeAPI) -> Any:
    """The reports of the fake's install."""
    return client.install(fake.data.sessions[0].install_sid).reports


# 1a: no UTC equivalent


@pytest.mark.parametrize(
    "when", [datetime.max.replace(tzinfo=WEST), datetime.min.replace(tzinfo=EAST)]
)
async def test_a_date_outside_utc_range_is_a_filter_error(
    fake: FakeAPI, make_client: MakeClient, when: datetime
) -> None:
    client = make_client()
    before = fake.requests.total
    with pytest.raises(InvalidFilterError, match=r"appointment_after.*out of range"):
        reports(client, fake).appointments(appointment_after=when)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with pytest.raises(InvalidFilterError, match=r"exam_date_range\[1\].*out of range"):
        reports(client, fake).exam_volume(exam_date_range=(start, when))
    assert fake.requests.total == before


def test_cli_reports_an_out_of_range_date_in_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMARTERPROCTORING_TOKEN", TOKEN)
    install = "AI" + "a" * 32
    # Port 9 (discard): nothing listens, and the error must come before any request.
    args = ["report", "appointments", "--install", install, "--base-url", "http://127.0.0.1:9"]
    code = main([*args, "--appointment-after", "9999-12-31T23:00:00-05:00"])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "out of range" in err


# 1b: four-digit years


def test_years_below_1000_have_four_digits() -> None:
    assert _protocol.format_datetime(datetime(5, 1, 1, tzinfo=UTC)) == "0005-01-01T00:00:00.000Z"
    assert _protocol.format_datetime(date(999, 2, 3)) == "0999-02-03T00:00:00.000Z"
    # A day earlier once moved to UTC, in year 1.
    east = datetime(1, 1, 2, 3, 4, 5, 678999, tzinfo=EAST)
    assert _protocol.format_datetime(east) == "0001-01-01T22:04:05.678Z"


# 1c: ends compared as instants


async def test_a_span_across_year_1000_is_in_order(fake: FakeAPI, make_client: MakeClient) -> None:
    client = make_client()
    early, late = datetime(999, 1, 1, tzinfo=UTC), datetime(1000, 1, 1, tzinfo=UTC)
    paginator = reports(client, fake).exam_volume(exam_date_range=(early, late))
    assert paginator._request.query == (
        ("examOpenDate", "0999-01-01T00:00:00.000Z"),
        ("examCloseDate", "1000-01-01T00:00:00.000Z"),
    )
    with pytest.raises(InvalidFilterError, match="exam_date_range starts after it ends"):
        reports(client, fake).exam_volume(exam_date_range=(late, early))


def test_span_order_is_by_instant_not_by_local_text() -> None:
    from smarterproctoring_async import _filters as f

    table = {"r": f.span("rStart", "rEnd")}
    # 10:00 at -05:00 is 15:00 UTC, after 12:00 UTC although "10" < "12".
    later = datetime(2025, 1, 1, 10, tzinfo=WEST)
    with pytest.raises(InvalidFilterError, match="starts after it ends"):
        f.build_query(table, {"r": (later, datetime(2025, 1, 1, 12, tzinfo=UTC))})
    # Both ends are sent as ".000Z", yet the start is still after the end.
    noon = datetime(2025, 1, 1, 12, tzinfo=UTC)
    with pytest.raises(InvalidFilterError, match="starts after it ends"):
        f.build_query(table, {"r": (noon + timedelta(microseconds=900), noon)})
    assert f.build_query(table, {"r": (date(2025, 1, 1), noon)}) == (
        ("rStart", "2025-01-01T00:00:00.000Z"),
        ("rEnd", "2025-01-01T12:00:00.000Z"),
    )


# 2: boolean options


@pytest.mark.parametrize("option", ["validate_sids", "trust_env", "allow_insecure_http"])
@pytest.mark.parametrize("value", ["false", "no", 0, 1, None])
def test_boolean_options_must_be_bools(option: str, value: object) -> None:
    with pytest.raises(ConfigurationError, match=f"{option} must be True or False, got "):
        sp.Client(TOKEN, base_url="https://api.example.com", **{option: value})


def test_a_string_false_does_not_open_plain_http() -> None:
    with pytest.raises(ConfigurationError, match=r"allow_insecure_http.*got str"):
        sp.Client(TOKEN, base_url="http://api.example.com", allow_insecure_http="false")
    with pytest.raises(ConfigurationError, match="plain http"):
        sp.Client(TOKEN, base_url="http://api.example.com", allow_insecure_http=False)
    client = sp.Client(TOKEN, base_url="http://api.example.com", allow_insecure_http=True)
    assert client.base_url == "http://api.example.com"


# 3: the rate limiter's shape


class OwnLimiter:
    """A user's limiter: the four methods, nothing else."""

    def __init__(self) -> None:
        self.acquired = 0

    async def acquire(
        self, deadline: float | None = None, *, max_pause: float | None = None
    ) -> float:
        self.acquired += 1
        return 0.0

    async def wait_if_paused(
        self, deadline: float | None = None, *, max_pause: float | None = None
    ) -> float:
        return 0.0

    def pause(self, seconds: float) -> None:
        """Nothing to hold back in this test."""

    def slow_down(self) -> None:
        """Nothing to slow down in this test."""


class NoSlowDown(OwnLimiter):
    """Everything but ``slow_down`` (shadowed by a non-callable)."""

    slow_down = None  # type: ignore[assignment]


@pytest.mark.parametrize("limiter", [object(), "10/s", NoSlowDown()])
def test_a_rate_limiter_without_the_limiter_methods_is_refused(limiter: object) -> None:
    with pytest.raises(ConfigurationError, match=r"rate_limiter must be .* lacks"):
        sp.Client(TOKEN, rate_limiter=limiter)  # type: ignore[arg-type]


async def test_limiters_of_the_right_shape_are_accepted(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    own = OwnLimiter()
    client = make_client(rate_limiter=own)
    assert client.rate_limiter is own
    before = fake.requests.total
    await reports(client, fake).exam_type_stats()
    # Also shows that the request count other tests rely on does move.
    assert own.acquired >= 1 and fake.requests.total > before
    shared = sp.RateLimiter(5.0)
    assert make_client(rate_limiter=shared).rate_limiter is shared
    redis_limiter = sp.RedisRateLimiter("redis://127.0.0.1:9", key="input-checks")
    assert make_client(rate_limiter=redis_limiter).rate_limiter is redis_limiter


# 4: empty lists


async def test_an_empty_list_filter_is_refused_before_any_request(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    client = make_client()
    before = fake.requests.total
    # appointments' status takes one value: a list was, and is, refused as such.
    with pytest.raises(InvalidFilterError, match="status must be a str, got list"):
        reports(client, fake).appointments(status=[])
    with pytest.raises(InvalidFilterError, match="sort_keys is an empty list; leave it out"):
        reports(client, fake).session_events(sort_keys=[])
    with pytest.raises(InvalidFilterError, match="statuses is an empty list"):
        reports(client, fake).service_distribution(statuses=())
    with pytest.raises(InvalidFilterError, match="sort_keys is an empty list"):
        handle(client, fake.data.sessions[0]).events(sort_keys=[])
    install = client.install(fake.data.sessions[0].install_sid)
    with pytest.raises(InvalidFilterError, match="category_id is an empty list"):
        await install.annotation_types(category_id=[])
    # The unwrapped routes: the API's own names, the same rule.
    route = "/v1/installs/{installSid}/reports/appointments"
    with pytest.raises(InvalidFilterError, match="examSid is an empty list"):
        await client.get_json(route, installSid=install.sid, examSid=[])
    with pytest.raises(InvalidFilterError, match="examSid is an empty list"):
        client.paginate(route, installSid=install.sid, examSid=())
    assert fake.requests.total == before
