"""The tree view: the simple IVR's diagram and node table carry each node's and edge's counts,
equal to what the simulator recorded of the calls."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import NO_PLAYWRIGHT, World
from tests.browser.expected import ENTRY, NodeFigures

pytest.importorskip("playwright", reason=NO_PLAYWRIGHT)
from playwright.sync_api import Page, expect  # noqa: E402

pytestmark = pytest.mark.e2e


def open_tree(page: Page, world: World) -> None:
    page.goto(f"{world.dashboard}/trees?{world.window_query()}")
    row = page.locator('[data-testid="tree-row"][data-flow="simple_ivr"]')
    expect(row).to_have_count(1)
    row.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"/dashboard/trees/simple_ivr"))
    page.goto(f"{world.dashboard}/trees/simple_ivr?{world.window_query()}")


def expect_node(page: Page, name: str, figures: NodeFigures) -> None:
    group = page.locator(f'svg [data-node="{name}"]')
    expect(group).to_have_count(1)
    expect(group, f"{name} reached").to_have_attribute("data-reached", str(figures.reached))
    expect(group, f"{name} dropped").to_have_attribute("data-dropped", str(figures.dropped))
    row = page.get_by_test_id("node-table").locator(f'[data-node="{name}"]')
    expect(row).to_have_count(1)
    for field, text in figures.cells().items():
        expect(row.locator(f'[data-field="{field}"]'), f"{name} {field}").to_have_text(text)


def test_the_diagram_and_table_show_each_nodes_counts(signed_in: Page, world: World) -> None:
    page = signed_in
    open_tree(page, world)
    for name, figures in world.expected.nodes().items():
        expect_node(page, name, figures)


def test_a_caller_who_hangs_up_during_the_first_prompt_dropped_at_the_entry_menu(
    signed_in: Page, world: World
) -> None:
    """No CALL_ACTION ever came from this caller: only the callback's own menu says where they
    were when they left."""
    page = signed_in
    first_prompt = [call for call in world.expected.calls if call.hung_up_at_first_prompt]
    assert first_prompt, "the scenario has no caller who hangs up during the first prompt"
    open_tree(page, world)
    with_them = world.expected.nodes()[ENTRY]
    without_them = world.expected.nodes(first_prompt_hangups=False)[ENTRY]
    assert with_them.dropped == without_them.dropped + len(first_prompt)
    group = page.locator(f'svg [data-node="{ENTRY}"]')
    expect(group).to_have_attribute("data-reached", str(with_them.reached))
    expect(group).to_have_attribute("data-dropped", str(with_them.dropped))


def test_the_diagram_shows_each_edges_count(signed_in: Page, world: World) -> None:
    page = signed_in
    open_tree(page, world)
    # The menu's replays (an invalid key, no input) are its loop back to itself.
    for (source, target), count in world.expected.edges().items():
        edge = page.locator(f'svg [data-from="{source}"][data-to="{target}"]')
        expect(edge).to_have_count(1)
        expect(edge).to_have_attribute("data-count", str(count))
