"""A session's timeline shows the keys pressed, the webhooks answered, each answer with its
latency, the prompts of the answers and the summary's legs, as the simulator recorded them."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import NO_PLAYWRIGHT, World
from tests.browser.expected import CallFacts

pytest.importorskip("playwright", reason=NO_PLAYWRIGHT)
from playwright.sync_api import Locator, Page, expect  # noqa: E402

pytestmark = pytest.mark.e2e


def open_timeline(page: Page, world: World, call: CallFacts) -> None:
    """From the sessions list, as a person would: click the session's row."""
    number = "".join(ch for ch in call.number if ch.isdigit())
    page.goto(f"{world.dashboard}/sessions?{world.window_query()}&number={number}")
    row = page.locator(f'[data-testid="session-row"][data-session-id="{call.session_id}"]')
    expect(row).to_have_count(1)
    row.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(rf"/dashboard/sessions/{call.session_id}$"))


def entries(page: Page, kind: str) -> Locator:
    return page.locator(f'[data-testid="timeline-entry"][data-kind="{kind}"]')


@pytest.mark.parametrize("number", ["+6512343004", "+6512342003"], ids=["retry", "agent"])
def test_the_timeline_follows_the_call(signed_in: Page, world: World, number: str) -> None:
    page, call = signed_in, world.expected.call(number)
    open_timeline(page, world, call)

    keys = entries(page, "keys")
    expect(keys).to_have_count(len(call.digits))
    expect(keys).to_contain_text(call.digits)
    expect(entries(page, "webhook")).to_have_count(call.webhooks)
    expect(entries(page, "answer")).to_have_count(call.answers)
    prompts = entries(page, "prompt")
    for text in call.prompts:
        expect(prompts.filter(has_text=text[:40])).not_to_have_count(0)
    expect(entries(page, "summary")).to_have_count(1)
    expect(entries(page, "summary")).to_contain_text(call.status)
    expect(entries(page, "leg")).to_have_count(call.legs)


def test_each_answer_carries_its_latency(signed_in: Page, world: World) -> None:
    page, call = signed_in, world.expected.call("+6512343004")
    open_timeline(page, world, call)
    answers = entries(page, "answer")
    expect(answers).to_have_count(call.answers)
    for i, exchange in enumerate(call.exchanges):
        latency = answers.nth(i).get_attribute("data-latency-ms")
        assert latency is not None and re.fullmatch(r"\d+(\.\d+)?", latency), latency
        # The server's own measure (arrival to answer) lies within the platform's round trip.
        assert 0 <= float(latency) <= exchange.elapsed_ms + 1.0, (latency, exchange.elapsed_ms)
