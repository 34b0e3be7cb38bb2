"""Live views: a call placed while the overview is open appears on it without a reload, and the
event stream tells when it started and how it ended."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import NO_PLAYWRIGHT, log_in
from tests.browser.scenario import Scenario, Script

pytest.importorskip("playwright", reason=NO_PLAYWRIGHT)
from playwright.sync_api import Page, expect  # noqa: E402

pytestmark = pytest.mark.e2e

CALLER = "+6512349876"
WATCH_EVENTS = """url => {
    window.__events = [];
    const source = new EventSource(url);
    for (const name of ["session-started", "session-ended"]) {
        source.addEventListener(name, e => window.__events.push([name, JSON.parse(e.data)]));
    }
}"""


@pytest.fixture
def quiet(tmp_path: Path) -> Iterator[Scenario]:
    """The simulator and `ivrkit serve` with no call yet."""
    with Scenario(tmp_path) as scenario:
        yield scenario


def test_a_call_appears_on_the_overview_without_reloading(
    page: Page, quiet: Scenario, shoot: None
) -> None:
    log_in(page, quiet.dashboard)
    page.goto(f"{quiet.dashboard}/")
    expect(page.get_by_test_id("stat-in-progress")).to_have_text("0")
    expect(page.get_by_test_id("live-call")).to_have_count(0)
    # A reload would drop this mark (and the event listener below).
    page.evaluate("window.__notReloaded = true")
    page.evaluate(WATCH_EVENTS, f"{quiet.dashboard}/events")

    call = quiet.place(Script(CALLER), live=True)
    row = page.locator(f'[data-testid="live-call"][data-session-id="{call.session_id}"]')
    expect(row).to_be_visible()
    expect(row).not_to_contain_text(CALLER[1:])  # numbers stay masked in the live list too
    page.wait_for_function(
        "id => window.__events.some(([n, d]) => n === 'session-started' && d.session_id === id)",
        arg=call.session_id,
    )

    quiet.press(call, "1")
    view = quiet.finish(call)
    assert view.status == "COMPLETED"
    page.wait_for_function(
        """id => window.__events.some(([n, d]) =>
            n === 'session-ended' && d.session_id === id && d.outcome === 'resolved'
            && d.flow === 'simple_ivr')""",
        arg=call.session_id,
    )
    assert page.evaluate("window.__notReloaded") is True
