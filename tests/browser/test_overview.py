"""The overview after the scenario's calls shows the counts the simulator's record gives."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.browser.conftest import NO_PLAYWRIGHT, World
from tests.browser.pages import INTEGER, assert_rate

pytest.importorskip("playwright", reason=NO_PLAYWRIGHT)
from playwright.sync_api import Page, expect  # noqa: E402

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    "flow",
    ["", "&flow=simple_ivr"],
    ids=["all-trees", "one-tree"],
)
def test_the_overview_counts_the_simulated_calls(signed_in: Page, world: World, flow: str) -> None:
    page, expected = signed_in, world.expected
    page.goto(f"{world.dashboard}/?{world.window_query()}{flow}")

    expect(page.get_by_test_id("stat-calls-range")).to_have_text(str(expected.sessions))
    expect(page.get_by_test_id("stat-in-progress")).to_have_text("0")
    ended = expected.sessions
    assert_rate(page.get_by_test_id("stat-containment"), expected.count("contained"), ended)
    assert_rate(page.get_by_test_id("stat-agent-rate"), expected.count("transferred"), ended)
    assert_rate(page.get_by_test_id("stat-abandon-rate"), expected.count("abandoned"), ended)
    # "Today" follows the server's clock, which the test does not set: only its form is checked.
    expect(page.get_by_test_id("stat-calls-today")).to_have_text(INTEGER)
    expect(page.get_by_test_id("chart-calls")).to_be_visible()


def test_a_range_without_the_calls_counts_none(signed_in: Page, world: World) -> None:
    page = signed_in
    since, _ = world.expected.window
    before, day_before = since - timedelta(days=30), since - timedelta(days=1)
    page.goto(f"{world.dashboard}/?since={before.isoformat()}&until={day_before.isoformat()}")
    expect(page.get_by_test_id("stat-calls-range")).to_have_text("0")
