"""The fake's error answers, byte for byte: the maker's framework shapes (the default),
the named style kept for old suites, ``limit_refusal``, the server-failure fault kinds
and the CLI options that set these knobs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from smarterproctoring_async.testing import FakeAPI, Fault, generate_data
from smarterproctoring_async.testing.__main__ import build_fake, parse_args

ZERO = "0" * 32
UNAUTHORIZED = {
    "code": "5000",
    "message": "You are unauthorized to access or perform this action on this resource.",
    "status": 401,
}
NOT_FOUND = {
    "code": "1200",
    "message": "Data not found",
    "status": 404,
    "more_info": "https://www.smarterservices.com/errors/1200",
}
NO_ROUTE = {"statusCode": 404, "error": "Not Found", "message": "Not Found"}


@pytest.fixture
async def fake() -> AsyncIterator[FakeAPI]:
    async with FakeAPI(generate_data(seed=8, sessions_per_exam=2, events=(3, 3))) as api:
        yield api


@pytest.fixture
async def http(fake: FakeAPI) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(headers={"token": fake.token}) as session:
        yield session


async def get(
    http: aiohttp.ClientSession, url: str, params: Any = None, method: str = "GET"
) -> tuple[int, Any]:
    async with http.request(method, url, params=params) as response:
        return response.status, await response.json()


def events_url(fake: FakeAPI) -> str:
    s = fake.data.sessions[0]
    return f"{fake.base_url}/v1/installs/{s.install_sid}/exams/{s.exam_sid}/sessions/{s.sid}/events"


def reports_url(fake: FakeAPI, tail: str) -> str:
    return f"{fake.base_url}/v1/installs/{fake.data.installs[0]['sid']}/reports{tail}"


def bad_request(message: str, *keys: str, source: str = "query") -> dict[str, Any]:
    return {
        "statusCode": 400,
        "error": "Bad Request",
        "message": message,
        "validation": {"source": source, "keys": list(keys)},
    }


# the framework style (default) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "body"),
    [
        (
            {"limit": "ten"},
            bad_request('child "limit" fails because ["limit" must be a number]', "limit"),
        ),
        ({"bogus": "1"}, bad_request('"bogus" is not allowed', "bogus")),
        (
            {"sortOrder": "UP"},
            bad_request(
                'child "sortOrder" fails because ["sortOrder" must be one of [ASC, DESC]]',
                "sortOrder",
            ),
        ),
        (
            {"offset": "-1"},
            bad_request(
                'child "offset" fails because ["offset" must be larger than or equal to 0]',
                "offset",
            ),
        ),
        (
            [("limit", "1"), ("limit", "2")],
            bad_request('child "limit" fails because ["limit" must be a number]', "limit"),
        ),
    ],
)
async def test_bad_query_parameters_are_boom_400s_naming_them(
    fake: FakeAPI, http: aiohttp.ClientSession, params: Any, body: dict[str, Any]
) -> None:
    assert await get(http, events_url(fake), params) == (400, body)


async def test_required_and_paired_parameters(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    missing = 'child "sortBy" fails because ["sortBy" is required]'
    assert await get(http, reports_url(fake, "/examOverview")) == (
        400,
        bad_request(missing, "sortBy"),
    )
    url = reports_url(fake, "/examSessionEvents")
    start, end = "eventTimeRangeStart", "eventTimeRangeEnd"
    for sent, other in ((start, end), (end, start)):
        said = f'"value" contains [{sent}] without its required peers [{other}]'
        assert await get(http, url, {sent: "2025-01-01T00:00:00Z"}) == (
            400,
            bad_request(said, sent),
        )


async def test_a_bad_path_sid_is_a_boom_400_on_params(
    fake: FakeAPI, http: aiohttp.ClientSession
) -> None:
    bad = "ES" + "A" * 32
    said = (
        f'child "sessionSid" fails because ["sessionSid" with value "{bad}" fails to match the '
        "required pattern: /^ES[a-f0-9]{32}$/]"
    )
    assert await get(http, f"{fake.base_url}/v1/sessions/{bad}/status") == (
        400,
        bad_request(said, "sessionSid", source="params"),
    )


async def test_unknown_sid_route_and_method(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    assert await get(http, f"{fake.base_url}/v1/sessions/ES{ZERO}/status") == (404, NOT_FOUND)
    assert await get(http, f"{fake.base_url}/v1/nothing") == (404, NO_ROUTE)
    # hapi finds no route for another method: the same plain 404.
    assert await get(http, f"{fake.base_url}/v1/check", method="POST") == (404, NO_ROUTE)


async def test_a_missing_or_wrong_token_is_401_code_5000(fake: FakeAPI) -> None:
    for headers in ({}, {"token": "wrong"}, {"token": ""}):
        async with aiohttp.ClientSession(headers=headers) as other:
            assert await get(other, events_url(fake)) == (401, UNAUTHORIZED)


async def test_status_faults_are_boom_bodies(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    fake.add_fault(Fault("status", status=500, message="secret stack trace"))
    fake.add_fault(Fault("status", status=502, message="upstream down"))
    fake.add_fault(Fault("status", status=429, retry_after=7))
    hidden = {"statusCode": 500, "error": "Internal Server Error"}
    assert await get(http, events_url(fake)) == (
        500,
        {**hidden, "message": "An internal server error occurred"},
    )
    assert await get(http, events_url(fake)) == (
        502,
        {"statusCode": 502, "error": "Bad Gateway", "message": "upstream down"},
    )
    async with http.get(events_url(fake)) as response:
        assert (response.status, response.headers["Retry-After"]) == (429, "7")
        assert await response.json() == {
            "statusCode": 429,
            "error": "Too Many Requests",
            "message": "Injected fault",
        }


@pytest.mark.parametrize("style", ["framework", "named"])
async def test_server_failure_fault_kinds(
    fake: FakeAPI, http: aiohttp.ClientSession, style: str
) -> None:
    fake.error_style = style  # the body is the error module's own in either style
    fake.add_fault(Fault("statement_timeout", route="/events"))
    fake.add_fault(Fault("database_error", route="/events"))
    fake.add_fault(Fault("database_error", route="/events", status=500, message="pool gone"))
    timeout = "canceling statement due to statement timeout"
    assert await get(http, events_url(fake)) == (
        400,
        {"code": "7000", "message": timeout, "status": 400},
    )
    assert await get(http, events_url(fake)) == (
        400,
        {"code": "1208", "message": "Database error occurred", "status": 400},
    )
    assert await get(http, events_url(fake)) == (
        500,
        {"code": "1208", "message": "pool gone", "status": 500},
    )
    assert (await get(http, events_url(fake)))[0] == 200
    faults = [r.fault for r in fake.requests]
    assert faults == ["statement_timeout", "database_error", "database_error", None]


# max_limit and limit_refusal ------------------------------------------------------------


async def test_a_limit_over_max_limit_is_refused_naming_limit(
    fake: FakeAPI, http: aiohttp.ClientSession
) -> None:
    fake.max_limit = 5
    assert (await get(http, events_url(fake), {"limit": "5"}))[0] == 200
    said = 'child "limit" fails because ["limit" must be less than or equal to 5]'
    assert await get(http, events_url(fake), {"limit": "6"}) == (400, bad_request(said, "limit"))
    fake.default_limit = 50  # no limit sent: the default is refused the same way
    assert await get(http, events_url(fake)) == (
        400,
        bad_request(said, "limit"),
    )


@pytest.mark.parametrize(
    ("refusal", "message"),
    [
        ("The limit parameter must be between 1 and {max_limit}", None),
        ("Maximum limit is {max_limit}", None),
        ("Invalid request query input", "Invalid request query input"),
    ],
)
async def test_limit_refusal_rewords_the_refusal(
    fake: FakeAPI, http: aiohttp.ClientSession, refusal: str, message: str | None
) -> None:
    fake.max_limit, fake.limit_refusal = 50, refusal
    expected = message or refusal.replace("{max_limit}", "50")
    assert await get(http, events_url(fake), {"limit": "51"}) == (
        400,
        bad_request(expected, "limit"),
    )


async def test_limit_refusal_as_a_whole_body(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    generic = {"statusCode": 400, "error": "Bad Request", "message": "Invalid request query input"}
    fake.max_limit, fake.limit_refusal = 50, generic
    assert await get(http, events_url(fake), {"limit": "500"}) == (400, generic)
    fake.error_style = "named"
    assert await get(http, events_url(fake), {"limit": "500"}) == (400, generic)


# the named style ------------------------------------------------------------------------


async def test_the_named_style_answers_as_the_fake_used_to(fake: FakeAPI) -> None:
    fake.error_style = "named"
    fake.max_limit = 5
    fake.add_fault(Fault("status", route="/v1/ttl"))
    base = fake.base_url
    async with aiohttp.ClientSession(headers={"token": fake.token}) as http:
        cases: list[tuple[str, Any, str, int, str, str]] = [
            (events_url(fake), {"limit": "ten"}, "GET", 400, "INVALIDINPUT",
             "Invalid limit: 'ten' is not an integer"),
            (events_url(fake), {"limit": "6"}, "GET", 400, "INVALIDINPUT",
             "limit must be at most 5"),
            (f"{base}/v1/sessions/ES{ZERO}/status", None, "GET", 404, "RESOURCENOTFOUND",
             f"Session ES{ZERO} not found"),
            (f"{base}/v1/nothing", None, "GET", 404, "RESOURCENOTFOUND",
             "No route for /v1/nothing"),
            (f"{base}/v1/check", None, "POST", 405, "UNSUPPORTEDHTTPVERB",
             "POST is not supported"),
            (f"{base}/v1/ttl", None, "GET", 503, "SERVICEUNAVAILABLE", "Injected fault"),
        ]  # fmt: skip
        for url, params, method, status, code, message in cases:
            body = {"status": status, "code": code, "message": message}
            assert await get(http, url, params, method) == (status, body), url
        fake.rate_limit, fake.rate_burst = 0.5, 1
        assert (await get(http, f"{base}/v1/check"))[0] == 200
        said = "Rate limit of 0.5 requests/s exceeded"
        assert await get(http, f"{base}/v1/check") == (
            429,
            {"status": 429, "code": "RATELIMITED", "message": said},
        )
    async with aiohttp.ClientSession(headers={"token": "wrong"}) as wrong:
        assert await get(wrong, events_url(fake)) == (
            403,
            {"status": 403, "code": "AUTHENTICATIONFAILED", "message": "Authentication failed"},
        )
        fake.error_style = "framework"  # a knob like the others: it may change at any time
        assert await get(wrong, events_url(fake)) == (401, UNAUTHORIZED)


def test_error_style_is_checked() -> None:
    with pytest.raises(ValueError, match="error_style"):
        FakeAPI(error_style="boom")
    fake = FakeAPI()
    assert fake.error_style == "framework"
    with pytest.raises(ValueError, match="error_style"):
        fake.error_style = "Named"


# the command line -----------------------------------------------------------------------


def test_the_command_line_sets_the_new_knobs() -> None:
    options = parse_args(
        ["--error-style", "named", "--token-ttl", "-1", "--denied-sid", "EX" + ZERO,
         "--denied-sid", "CU" + ZERO, "--limit-refusal", "Maximum limit is {max_limit}",
         "--total-overcount", "3", "--grouped-results"]
    )  # fmt: skip
    fake = build_fake(options, generate_data(seed=1, sessions_per_exam=1))
    assert fake.error_style == "named"
    assert fake.token_ttl == -1
    assert fake.denied_sids == {"EX" + ZERO, "CU" + ZERO}
    assert fake.limit_refusal == "Maximum limit is {max_limit}"
    assert (fake.total_overcount, fake.grouped_results) == (3, True)
    plain = build_fake(parse_args([]), generate_data(seed=1, sessions_per_exam=1))
    assert (plain.error_style, plain.token_ttl, plain.denied_sids) == ("framework", 3600, set())
    assert (plain.limit_refusal, plain.total_overcount, plain.grouped_results) == (None, 0, False)
