"""Small helpers for reading and driving the dashboard's pages through their `data-testid` hooks
(the contract the dashboard keeps with these tests)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

PERCENT = re.compile(r"^\s*\d+(\.\d+)?\s*%\s*$")
INTEGER = re.compile(r"^\s*\d+\s*$")


def percent(locator: Locator) -> float:
    """The percentage a stat shows ("37.5%" → 37.5), once it shows one."""
    from playwright.sync_api import expect

    expect(locator).to_have_text(PERCENT)
    return float(locator.inner_text().strip().rstrip("%"))


def assert_rate(locator: Locator, count: int, total: int) -> None:
    """The stat shows ``count / total`` as a percentage, to the precision it prints."""
    shown = percent(locator)
    text = locator.inner_text().strip().rstrip("%")
    decimals = len(text.split(".", 1)[1]) if "." in text else 0
    exact = 100 * count / total if total else 0.0
    assert abs(shown - exact) <= 0.5 * 10**-decimals + 1e-9, (
        f"{locator} shows {shown}%, expected {count}/{total} = {exact:.3f}%"
    )


def set_field(page: Page, name: str, value: str) -> None:
    """Fill the sessions filter form's field ``name``, whether an input or a select."""
    field = page.locator(f'form [name="{name}"]').first
    if field.evaluate("element => element.tagName") == "SELECT":
        field.select_option(value)
    else:
        field.fill(value)


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)
