"""Requests a browser would not send are answered, never with a 500: time ranges at the edges of
the calendar, odd cookies, session ids with a slash."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ivrkit.analytics._ranges import MAX_SPAN
from ivrkit.dashboard import DashboardSettings, standalone_app
from ivrkit.dashboard._auth import COOKIE_NAME
from ivrkit.store import Store, open_store
from tests.asgi import InProcessServer
from tests.dashboard.conftest import TOKEN, Serve

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SLASHED = "abc/def/../ghi"


@pytest.fixture
def slashed_store(tmp_path: Path) -> Iterator[Store]:
    with open_store(f"sqlite:///{tmp_path / 'ivrkit.db'}") as store:
        store.record_outbound_call(
            SLASHED,
            at=NOW,
            customer="+6512345678",
            sub_account_id=None,
            flow="simple_ivr",
            request_id=None,
        )
        yield store


@pytest.mark.parametrize(
    "path",
    ["/dashboard/", "/dashboard/trees", "/dashboard/trees/simple_ivr"],
)
def test_a_range_back_to_year_one_is_cut_to_the_longest_span_and_said(
    serve: Serve, path: str
) -> None:
    client = serve()
    response = client.get(path, params={"since": "0001-01-01"})
    assert response.status_code == 200
    assert 'data-testid="page-notice"' in response.text
    assert f"a range is at most {MAX_SPAN.days:,} days" in response.text


def test_the_api_cuts_a_long_range_and_says_so(serve: Serve) -> None:
    client = serve()
    body = client.get("/dashboard/api/overview", params={"since": "0001-01-01"}).json()
    since = datetime.fromisoformat(body["since"])
    until = datetime.fromisoformat(body["until"])
    assert until - since == MAX_SPAN
    assert "at most" in body["note"]
    funnel = client.get("/dashboard/api/funnel/simple_ivr", params={"since": "0001-01-01"})
    assert funnel.status_code == 200 and "at most" in funnel.json()["note"]


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard/",
        "/dashboard/trees",
        "/dashboard/trees/simple_ivr",
        "/dashboard/sessions",
        "/dashboard/sessions.csv",
        "/dashboard/api/overview",
        "/dashboard/api/funnel/simple_ivr",
        "/dashboard/api/sessions",
    ],
)
@pytest.mark.parametrize(
    "params",
    [
        {"until": "9999-12-31"},
        {"since": "9999-12-31T23:59:59", "until": "9999-12-31"},
        {"until": "0001-01-01"},
        {"since": "999999w"},
        {"since": "0001-01-01", "until": "0001-01-02"},
    ],
)
def test_ranges_at_the_edges_of_the_calendar_never_answer_500(
    serve: Serve, path: str, params: dict[str, str]
) -> None:
    response = serve().get(path, params=params)
    assert response.status_code in (200, 400), response.text[:300]


def test_a_cookie_with_a_superscript_digit_is_refused_not_a_500(serve: Serve) -> None:
    client = serve(token=TOKEN)
    # Headers are bytes; the server reads them as Latin-1, where 0xB2 is '²'.
    for value in (b"\xb21234.abc", "\u0661\u0662.abc".encode(), b"12\xb3.x"):
        cookie = [(b"cookie", COOKIE_NAME.encode() + b"=" + value)]
        assert client.get("/dashboard/", headers=cookie).status_code == 303, value
        assert client.get("/dashboard/api/overview", headers=cookie).status_code == 401, value


def test_a_session_id_with_a_slash_opens(slashed_store: Store) -> None:
    settings = DashboardSettings(clock=lambda: NOW)
    with InProcessServer(standalone_app(slashed_store, settings)) as server:
        client = server.client(timeout=10.0)
        listed = client.get("/dashboard/sessions", params={"since": "2026-03-01"})
        assert listed.status_code == 200
        assert '/dashboard/sessions/abc/def/../ghi"' in listed.text
        page = client.get("/dashboard/sessions/abc%2Fdef%2F..%2Fghi")
        assert page.status_code == 200, page.text[:200]
        assert SLASHED in page.text
        api = client.get("/dashboard/api/sessions/abc%2Fdef%2F..%2Fghi")
        assert api.status_code == 200
        assert api.json()["session"]["sessionId"] == SLASHED


@pytest.mark.parametrize("host", ["evil.example.com", "evil.example.com:8080", "10.0.0.5"])
def test_without_a_token_another_host_name_is_refused(serve: Serve, host: str) -> None:
    client = serve()
    for path in ("/dashboard/", "/dashboard/api/overview", "/dashboard/sessions.csv"):
        response = client.get(path, headers={"host": host})
        assert response.status_code == 421, path
        assert "answers only on localhost and loopback addresses" in response.text


@pytest.mark.parametrize(
    "host", ["127.0.0.1:8080", "localhost", "localhost:8080", "[::1]:8080", "app.localhost"]
)
def test_without_a_token_loopback_names_are_served(serve: Serve, host: str) -> None:
    assert serve().get("/dashboard/", headers={"host": host}).status_code == 200


def test_an_allowed_name_and_a_token_lift_the_host_check(serve: Serve) -> None:
    allowed = serve(allowed_hosts=frozenset({"tunnel.example"}))
    assert allowed.get("/dashboard/", headers={"host": "tunnel.example:443"}).status_code == 200
    with_token = serve(token=TOKEN)
    assert (
        with_token.get("/dashboard/login", headers={"host": "ivr.example.com"}).status_code == 200
    )
