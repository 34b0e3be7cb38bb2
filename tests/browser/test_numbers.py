"""Phone numbers: masked to their last four digits everywhere (pages and CSV export) unless the
server runs with --show-numbers."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urljoin

import pytest

from tests.browser.conftest import NO_PLAYWRIGHT, World, log_in
from tests.browser.pages import digits
from tests.browser.scenario import serve_process
from tests.serve_process import ServeProcess

pytest.importorskip("playwright", reason=NO_PLAYWRIGHT)
from playwright.sync_api import Page, expect  # noqa: E402

pytestmark = pytest.mark.e2e

NUMBER = "+6512343004"


def test_numbers_are_masked_by_default(signed_in: Page, world: World) -> None:
    page = signed_in
    call = world.expected.call(NUMBER)
    page.goto(f"{world.dashboard}/sessions?{world.window_query()}&number={digits(NUMBER)}")
    row = page.locator(f'[data-testid="session-row"][data-session-id="{call.session_id}"]')
    expect(row).to_contain_text(call.last_four)
    expect(row).not_to_contain_text(digits(NUMBER))

    page.goto(f"{world.dashboard}/sessions?{world.window_query()}")
    expect(page.get_by_test_id("session-row").first).to_be_visible()
    text = page.locator("body").inner_text()
    for other in world.expected.calls:
        assert digits(other.number) not in text, f"{other.number} is shown whole"

    export = page.get_by_test_id("export-csv").get_attribute("href")
    assert export is not None
    csv = page.request.get(urljoin(page.url, export))
    assert csv.status == 200
    body = csv.text()
    assert call.last_four in body
    for other in world.expected.calls:
        assert digits(other.number) not in body, f"the CSV export shows {other.number} whole"


@pytest.fixture
def showing(world: World) -> Iterator[ServeProcess]:
    """A second server on the same store, started with --show-numbers."""
    with serve_process(world.scenario.db_url, world.scenario.folder, show_numbers=True) as serve:
        yield serve


def test_show_numbers_shows_them_whole(
    page: Page, world: World, showing: ServeProcess, shoot: None
) -> None:
    dashboard = showing.url + "/dashboard"
    log_in(page, dashboard)
    call = world.expected.call(NUMBER)
    page.goto(f"{dashboard}/sessions?{world.window_query()}&number={digits(NUMBER)}")
    row = page.locator(f'[data-testid="session-row"][data-session-id="{call.session_id}"]')
    expect(row).to_contain_text(NUMBER)
