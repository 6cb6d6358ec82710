"""with_options(headers=...): checked before any request, sent by the view only."""

from __future__ import annotations

import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeAPI

from ..conftest import MakeClient, handle


async def test_the_view_sends_its_headers_with_the_token(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    client = make_client()
    view = client.with_options(headers={"X-Request-Source": "billing"}, timeout=5.0)
    await handle(view, fake.data.sessions[0]).get()
    await handle(client, fake.data.sessions[0]).get()
    first, second = fake.requests
    assert first.headers["X-Request-Source"] == "billing"
    assert first.headers["token"] == fake.token
    assert "X-Request-Source" not in second.headers
    assert "timeout=5.0" in repr(view)


@pytest.mark.parametrize(
    ("headers", "words"),
    [
        ({"token": "x"}, "set by the SDK"),
        ({"Token": "x"}, "Client(token=...)"),
        ({"Host": "evil.example"}, "set by the SDK"),
        ({"content-length": "0"}, "set by the SDK"),
        ({"Transfer-Encoding": "chunked"}, "set by the SDK"),
        ({"X-A": "one\r\nX-Injected: yes"}, "printable ASCII"),
        ({"X-A": "line\nbreak"}, "printable ASCII"),
        ({"X-A": "caf\u00e9"}, "printable ASCII"),
        ({"X-A": 1}, "str value"),
        ({"X A": "v"}, "HTTP tokens"),
        ({"": "v"}, "HTTP tokens"),
        ({b"X-A": "v"}, "HTTP tokens"),
        ({"X-A": "v", "x-a": "w"}, "twice"),
        ([("X-A", "v")], "mapping"),
        ({f"X-{n}": "v" for n in range(51)}, "at most 50"),
    ],
)
async def test_bad_headers_are_refused_before_any_request(
    fake: FakeAPI, make_client: MakeClient, headers: object, words: str
) -> None:
    client = make_client()
    with pytest.raises(sp.ConfigurationError) as caught:
        client.with_options(headers=headers)  # type: ignore[arg-type]
    assert words in str(caught.value)
    assert "evil" not in str(caught.value) and "Injected" not in str(caught.value)
    assert fake.requests == []


async def test_a_nested_view_replaces_a_header_whatever_its_case(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    view = make_client().with_options(headers={"X-Tenant": "north", "X-Team": "a"})
    nested = view.with_options(headers={"x-tenant": "south"})
    assert dict(nested._config.headers) == {"X-Team": "a", "x-tenant": "south"}
    await handle(nested, fake.data.sessions[0]).get()
    (sent,) = fake.requests
    assert sent.headers["x-tenant"] == "south" and sent.headers["X-Team"] == "a"
    assert "X-Tenant" not in sent.headers
