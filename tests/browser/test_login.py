"""The dashboard is behind its token: a wrong one is refused, the right one opens the overview,
and nothing but the login form answers without the signed cookie."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import NO_PLAYWRIGHT, World, log_in

pytest.importorskip("playwright", reason=NO_PLAYWRIGHT)
from playwright.sync_api import Page, expect  # noqa: E402

pytestmark = pytest.mark.e2e


def test_a_wrong_token_is_refused_and_the_pages_stay_closed(
    page: Page, world: World, shoot: None
) -> None:
    page.goto(f"{world.dashboard}/login")
    page.get_by_test_id("login-token").fill("not-the-token")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("login-error")).to_be_visible()
    expect(page.get_by_test_id("login-token")).to_be_visible()

    page.goto(f"{world.dashboard}/")
    expect(page).to_have_url(re.compile(r"/dashboard/login"))
    expect(page.get_by_test_id("stat-calls-range")).to_have_count(0)
    for path in ("/events", "/sessions", "/trees/simple_ivr"):
        response = page.request.get(world.dashboard + path, max_redirects=0)
        assert response.status in (302, 303, 307, 401), f"{path} answered {response.status}"


def test_the_right_token_opens_the_overview(page: Page, world: World, shoot: None) -> None:
    log_in(page, world.dashboard)
    expect(page.get_by_test_id("stat-calls-range")).to_be_visible()
    sessions = page.request.get(world.dashboard + "/sessions", max_redirects=0)
    assert sessions.status == 200, "the signed cookie opens the other pages too"
