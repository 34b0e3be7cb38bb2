"""`ivrkit demo --campaign` passes, and fails when a contact does not end as scripted."""

from __future__ import annotations

from dataclasses import replace

import pytest
from typer.testing import CliRunner

from ivrkit.campaigns import demo
from ivrkit.cli import app

pytestmark = pytest.mark.e2e


def test_the_campaign_demo_ends_every_contact_as_scripted() -> None:
    result = CliRunner().invoke(app, ["demo", "--campaign"])
    assert result.exit_code == 0, result.output
    assert "all 20 contacts ended as scripted" in result.output
    assert "+6595000000" in result.output and "do-not-call" in result.output


def test_the_campaign_demo_exits_1_when_a_contact_ends_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The New York customer is now expected to press 2: the check must catch the difference.
    changed = [*demo.CUSTOMERS[:-1], replace(demo.CUSTOMERS[-1], outcome="agent")]
    monkeypatch.setattr(demo, "CUSTOMERS", changed)
    result = CliRunner().invoke(app, ["demo", "--campaign"])
    assert result.exit_code == 1
    assert "+12125550199: outcome resolved, expected agent" in result.output
