"""`ivrkit demo --campaign` passes, and fails when a contact does not end as scripted.

The demo's campaign runs once for the module, kept in a store of its own; the command line is
then shown its result.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ivrkit._cli import app
from ivrkit.campaigns import _demo as demo
from ivrkit.campaigns._model import CampaignStatus

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def kept(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder: Path = tmp_path_factory.mktemp("campaign-demo")
    return f"sqlite:///{folder / 'ivrkit.db'}"


@pytest.fixture(scope="module")
def played(kept: str) -> demo.DemoResult:
    steps: list[str] = []
    statuses: list[CampaignStatus] = []
    result = demo.run_campaign_demo(statuses.append, steps.append, db=kept)
    assert len(steps) == 3 and statuses, (steps, statuses)
    return result


def test_the_campaign_demo_ends_every_contact_as_scripted(
    played: demo.DemoResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert played.problems == []
    monkeypatch.setattr(demo, "run_campaign_demo", lambda on_progress, on_step, db: played)
    result = CliRunner().invoke(app, ["demo", "--campaign"])
    assert result.exit_code == 0, result.output
    assert "all 20 contacts ended as scripted" in result.output
    assert "+6595000000" in result.output and "do-not-call" in result.output


def test_the_campaign_demo_exits_1_when_a_contact_ends_otherwise(
    played: demo.DemoResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The New York customer is now expected to press 2: the check must catch the difference.
    changed = [*demo.CUSTOMERS[:-1], replace(demo.CUSTOMERS[-1], outcome="agent")]
    monkeypatch.setattr(demo, "CUSTOMERS", changed)
    problems = demo.check_report(played.report)
    assert problems == ["+12125550199: outcome resolved, expected agent"]
    failed = replace(played, problems=problems)
    monkeypatch.setattr(demo, "run_campaign_demo", lambda on_progress, on_step, db: failed)
    result = CliRunner().invoke(app, ["demo", "--campaign"])
    assert result.exit_code == 1
    assert "+12125550199: outcome resolved, expected agent" in result.output


def test_the_campaign_demo_keeps_its_campaign_in_the_store_given_by_db(
    played: demo.DemoResult, kept: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    given: list[str | None] = []

    def play(on_progress: object, on_step: object, db: str | None) -> demo.DemoResult:
        given.append(db)
        return played

    monkeypatch.setattr(demo, "run_campaign_demo", play)
    result = CliRunner().invoke(app, ["demo", "--campaign", "--db", kept])
    assert result.exit_code == 0, result.output
    assert given == [kept]
    assert "kept in" in result.output
    # The store the demo played in holds the campaign, done, as the dashboard reads it.
    status = CliRunner().invoke(app, ["campaign", "status", demo.NAME, "--db", kept, "--json"])
    assert status.exit_code == 0, status.output
    found = json.loads(status.output)
    assert (found["state"], found["total"]) == ("done", 20)
    assert found["changes"][0]["action"] == "created"
