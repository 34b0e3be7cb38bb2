"""Who may see the dashboard: the token login and its cookie, the bind rules, the headers."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest

from ivrkit.dashboard._access import CONTENT_SECURITY_POLICY
from ivrkit.dashboard._auth import COOKIE_NAME, LoginLimiter, sign_cookie, verify_cookie
from ivrkit.dashboard._settings import DashboardSettings, is_loopback
from tests.dashboard.conftest import TOKEN, Calls, Serve


def login(client: httpx.Client, token: str = TOKEN) -> httpx.Response:
    return client.post("/dashboard/login", data={"token": token})


def test_without_a_token_a_loopback_bind_serves_the_pages(serve: Serve) -> None:
    client = serve()
    response = client.get("/dashboard/")
    assert response.status_code == 200
    assert 'data-testid="stat-calls-range"' in response.text


def test_with_a_token_pages_lead_to_the_login_and_machines_get_401(serve: Serve) -> None:
    client = serve(token=TOKEN)
    page = client.get("/dashboard/sessions")
    assert page.status_code == 303
    assert page.headers["location"] == "/dashboard/login"
    for path in ("/dashboard/api/overview", "/dashboard/api/sessions", "/dashboard/events"):
        assert client.get(path).status_code == 401, path
    form = client.get("/dashboard/login")
    assert form.status_code == 200
    assert 'data-testid="login-token"' in form.text and 'data-testid="login-submit"' in form.text


def test_the_right_token_sets_a_signed_strict_http_only_cookie(serve: Serve, calls: Calls) -> None:
    client = serve(token=TOKEN)
    response = login(client)
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/dashboard" in cookie
    assert TOKEN not in cookie
    assert client.get("/dashboard/sessions").status_code == 200
    assert client.get("/dashboard/api/sessions").json()["total"] == len(calls.all)


def test_a_wrong_token_shows_the_form_again_with_an_error(serve: Serve) -> None:
    client = serve(token=TOKEN)
    response = login(client, "not-the-token")
    assert response.status_code == 401
    assert 'data-testid="login-error"' in response.text
    assert COOKIE_NAME not in client.cookies
    assert client.get("/dashboard/").status_code == 303


def test_a_forged_or_stretched_cookie_is_refused(serve: Serve, calls: Calls) -> None:
    client = serve(token=TOKEN)
    forged = sign_cookie("another-token", calls.now + timedelta(hours=1))
    stamp, signature = sign_cookie(TOKEN, calls.now + timedelta(hours=1)).split(".")
    stretched = f"{int(stamp) + 86400}.{signature}"
    for value in (forged, stretched, "garbage", f"{stamp}."):
        client.cookies.set(COOKIE_NAME, value, path="/dashboard")
        assert client.get("/dashboard/").status_code == 303, value
        assert client.get("/dashboard/api/overview").status_code == 401, value


def test_an_expired_cookie_is_refused(serve: Serve, calls: Calls) -> None:
    client = serve(token=TOKEN)
    client.cookies.set(
        COOKIE_NAME, sign_cookie(TOKEN, calls.now - timedelta(seconds=1)), path="/dashboard"
    )
    assert client.get("/dashboard/").status_code == 303
    client.cookies.set(
        COOKIE_NAME, sign_cookie(TOKEN, calls.now + timedelta(minutes=5)), path="/dashboard"
    )
    assert client.get("/dashboard/").status_code == 200


def test_failed_logins_are_limited_per_client(serve: Serve) -> None:
    client = serve(token=TOKEN, login_attempts=3)
    for _ in range(3):
        assert login(client, "wrong").status_code == 401
    refused = login(client)
    assert refused.status_code == 429
    assert 'data-testid="login-error"' in refused.text
    assert COOKIE_NAME not in client.cookies


def test_the_limiter_forgets_failures_after_its_window(calls: Calls) -> None:
    limiter = LoginLimiter(2, window=timedelta(minutes=1))
    limiter.failed("1.2.3.4", calls.now)
    limiter.failed("1.2.3.4", calls.now)
    assert not limiter.allowed("1.2.3.4", calls.now + timedelta(seconds=59))
    assert limiter.allowed("5.6.7.8", calls.now)
    assert limiter.allowed("1.2.3.4", calls.now + timedelta(seconds=61))


def test_cookie_verification_is_exact(calls: Calls) -> None:
    value = sign_cookie(TOKEN, calls.now + timedelta(minutes=1))
    assert verify_cookie(value, TOKEN, calls.now)
    assert not verify_cookie(value, TOKEN + "x", calls.now)
    assert not verify_cookie(value, TOKEN, calls.now + timedelta(minutes=1))
    assert not verify_cookie(None, TOKEN, calls.now)


def test_without_a_token_a_public_bind_serves_nothing_but_the_reason(serve: Serve) -> None:
    client = serve(host="0.0.0.0")
    for path in ("/dashboard/", "/dashboard/login", "/dashboard/api/sessions", "/dashboard/events"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "IVRKIT_DASHBOARD_TOKEN" in response.text


def test_with_a_token_a_public_bind_serves_the_login(serve: Serve) -> None:
    client = serve(host="0.0.0.0", token=TOKEN)
    assert client.get("/dashboard/login").status_code == 200
    assert client.get("/dashboard/").status_code == 303


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("example.com", False),
    ],
)
def test_loopback_binds(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
    assert DashboardSettings(host=host).served is loopback


def test_every_answer_carries_a_strict_content_security_policy(serve: Serve, calls: Calls) -> None:
    client = serve()
    for path in ("/dashboard/", f"/dashboard/sessions/{calls.agent}", "/dashboard/api/overview"):
        headers = client.get(path).headers
        assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert headers["x-content-type-options"] == "nosniff"
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY


def test_logging_out_takes_the_pages_token_and_ends_the_session(serve: Serve, calls: Calls) -> None:
    client = serve(token=TOKEN)
    login(client)
    page = client.get("/dashboard/sessions")
    assert page.status_code == 200 and 'data-testid="logout"' in page.text
    token = re.search(r'action="/dashboard/logout".*?name="csrf" value="([^"]+)"', page.text)
    assert token is not None
    # A page of another site that posts to the logout (no token, or a foreign origin) is refused.
    assert client.post("/dashboard/logout").status_code == 403
    foreign = client.post(
        "/dashboard/logout", data={"csrf": token[1]}, headers={"origin": "https://evil.example"}
    )
    assert foreign.status_code == 403
    assert client.get("/dashboard/sessions").status_code == 200  # still logged in
    out = client.post("/dashboard/logout", data={"csrf": token[1]})
    assert (out.status_code, out.headers["location"]) == (303, "/dashboard/login")
    assert client.get("/dashboard/sessions").headers["location"] == "/dashboard/login"
