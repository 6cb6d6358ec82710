"""The retry decision as a table: what comes back -> retry, pause, confirm or give up.

No network, no event loop: ``decide`` is a pure function of the attempt's outcome.
"""

from __future__ import annotations

import pytest

import smarterproctoring_async as sp
from smarterproctoring_async._error_body import ErrorBody, read_error_body, server_failure
from smarterproctoring_async._retry_rules import Decision, Outcome, decide

POLICY = sp.RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=8.0, max_retry_after=60.0)


def body(code: str | None = None, message: str = "", parameters: tuple[str, ...] = ()) -> ErrorBody:
    return ErrorBody(code=code, message=message, parameters=parameters)


TIMEOUT_400 = body("7000", "canceling statement due to statement timeout")

TABLE: list[tuple[str, Outcome, Decision]] = [
    ("400 joi", Outcome(400, body("4000", '"limit" must be <= 50')),
     Decision("give_up", sp.InvalidInputError)),
    ("400 Boom with keys", Outcome(400, body(None, "Invalid", ("limit",))),
     Decision("give_up", sp.InvalidInputError)),
    ("400 statement timeout", Outcome(400, TIMEOUT_400),
     Decision("retry", sp.ServerFailureError)),
    ("400 statement timeout, last attempt", Outcome(400, TIMEOUT_400, attempt=4),
     Decision("give_up", sp.ServerFailureError)),
    ("400 code 6000", Outcome(400, body("6000", "Internal error occurred")),
     Decision("retry", sp.ServerFailureError)),
    ("400 code 1208", Outcome(400, body("1208", "Database error occurred")),
     Decision("retry", sp.ServerFailureError)),
    ("404 code 1208 is a not-found", Outcome(404, body("1208", "Calendar 'x' not found")),
     Decision("give_up", sp.NotFoundError)),
    ("404 code 6001", Outcome(404, body("6001", "approval not found")),
     Decision("give_up", sp.NotFoundError)),
    ("400 Sequelize error", Outcome(400, ErrorBody(None, "x", (), "SequelizeDatabaseError")),
     Decision("retry", sp.ServerFailureError)),
    ("401 on a resource", Outcome(401, body("5000"), route="/v1/installs/{installSid}"),
     Decision("confirm_token", sp.AuthenticationError)),
    ("403 on a resource", Outcome(403, body("AUTHENTICATIONFAILED")),
     Decision("confirm_token", sp.AuthenticationError)),
    ("401 on the check itself", Outcome(401, body("5000"), route="/v1/check"),
     Decision("give_up", sp.AuthenticationError)),
    ("500", Outcome(500), Decision("retry", sp.ServerError)),
    ("503 with Retry-After", Outcome(503, retry_after=2.0),
     Decision("retry", sp.ServerError, pause=2.0, why="Retry-After")),
    ("429 without Retry-After, attempt 2", Outcome(429, attempt=2),
     Decision("retry", sp.RateLimitError, pause=1.0, slow_down=True,
              why="no Retry-After: the backoff step")),
    ("429 Retry-After over the cap", Outcome(429, retry_after=61.0),
     Decision("give_up", sp.RateLimitError, pause=61.0, pause_exceeded=True, slow_down=True,
              why="Retry-After")),
    ("429 pause longer than the deadline left", Outcome(429, retry_after=5.0, remaining=3.0),
     Decision("give_up", sp.RateLimitError, pause=5.0, slow_down=True, why="Retry-After")),
    ("502 with no time left", Outcome(502, remaining=0.01),
     Decision("give_up", sp.ServerError)),
    ("418", Outcome(418), Decision("give_up", sp.APIError)),
    ("timeout", Outcome(failure="timeout"), Decision("retry", sp.TimeoutError)),
    ("timeout, no time left", Outcome(failure="timeout", remaining=0.0),
     Decision("give_up", sp.TimeoutError)),
    ("connection", Outcome(failure="connection"), Decision("retry", sp.TransportError)),
    ("tls", Outcome(failure="tls"), Decision("give_up", sp.TransportError)),
    ("undecodable once", Outcome(failure="undecodable", undecodable=1),
     Decision("retry", sp.DecodeError)),
    ("undecodable twice", Outcome(failure="undecodable", undecodable=2),
     Decision("give_up", sp.DecodeError)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("outcome", "expected"), [row[1:] for row in TABLE], ids=[r[0] for r in TABLE]
)
def test_the_decision_table(outcome: Outcome, expected: Decision) -> None:
    assert decide(outcome, POLICY) == expected


@pytest.mark.parametrize(
    ("raw", "code", "message", "parameters"),
    [
        (b'{"code":"4000","message":"bad","status":400,"more_info":"u"}', "4000", "bad", ()),
        (b'{"code":4000,"message":"bad"}', "4000", "bad", ()),
        (b'{"error":{"code":"1200","message":"Data not found"}}', "1200", "Data not found", ()),
        (
            b'{"statusCode":400,"error":"Bad Request","message":"Invalid request query input",'
            b'"validation":{"source":"query","keys":["limit","offset"]}}',
            None,
            "Invalid request query input",
            ("limit", "offset"),
        ),
        (b'{"statusCode":404,"error":"Not Found"}', None, "Not Found", ()),
        (b'{"err":"Token validation fail"}', None, "Token validation fail", ()),
        (b'{"code":"INVALIDINPUT","message":"nope"}', "INVALIDINPUT", "nope", ()),
        (b"<html><title>502 Bad Gateway</title></html>", None, "502 Bad Gateway", ()),
    ],
)
def test_every_error_shape_gives_code_message_and_parameters(
    raw: bytes, code: str | None, message: str, parameters: tuple[str, ...]
) -> None:
    said = read_error_body(raw)
    assert (said.code, said.message, said.parameters) == (code, message, parameters)


@pytest.mark.parametrize(
    "message",
    [
        "canceling statement due to statement timeout",
        "deadlock detected",
        "Connection terminated unexpectedly",
        "sorry, too many clients already",
        "connect ECONNREFUSED 10.0.0.1:5432",
        "Cannot read properties of undefined (reading 'sid')",
    ],
)
def test_server_failure_phrasings(message: str) -> None:
    assert server_failure(400, body("7000" if "sid" in message else None, message))


@pytest.mark.parametrize(
    "said",
    [
        body("4000", '"limit" must be less than or equal to 50'),
        body(None, "Invalid request query input", ("limit",)),
        body("1201", "Account not found"),
        # A validation answer names the request's fault, whatever its words.
        body(None, "statement timeout", ("limit",)),
        # A code of the request's fault is not overruled by words quoting the caller.
        body("4000", '"title" with value "deadlock detected" is not allowed'),
        body("INVALIDINPUT", "statement timeout is not valid"),
        # hapi's own 400 (Boom) refuses the request, whatever it quotes.
        ErrorBody(None, "must be one of [statement timeout, name]", framework=True),
    ],
)
def test_request_faults_are_not_server_failures(said: ErrorBody) -> None:
    assert not server_failure(400, said)
    assert not server_failure(404, body("1208", "Database error occurred"))


def test_a_json_error_body_cut_at_the_prefix_still_gives_its_code() -> None:
    big = b'{"code":"1208","message":"Database error","status":400,"more_info":"'
    said = read_error_body(big + b"x" * 70_000 + b'"}')
    assert (said.code, said.message) == ("1208", "Database error")
    assert server_failure(400, said)
    escaped = read_error_body(b'{"message":"a \\"quoted\\" word","x":"' + b"y" * 70_000)
    assert escaped.message == 'a "quoted" word'
