"""The sessions page: filters by status, outcome and number narrow the list to the calls the
simulator recorded as such, and paging walks every session once."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.browser.conftest import NO_PLAYWRIGHT, World
from tests.browser.expected import CallFacts
from tests.browser.pages import set_field

pytest.importorskip("playwright", reason=NO_PLAYWRIGHT)
from playwright.sync_api import Page, expect  # noqa: E402

pytestmark = pytest.mark.e2e


def open_sessions(page: Page, world: World, query: str = "") -> None:
    page.goto(f"{world.dashboard}/sessions?{world.window_query()}{query}")
    expect(page.get_by_test_id("session-count")).to_be_visible()


def filter_by(page: Page, **fields: str) -> None:
    for name, value in fields.items():
        set_field(page, name, value)
    page.get_by_test_id("filter-submit").click()
    page.wait_for_url(lambda url: all(query(url).get(k) == v for k, v in fields.items()))


ROW_DATA = "rows => rows.map(row => ({...row.dataset}))"


def walk_pages(page: Page) -> list[list[dict[str, str]]]:
    """The rows (their data- attributes: sessionId, status, outcome) of every page of the list,
    following page-next from the current page."""
    pages: list[list[dict[str, str]]] = []
    while True:
        rows = page.get_by_test_id("session-row")
        expect(rows.first).to_be_visible()
        pages.append(rows.evaluate_all(ROW_DATA))
        following = page.get_by_test_id("page-next")
        if following.count() == 0:
            return pages
        assert len(pages) < 20, "page-next never ends"
        following.click()
        on_page(page, len(pages) + 1)
        expect(page.get_by_test_id("session-row").first).not_to_have_attribute(
            "data-session-id", pages[-1][0]["sessionId"]
        )


def query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def on_page(page: Page, number: int) -> None:
    """Wait until the list shows page ``number`` (page 1 may leave ``page`` out of its URL)."""
    page.wait_for_url(lambda url: query(url).get("page", "1") == str(number))


def expect_rows(page: Page, calls: list[CallFacts]) -> list[dict[str, str]]:
    """The list (all its pages) holds exactly ``calls``, and its count says so; its rows."""
    expect(page.get_by_test_id("session-count")).to_have_text(str(len(calls)))
    rows = [row for rows in walk_pages(page) for row in rows]
    assert sorted(row["sessionId"] for row in rows) == sorted(call.session_id for call in calls)
    return rows


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
    rows = expect_rows(page, wanted)
    assert {row[attribute] for row in rows} == {value}


@pytest.mark.parametrize("typed", ["+6512343004", "65 1234 3004"])
def test_the_number_filter_finds_a_caller(signed_in: Page, world: World, typed: str) -> None:
    page = signed_in
    call = world.expected.call("+6512343004")
    open_sessions(page, world)
    filter_by(page, number=typed)
    expect_rows(page, [call])


def test_search_finds_a_caller_by_part_of_the_number(signed_in: Page, world: World) -> None:
    page = signed_in
    call = world.expected.call("+6512343004")
    open_sessions(page, world)
    # Eight digits: a shorter part could also be found inside a session id (hex digits).
    filter_by(page, q="12343004")
    expect_rows(page, [call])


def test_search_finds_a_session_by_its_id(signed_in: Page, world: World) -> None:
    page = signed_in
    call = world.expected.call("+6512342003")
    open_sessions(page, world)
    filter_by(page, q=call.session_id)
    expect_rows(page, [call])


def test_paging_walks_every_session_once(signed_in: Page, world: World) -> None:
    page = signed_in
    open_sessions(page, world)
    expect(page.get_by_test_id("session-count")).to_have_text(str(world.expected.sessions))
    expect(page.get_by_test_id("page-prev")).to_have_count(0)
    pages = walk_pages(page)
    sizes = [len(rows) for rows in pages]
    assert len(pages) > 1, f"the scenario's {sum(sizes)} sessions should fill more than one page"
    assert all(size == sizes[0] for size in sizes[:-1]) and sizes[-1] <= sizes[0]
    shown = [row["sessionId"] for rows in pages for row in rows]
    assert sorted(shown) == sorted(c.session_id for c in world.expected.calls)
    page.get_by_test_id("page-prev").click()
    on_page(page, len(pages) - 1)
    rows = page.get_by_test_id("session-row")
    expect(rows).to_have_count(sizes[-2])
    expect(rows.first).to_have_attribute("data-session-id", pages[-2][0]["sessionId"])
