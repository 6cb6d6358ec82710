"""The token utilities and the token knobs: /v1/check, /v1/ttl, /v1/permissions,
/v1/logout, ``token_ttl`` (sliding expiry, -1, -2), ``revoke_token`` and ``denied_sids``."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from smarterproctoring_async.testing import FakeAPI, FakeSession, generate_data
from smarterproctoring_async.testing.server import tokens

UNAUTHORIZED = {
    "code": "5000",
    "message": "You are unauthorized to access or perform this action on this resource.",
    "status": 401,
}


@pytest.fixture
async def fake() -> AsyncIterator[FakeAPI]:
    async with FakeAPI(generate_data(seed=9, installs=2, sessions_per_exam=2)) as api:
        yield api


@pytest.fixture
async def http(fake: FakeAPI) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(headers={"token": fake.token}) as session:
        yield session


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    moved = Clock()
    monkeypatch.setattr(tokens, "monotonic", moved)
    return moved


async def get(http: aiohttp.ClientSession, url: str) -> tuple[int, Any]:
    async with http.get(url) as response:
        return response.status, await response.json()


def session_url(fake: FakeAPI, s: FakeSession) -> str:
    return f"{fake.base_url}/v1/installs/{s.install_sid}/exams/{s.exam_sid}/sessions/{s.sid}"


def jwt(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        raw = base64.urlsafe_b64encode(json.dumps(value).encode()).decode()
        return raw.rstrip("=")

    return f"{part({'typ': 'JWT', 'alg': 'HS256'})}.{part(claims)}.c2lnbmF0dXJl"


async def test_check_answers_the_jwt_claims(fake: FakeAPI) -> None:
    claims = {"id": "0b5e1f10-1c4e-11e9-8a34-2a2ae2dbcce4", "create_time": 1547856000000,
              "accountId": 100, "role": "admin"}  # fmt: skip
    fake.token = jwt(claims)
    async with aiohttp.ClientSession(headers={"token": fake.token}) as http:
        assert await get(http, f"{fake.base_url}/v1/check") == (
            200,
            {"validated": True, "token": claims},
        )


@pytest.mark.parametrize("token", ["test-token", "a.not-base64-json.b", "a.W10.b"])
async def test_check_of_a_token_that_is_no_jwt_answers_plausible_claims(
    fake: FakeAPI, token: str
) -> None:
    fake.token = token  # "W10" is "[]": JSON, but no claims object
    async with aiohttp.ClientSession(headers={"token": token}) as http:
        status, body = await get(http, f"{fake.base_url}/v1/check")
    assert (status, list(body), body["validated"]) == (200, ["validated", "token"], True)
    claims = body["token"]
    assert set(claims) == {"id", "create_time", "timeout"}
    assert len(claims["id"]) == 36 and claims["timeout"] == 3600
    assert isinstance(claims["create_time"], int) and claims["create_time"] > 1_500_000_000_000


async def test_ttl_counts_down_and_check_slides_it_back(fake: FakeAPI, clock: Clock) -> None:
    fake.token_ttl = 100
    ttl, check = f"{fake.base_url}/v1/ttl", f"{fake.base_url}/v1/check"
    async with aiohttp.ClientSession(headers={"token": fake.token}) as http:
        assert await get(http, ttl) == (200, {"ttl": 100})
        clock.now += 40.2
        assert await get(http, ttl) == (200, {"ttl": 60})
        assert fake.token_ttl == 60
        assert (await get(http, check))[0] == 200
        assert await get(http, ttl) == (200, {"ttl": 100})
        clock.now += 99.0
        assert await get(http, ttl) == (200, {"ttl": 1})
        clock.now += 1.0
        for url in (ttl, check, session_url(fake, fake.data.sessions[0])):
            assert await get(http, url) == (401, UNAUTHORIZED), url
    assert fake.token_ttl == -2


async def test_a_token_that_never_expires(fake: FakeAPI, clock: Clock) -> None:
    fake.token_ttl = -1
    async with aiohttp.ClientSession(headers={"token": fake.token}) as http:
        assert await get(http, f"{fake.base_url}/v1/ttl") == (200, {"ttl": -1})
        clock.now += 10**9
        assert (await get(http, f"{fake.base_url}/v1/check"))[0] == 200
        assert await get(http, f"{fake.base_url}/v1/ttl") == (200, {"ttl": -1})


async def test_a_gone_token_is_refused_everywhere_until_set_again(
    fake: FakeAPI, http: aiohttp.ClientSession
) -> None:
    fake.token_ttl = -2
    for tail in ("/v1/check", "/v1/ttl", "/v1/permissions", "/v1/logout"):
        assert await get(http, fake.base_url + tail) == (401, UNAUTHORIZED), tail
    fake.token_ttl = 3600
    assert await get(http, f"{fake.base_url}/v1/ttl") == (200, {"ttl": 3600})
    async with (
        FakeAPI(token_ttl=-2) as gone,
        aiohttp.ClientSession(headers={"token": gone.token}) as other,
    ):
        assert await get(other, f"{gone.base_url}/v1/check") == (401, UNAUTHORIZED)


def test_token_ttl_is_checked() -> None:
    for bad in (-3, 1.5, True):
        with pytest.raises(ValueError, match="token_ttl"):
            FakeAPI(token_ttl=bad)  # type: ignore[arg-type]


async def test_logout_revokes_the_token(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    session = session_url(fake, fake.data.sessions[0])
    assert (await get(http, session))[0] == 200
    assert await get(http, f"{fake.base_url}/v1/logout") == (200, {"tokenDeleted": True})
    for url in (session, f"{fake.base_url}/v1/check", f"{fake.base_url}/v1/logout"):
        assert await get(http, url) == (401, UNAUTHORIZED), url
    assert fake.token_ttl == -2
    assert [r.route for r in fake.requests][1] == "/v1/logout"
    fake.token_ttl = 60  # logged in again
    assert (await get(http, session))[0] == 200
    fake.revoke_token()
    assert await get(http, session) == (401, UNAUTHORIZED)


async def test_denied_sids_scope_the_token(fake: FakeAPI, http: aiohttp.ClientSession) -> None:
    first = fake.data.sessions[0]
    other = next(s for s in fake.data.sessions if s.exam_sid != first.exam_sid)
    fake.denied_sids = [first.exam_sid]
    assert await get(http, session_url(fake, first)) == (401, UNAUTHORIZED)
    assert await get(http, session_url(fake, first) + "/events?bogus=1") == (401, UNAUTHORIZED)
    assert (await get(http, session_url(fake, other)))[0] == 200
    status, checked = await get(http, f"{fake.base_url}/v1/check")
    assert (status, checked["validated"]) == (200, True)  # the token itself is fine
    fake.denied_sids.add(other.sid)  # a set: it may grow while the fake runs
    assert await get(http, session_url(fake, other)) == (401, UNAUTHORIZED)
    fake.denied_sids.clear()
    assert (await get(http, session_url(fake, first)))[0] == 200


async def test_permissions_answer_the_policy_document(fake: FakeAPI) -> None:
    installs = [str(i["sid"]) for i in fake.data.installs]
    fake.denied_sids = {"EX" + "1" * 32}
    async with aiohttp.ClientSession(headers={"token": fake.token}) as http:
        status, body = await get(http, f"{fake.base_url}/v1/permissions")
    allowed = [f"ssrn:ss:sp:::install/{sid}/*" for sid in installs]
    denied = ["ssrn:ss:sp:::*/EX" + "1" * 32]
    regex = "([0-9A-Za-z_]+/?)*"
    assert (status, body) == (
        200,
        {
            "iam": {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["CanRead"],
                        "Resource": allowed,
                        "ResourceRegex": [r[:-1] + regex for r in allowed],
                        "ActionRegex": ["CanRead"],
                    },
                    {
                        "Effect": "Deny",
                        "Action": ["CanRead"],
                        "Resource": denied,
                        "ResourceRegex": ["ssrn:ss:sp:::" + regex + "/EX" + "1" * 32],
                        "ActionRegex": ["CanRead"],
                    },
                ]
            }
        },
    )
    assert len(installs) == 2
