"""The sessions page: filters by status, outcome and number narrow the list to the calls the
simulator recorded as such, and paging walks every session once."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import World
from tests.browser.expected import CallFacts
from tests.browser.pages import set_field

pytestmark = pytest.mark.e2e


def open_sessions(page: Page, world: World, query: str = "") -> None:
    page.goto(f"{world.dashboard}/sessions?{world.window_query()}{query}")
    expect(page.get_by_test_id("session-count")).to_be_visible()


def filter_by(page: Page, **fields: str) -> None:
    for name, value in fields.items():
        set_field(page, name, value)
    page.get_by_test_id("filter-submit").click()
    for name, value in fields.items():
        expect(page).to_have_url(re.compile(rf"[?&]{name}={re.escape(value)}(&|$)"))


def expect_rows(page: Page, calls: list[CallFacts]) -> None:
    expect(page.get_by_test_id("session-count")).to_have_text(str(len(calls)))
    rows = page.get_by_test_id("session-row")
    expect(rows).to_have_count(len(calls))
    shown = {rows.nth(i).get_attribute("data-session-id") for i in range(len(calls))}
    assert shown == {call.session_id for call in calls}


def test_every_call_is_listed(signed_in: Page, world: World) -> None:
    open_sessions(signed_in, world)
    expect_rows(signed_in, list(world.expected.calls))


@pytest.mark.parametrize(
    ("field", "value", "attribute"),
    [
        ("status", "BUSY", "status"),
        ("status", "COMPLETED", "status"),
        ("outcome", "resolved", "outcome"),
        ("outcome", "agent", "outcome"),
        ("outcome", "no-input", "outcome"),
        ("outcome", "hung-up", "outcome"),
    ],
)
def test_a_filter_keeps_the_matching_calls(
    signed_in: Page, world: World, field: str, value: str, attribute: str
) -> None:
    page = signed_in
    open_sessions(page, world)
    filter_by(page, **{field: value})
    wanted = world.expected.where(**{attribute: value})
    assert wanted, f"the scenario has no call with {attribute} {value}"
    expect_rows(page, wanted)
    rows = page.get_by_test_id("session-row")
    for i in range(len(wanted)):
        expect(rows.nth(i)).to_have_attribute(f"data-{attribute}", value)


def test_the_number_filter_finds_a_caller_by_the_digits_shown(
    signed_in: Page, world: World
) -> None:
    page = signed_in
    call = world.expected.call("+6512343004")
    open_sessions(page, world)
    filter_by(page, number=call.last_four)
    expect_rows(page, [call])


def test_search_finds_a_session_by_its_id(signed_in: Page, world: World) -> None:
    page = signed_in
    call = world.expected.call("+6512342003")
    open_sessions(page, world)
    filter_by(page, q=call.session_id)
    expect_rows(page, [call])


def test_paging_walks_every_session_once(signed_in: Page, world: World) -> None:
    page = signed_in
    per_page = 3
    open_sessions(page, world, f"&per_page={per_page}")
    expect(page.get_by_test_id("session-count")).to_have_text(str(world.expected.sessions))
    seen: list[str | None] = []
    pages = 0
    while True:
        pages += 1
        rows = page.get_by_test_id("session-row")
        expect(rows.first).to_be_visible()
        seen += [rows.nth(i).get_attribute("data-session-id") for i in range(rows.count())]
        following = page.get_by_test_id("page-next")
        if following.count() == 0:
            break
        assert pages < 20, "page-next never ends"
        first = rows.first.get_attribute("data-session-id")
        following.click()
        expect(page.get_by_test_id("session-row").first).not_to_have_attribute(
            "data-session-id", first or ""
        )
    assert sorted(seen, key=str) == sorted(c.session_id for c in world.expected.calls)
    assert pages == -(-world.expected.sessions // per_page)
    page.get_by_test_id("page-prev").click()
    expect(page.get_by_test_id("session-row").first).to_be_visible()
