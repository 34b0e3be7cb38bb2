"""Where Debian's Chromium or Playwright is missing, the browser tests are skipped, saying why."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import CHROMIUM, missing_browser


def test_a_missing_chromium_names_the_package_to_install(tmp_path: Path) -> None:
    reason = missing_browser(tmp_path / "chromium")
    assert reason == f"{tmp_path / 'chromium'} is not installed (apt-get install chromium)"


def test_a_missing_playwright_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = Path(__file__)  # any file stands for the browser here
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    assert missing_browser(fake) == "playwright is not installed (pip install -e '.[dev]')"


def test_nothing_is_missing_where_both_are_installed() -> None:
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} is not installed here")
    assert missing_browser(CHROMIUM) is None
