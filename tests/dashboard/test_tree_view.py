"""The tree view for the people who run the line: what each node says (short), the outcome it
gives and what that counts as, and the callers who ran out of tries at a menu shown as lost
there (not "0 dropped" in green)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from ivrkit.dashboard import DashboardSettings, standalone_app
from ivrkit.store import Store, open_store
from ivrkit.trees import Tree, parse_tree
from tests.analytics.calls import T0, Recorder
from tests.asgi import InProcessServer
from tests.dashboard.test_pages import Elements

TREE = """
name: shop
numbers: {caller_id: "6512345678"}
entry: main
nodes:
  main:
    menu:
      prompt: For our opening hours, press 1. To hear our address, press 2.
      routes: {"1": hours, "2": address}
      max_retries: 2
      on_max_retries: goodbye
  hours:
    outcome: {label: told-hours, counts_as: contained}
    say: We are open from nine to five.
  address:
    outcome: told-address
    say: We are at 1 Main Street.
  goodbye:
    outcome: {label: gave-up, counts_as: abandoned}
    hangup: {say: We could not understand your choice. Goodbye.}
"""


@pytest.fixture
def tree() -> Tree:
    return parse_tree(TREE)


@pytest.fixture
def client(tmp_path: Path, tree: Tree) -> Iterator[httpx.Client]:
    with open_store(f"sqlite:///{tmp_path / 'tree.db'}") as store:
        fill(store, tree)
        settings = DashboardSettings(clock=lambda: T0 + timedelta(hours=1))
        app = standalone_app(store, settings, trees=lambda name: tree.spec)
        server = InProcessServer(app).start()
        with server.client(timeout=10.0) as opened:
            yield opened
        server.stop()


def fill(store: Store, tree: Tree) -> None:
    calls = Recorder(store, tree)
    calls.outbound("hours", ["1"])
    calls.outbound("gave-up-1", ["9", "9", "9"], start=T0 + timedelta(minutes=1))
    calls.outbound("gave-up-2", ["", "", ""], start=T0 + timedelta(minutes=2))
    calls.outbound("gave-up-3", ["7", "", "8"], start=T0 + timedelta(minutes=3))


def test_the_menu_shows_the_callers_who_ran_out_of_tries(client: httpx.Client) -> None:
    html = client.get("/dashboard/trees/shop?since=2026-03-01").text
    page = Elements(html)
    [(main, text)] = [(a, t) for a, t in page.by(data_node="main") if "data-reached" in a]
    assert main["data-reached"] == "4" and main["data-out-of-tries"] == "3"
    assert "drop-4" in main["class"]  # three of four lost here: not green
    assert "75.0% out of tries" in text
    assert "For our opening hours" in text  # the prompt is still drawn
    table = _table(page)
    assert table["main"]["retries_exhausted"] == "3"
    assert table["main"]["out_of_tries_share"] == "75.0%"
    assert table["main"]["prompt"].startswith("For our opening hours, press 1.")
    assert table["goodbye"]["outcome"] == "gave-up (abandoned)"
    assert table["hours"]["outcome"] == "told-hours (contained)"
    assert table["address"]["outcome"] == "told-address (contained)"  # guessed, still shown
    [(goodbye, text)] = [(a, t) for a, t in page.by(data_node="goodbye") if "data-reached" in a]
    assert "⚑ gave-up (abandoned)" in text


def _table(page: Elements) -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = {}
    node = None
    for tag, attrs, text in page.found:
        if tag == "tr" and "data-node" in attrs:
            node = attrs["data-node"]
            table[node] = {}
        elif tag == "td" and node is not None and "data-field" in attrs:
            table[node][attrs["data-field"]] = "".join(text).strip()
    return table
