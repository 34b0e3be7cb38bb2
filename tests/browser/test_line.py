"""The dashboard for the people who run the line, in a browser: times in their zone, cards per
category, a chart that fills its card with a legend that reads without hovering, a live list that
leads with time and customer, prompts and outcomes on the tree, a callback's opening menu on its
timeline, and campaigns that can be opened, paused, resumed and cancelled (each asked first)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from ivrkit.campaigns import CampaignSettings, CampaignStore, parse_contacts
from ivrkit.store import open_store
from tests.browser.conftest import NO_PLAYWRIGHT, World
from tests.browser.expected import ENTRY

pytest.importorskip("playwright", reason=NO_PLAYWRIGHT)
from playwright.sync_api import Page, expect  # noqa: E402

pytestmark = pytest.mark.e2e

NUMBER = "+6512343004"


def started_cell(page: Page, session_id: str) -> str:
    row = page.locator(f'[data-testid="session-row"][data-session-id="{session_id}"]')
    expect(row).to_have_count(1)
    return row.locator('[data-field="started"]').inner_text().strip()


def test_a_viewer_sees_times_in_the_zone_they_choose(signed_in: Page, world: World) -> None:
    page, call = signed_in, world.expected.call(NUMBER)
    url = f"{world.dashboard}/sessions?{world.window_query()}&number={NUMBER[1:]}"
    page.goto(url)
    expect(page.locator("thead")).to_contain_text("Started (UTC)")
    utc = datetime.strptime(started_cell(page, call.session_id), "%Y-%m-%d %H:%M:%S")

    page.get_by_test_id("zone-input").fill("Asia/Singapore")
    page.get_by_test_id("zone-submit").click()
    expect(page.locator("thead")).to_contain_text("Started (Asia/Singapore)")
    assert page.url.endswith(url.removeprefix(world.dashboard.split("/dashboard")[0]))
    local = datetime.strptime(started_cell(page, call.session_id), "%Y-%m-%d %H:%M:%S")
    assert local - utc == timedelta(hours=8)
    # The choice stays with the viewer: the overview's range is told in the same zone.
    page.goto(f"{world.dashboard}/?{world.window_query()}")
    expect(page.get_by_test_id("range-note")).to_contain_text("(Asia/Singapore)")


def test_the_cards_count_each_category_and_the_chart_fills_its_card(
    signed_in: Page, world: World
) -> None:
    page, expected = signed_in, world.expected
    page.goto(f"{world.dashboard}/?{world.window_query()}")
    for testid, category in [
        ("stat-contained", "contained"),
        ("stat-transferred", "transferred"),
        ("stat-abandoned", "abandoned"),
        ("stat-failed", "failed"),
    ]:
        count = expected.count(category)
        expect(page.get_by_test_id(testid)).to_have_text(f"{count} call{'' if count == 1 else 's'}")
    chart = page.get_by_test_id("chart-calls")
    canvas = chart.locator("canvas")
    expect(canvas).to_have_count(1)
    card = chart.bounding_box()
    drawn = chart.locator(".uplot").bounding_box()
    assert card is not None and drawn is not None
    assert drawn["width"] >= 0.95 * (card["width"] - 20), (drawn, card)
    legend = chart.locator(".u-legend")
    expect(legend).to_be_visible()
    for name in ["calls", "contained", "to an agent", "abandoned", "not reached"]:
        expect(legend).to_contain_text(name)
    assert "--" not in legend.inner_text()
    page.set_viewport_size({"width": 900, "height": 860})
    page.wait_for_function(
        "() => { const c = document.querySelector('#chart-calls');"
        " const u = c.querySelector('.uplot');"
        " return u.getBoundingClientRect().width <= c.getBoundingClientRect().width; }"
    )


def test_the_live_list_leads_with_time_customer_tree_outcome_and_duration(
    signed_in: Page, world: World
) -> None:
    page = signed_in
    page.goto(f"{world.dashboard}/?{world.window_query()}")
    row = page.get_by_test_id("live-call").first
    session_id = row.get_attribute("data-session-id")
    assert session_id is not None
    call = next(c for c in world.expected.calls if c.session_id == session_id)
    fields = row.locator("[data-field]")
    assert fields.first.get_attribute("data-field") == "time"
    expect(row.locator('[data-field="time"]')).to_have_text(re.compile(r"^\d\d:\d\d:\d\d$"))
    expect(row.locator('[data-field="customer"]')).to_have_text(f"•••••{call.last_four}")
    expect(row.locator('[data-field="flow"]')).to_have_text("simple_ivr")
    expect(row.locator('[data-field="outcome"]')).to_have_text(call.outcome)
    expect(row.locator('[data-field="duration"]')).to_have_text(re.compile(r"^\d+ s$"))
    expect(row).not_to_contain_text(session_id)


def test_the_tree_shows_prompts_and_outcomes(signed_in: Page, world: World) -> None:
    page = signed_in
    page.goto(f"{world.dashboard}/trees/simple_ivr?{world.window_query()}")
    entry = page.locator(f'svg [data-node="{ENTRY}"]')
    expect(entry).to_contain_text("Dear customer")
    expect(entry).to_contain_text("reached")
    table = page.get_by_test_id("node-table")
    expect(table.locator(f'[data-node="{ENTRY}"] [data-field="prompt"]')).to_contain_text(
        "Dear customer"
    )
    expect(table.locator('[data-node="resolved"] [data-field="outcome"]')).to_have_text(
        "resolved (contained)"
    )
    expect(table.locator('[data-node="agent"] [data-field="outcome"]')).to_have_text(
        "agent (transferred)"
    )
    expect(page.locator('svg [data-node="agent"]')).to_contain_text("⚑ agent (transferred)")


def test_a_callbacks_timeline_starts_with_the_menu_the_customer_heard(
    signed_in: Page, world: World
) -> None:
    page, call = signed_in, world.expected.call(NUMBER)
    page.goto(f"{world.dashboard}/sessions/{call.session_id}")
    first = page.get_by_test_id("timeline-entry").nth(0)
    expect(first).to_have_attribute("data-kind", "placed")
    expect(first).to_contain_text(f"•••••{call.last_four}")
    # The leg it made may come next (the platform's clock), then the menu the customer heard.
    opening = page.locator('[data-testid="timeline-entry"][data-kind="prompt"]').first
    expect(opening).to_contain_text("Dear customer, Thank you for contacting")
    expect(opening).to_contain_text(re.compile(r"heard for \d+ s before the first answer"))


def test_a_campaign_can_be_opened_paused_resumed_and_cancelled(
    signed_in: Page, world: World
) -> None:
    page = signed_in
    with open_store(world.scenario.db_url) as store:
        settings = CampaignSettings.model_validate({"rate": 1, "attempts": 2})
        contacts = parse_contacts(
            "number\n+6591110001\n+6591110002\n+6591110003\n", do_not_call=("+6591110003",)
        )
        CampaignStore(store).create("browser-line", settings, contacts, datetime.now(UTC))
    page.goto(f"{world.dashboard}/campaigns")
    row = page.locator('[data-testid="campaign-row"][data-campaign="browser-line"]')
    expect(row.locator('[data-field="pending"]')).to_have_text("2")
    row.get_by_test_id("campaign-link").click()
    expect(page.get_by_test_id("campaign-state")).to_have_text("active")
    expect(page.get_by_test_id("pending-contact")).to_have_count(2)
    expect(page.get_by_test_id("pending-contacts")).not_to_contain_text("6591110001")
    expect(page.get_by_test_id("campaign-settings")).to_contain_text("09:00-20:00")

    page.get_by_test_id("campaign-pause").click()
    expect(page.get_by_test_id("confirm-effect")).to_contain_text("No new calls")
    page.get_by_test_id("confirm-back").click()
    expect(page.get_by_test_id("campaign-state")).to_have_text("active")  # nothing changed
    page.get_by_test_id("campaign-pause").click()
    page.get_by_test_id("confirm-submit").click()
    expect(page.get_by_test_id("campaign-state")).to_have_text("paused")
    page.get_by_test_id("campaign-resume").click()
    page.get_by_test_id("confirm-submit").click()
    expect(page.get_by_test_id("campaign-state")).to_have_text("active")
    page.get_by_test_id("campaign-cancel").click()
    expect(page.get_by_test_id("confirm-effect")).to_contain_text("cannot be undone")
    page.get_by_test_id("confirm-submit").click()
    expect(page.get_by_test_id("campaign-state")).to_have_text("cancelled")
    expect(page.get_by_test_id("count-cancelled")).to_have_text("2")
    expect(page.get_by_test_id("count-called")).to_have_text("0")
    page.goto(f"{world.dashboard}/campaigns")
    expect(row.locator('[data-field="cancelled"]')).to_have_text("2")
    expect(row.locator('[data-field="pending"]')).to_have_text("0")
