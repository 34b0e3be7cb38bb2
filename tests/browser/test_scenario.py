"""The scenario the browser tests look at does what it means to: every kind of call happens, and
the figures expected from the simulator's record say so (the dashboard is compared with these)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import World
from tests.browser.expected import describe
from tests.browser.scenario import CROWD

pytestmark = pytest.mark.e2e


def test_each_call_ends_in_the_category_it_was_meant_for(world: World) -> None:
    got = {call.number: call.category for call in world.expected.calls}
    meant = {placed.script.number: placed.script.meant for placed in world.placed}
    assert got == meant, describe(world.expected)


def test_the_record_holds_every_kind_of_menu_event(world: World) -> None:
    menu = world.expected.nodes()["main"]
    answered = [call for call in world.expected.calls if call.answered]
    assert menu.reached == len(answered) == len(world.placed) - 1
    crowd = len(CROWD)
    assert menu.keys == {"1": 3 + crowd, "2": 1}
    assert (menu.invalid, menu.no_input) == (2, 1)
    assert menu.retries == 3
    assert menu.visits == menu.reached + menu.retries
    assert menu.dropped == world.expected.count("abandoned") == 3
    edges = world.expected.edges()
    assert (edges[("main", "resolved")], edges[("main", "agent")]) == (3 + crowd, 1)


def test_the_answers_and_summaries_reached_the_server(world: World) -> None:
    invalid_then_resolved = world.expected.call("+6512343004")
    assert invalid_then_resolved.digits == ["9", "1"]
    assert invalid_then_resolved.answers == 2 and invalid_then_resolved.webhooks == 3
    assert invalid_then_resolved.ivr_hung_up
    assert all(exchange.elapsed_ms > 0 for exchange in invalid_then_resolved.exchanges)
    assert world.expected.call("+6512342003").bridged
