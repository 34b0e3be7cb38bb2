"""The tree view: the simple IVR's diagram and node table carry each node's and edge's counts,
equal to what the simulator recorded of the calls."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import World

pytestmark = pytest.mark.e2e


def open_tree(page: Page, world: World) -> None:
    page.goto(f"{world.dashboard}/trees?{world.window_query()}")
    row = page.locator('[data-testid="tree-row"][data-flow="simple_ivr"]')
    expect(row).to_have_count(1)
    row.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"/dashboard/trees/simple_ivr"))
    page.goto(f"{world.dashboard}/trees/simple_ivr?{world.window_query()}")


def test_the_diagram_shows_each_nodes_counts(signed_in: Page, world: World) -> None:
    page = signed_in
    open_tree(page, world)
    nodes = world.expected.nodes()
    for name, figures in nodes.items():
        group = page.locator(f'svg [data-node="{name}"]')
        expect(group).to_have_count(1)
        expect(group).to_have_attribute("data-reached", str(figures.reached))
        expect(group).to_have_attribute("data-dropped", str(figures.dropped))


def test_the_diagram_shows_each_edges_count(signed_in: Page, world: World) -> None:
    page = signed_in
    open_tree(page, world)
    for (source, target), count in world.expected.edges().items():
        if source == target:
            continue  # a replay of the menu is not drawn as an edge
        edge = page.locator(f'svg [data-from="{source}"][data-to="{target}"]')
        expect(edge).to_have_count(1)
        expect(edge).to_have_attribute("data-count", str(count))


def test_the_node_table_reads_like_the_record(signed_in: Page, world: World) -> None:
    page = signed_in
    open_tree(page, world)
    table = page.get_by_test_id("node-table")
    expect(table).to_be_visible()
    for name, figures in world.expected.nodes().items():
        row = table.locator(f'[data-node="{name}"]')
        expect(row).to_have_count(1)
        for field, text in figures.cells().items():
            expect(row.locator(f'[data-field="{field}"]'), f"{name} {field}").to_have_text(text)
