"""Fixtures of the browser tests: Debian's Chromium driven by Playwright, the scenario of calls the
dashboard shows, and a folder for screenshots.

No browser is ever downloaded: Playwright launches /usr/bin/chromium (`apt-get install chromium`,
which .ci/run does when it is missing). Where Chromium or Playwright is absent, or Playwright's
driver cannot start, the browser tests are skipped with the reason.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.browser.expected import Expected
from tests.browser.scenario import TOKEN, Placed, Scenario

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS_VARIABLE = "IVRKIT_SCREENSHOTS"
"""A folder where every browser test saves its screenshot; without it, only a failed test's page
is saved (in a temporary folder)."""
EXPECT_TIMEOUT_MS = 15_000
"""How long an expectation waits for the page: generous, for a machine shared with other work."""
VIEWPORT = {"width": 1280, "height": 860}

# Read once at import: the autouse fixture of tests/conftest.py clears IVRKIT_* for each test.
_SCREENSHOTS = os.environ.get(SCREENSHOTS_VARIABLE)


NO_PLAYWRIGHT = "playwright is not installed (pip install -e '.[dev]')"


def missing_browser(chromium: Path) -> str | None:
    """Why the browser tests cannot run here (None: they can, as far as files tell)."""
    if not chromium.is_file():
        return f"{chromium} is not installed (apt-get install chromium)"
    if importlib.util.find_spec("playwright") is None:
        return NO_PLAYWRIGHT
    return None


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Chromium from Debian, headless, with a fresh profile; skipped where it cannot run.

    Package-scoped on purpose: while Playwright's sync API is started it keeps its event loop
    marked as running in this thread, so no later test could call ``asyncio.run``; it is
    stopped when the browser tests end, before any other package's tests run."""
    reason = missing_browser(CHROMIUM)
    if reason is not None:
        pytest.skip(reason)
    from playwright.sync_api import Error, expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    try:
        playwright = sync_playwright().start()
    except Exception as exc:  # the driver is a bundled program: any failure to start skips
        pytest.skip(f"Playwright's driver could not start: {exc}")
    try:
        try:
            # Each launch runs on a fresh, temporary user-data dir of Playwright's making (it
            # refuses a --user-data-dir argument): no profile of the machine is ever read.
            launched = playwright.chromium.launch(
                executable_path=str(CHROMIUM),
                headless=True,
                args=CHROMIUM_ARGS,
                timeout=60_000,
            )
        except Error as exc:
            pytest.skip(f"{CHROMIUM} could not be started by Playwright: {exc.message}")
        yield launched
        launched.close()
    finally:
        playwright.stop()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser context (no cookies) that only ever talks to loopback."""
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    context.set_default_timeout(EXPECT_TIMEOUT_MS)
    context.route(re.compile(r"^(?!https?://(127\.0\.0\.1|localhost)[:/]).*"), _refuse)
    yield context
    context.close()


def _refuse(route: object) -> None:
    route.abort("blockedbyclient")  # type: ignore[attr-defined]


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if _SCREENSHOTS:
        folder = Path(_SCREENSHOTS)
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    return tmp_path_factory.mktemp("screenshots")


_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed:
        item.stash[_FAILED] = True
    return report


@pytest.fixture
def shoot(page: Page, screenshots: Path, request: pytest.FixtureRequest) -> Iterator[None]:
    """Save the page as the test left it as ``<test name>.png``: every test's when
    IVRKIT_SCREENSHOTS names a folder, a failed test's otherwise (a full-page screenshot is
    Chromium's work of a tenth of a second, for a picture of a passing test nobody opens)."""
    yield
    wanted = _SCREENSHOTS or request.node.stash.get(_FAILED, False)
    if wanted and not page.is_closed():
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)


@pytest.fixture(scope="package")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The simulator and `ivrkit serve` (dashboard token set, numbers masked) after every call
    of :data:`tests.browser.scenario.CALLS` ended, with the figures expected from them."""
    folder = tmp_path_factory.mktemp("world")
    with Scenario(folder) as scenario:
        placed = scenario.run()
        yield World(scenario, placed)
    shutil.rmtree(folder, ignore_errors=True)


class World:
    """A scenario whose calls all ended, and what the simulator recorded of them."""

    def __init__(self, scenario: Scenario, placed: list[Placed]) -> None:
        self.scenario = scenario
        self.placed = placed
        self.expected = Expected.of([call.view for call in placed if call.view is not None])

    @property
    def dashboard(self) -> str:
        return self.scenario.dashboard

    def window_query(self) -> str:
        since, until = self.expected.window
        return f"since={since.isoformat()}&until={until.isoformat()}"


def log_in(page: Page, dashboard: str, token: str = TOKEN) -> None:
    """Log in through the form, as a person would."""
    from playwright.sync_api import expect

    page.goto(f"{dashboard}/login")
    page.get_by_test_id("login-token").fill(token)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("login-error")).to_have_count(0)
    expect(page).to_have_url(re.compile(re.escape(dashboard) + r"/?(\?.*)?$"))


@pytest.fixture(scope="package")
def login_cookie(world: World) -> dict[str, str]:
    """The cookie the world's dashboard gives for its token: the login form is posted once, and
    every test after it starts signed in (the form itself is tested in test_login.py)."""
    answer = httpx.post(f"{world.dashboard}/login", data={"token": TOKEN}, timeout=30)
    assert answer.status_code == 303, f"login answered {answer.status_code}: {answer.text[:200]}"
    [(name, value)] = answer.cookies.items()
    return {"name": name, "value": value, "url": world.dashboard}


@pytest.fixture
def signed_in(page: Page, login_cookie: dict[str, str], shoot: None) -> Page:
    """A page signed in to the world's dashboard (it opens nothing: each test goes where it
    looks)."""
    page.context.add_cookies([login_cookie])  # type: ignore[list-item]
    return page
