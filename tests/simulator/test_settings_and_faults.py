"""The pure parts of run-time errors and fault injection: settings patches, fault counts, and
which code a refused CALL_ACTION answer gets."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ivrkit.rules import Mode, validate
from ivrkit.simulator import SimulatorConfig
from ivrkit.simulator._account.faults import FaultPlan
from ivrkit.simulator._account.settings import PlatformSettings, SettingsPatch
from ivrkit.simulator._calls.refusals import answer_failure_code
from ivrkit.wire import WebhookType


def test_a_patch_changes_only_what_it_names() -> None:
    start = PlatformSettings(trunk_capacity=4, dial_delay=2)
    patched = SettingsPatch.model_validate({"coveredCountries": ["sg"]}).apply(start)
    assert (patched.trunk_capacity, patched.dial_delay, patched.covered_countries) == (4, 2, ["SG"])
    cleared = SettingsPatch.model_validate({"trunkCapacity": None}).apply(patched)
    assert cleared.trunk_capacity is None and cleared.covered_countries == ["SG"]
    kept = SettingsPatch.model_validate({"dialDelay": None}).apply(patched)
    assert kept.dial_delay == 2, "a setting without a 'no limit' value ignores null"


@pytest.mark.parametrize(
    "body", [{"trunkCapacity": -1}, {"dialDelay": float("inf")}, {"dialDelay": 1e300}]
)
def test_impossible_settings_are_refused(body: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        SettingsPatch.model_validate(body)


def test_the_config_gives_the_first_settings() -> None:
    config = SimulatorConfig(
        trunk_capacity=2, covered_countries=frozenset({"SG", "MY"}), allowed_sources=None
    )
    settings = config.initial_settings()
    assert (settings.trunk_capacity, settings.covered_countries) == (2, ["MY", "SG"])


def test_a_fault_is_used_up_and_only_on_its_webhook_types() -> None:
    plan = FaultPlan(duplicates=1, webhooks=[WebhookType.VSS])
    assert not plan.take("duplicates", WebhookType.VCA)
    assert plan.take("duplicates", WebhookType.VSS)
    assert not plan.take("duplicates", WebhookType.VSS)
    calls = FaultPlan(late_digits=2)
    assert [calls.take_call("late_digits") for _ in range(3)] == [True, True, False]


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        ({"callflow": [{"action": "executeScenario", "params": {"scenarioName": "x"}}]}, -2009),
        ({"callflow": [{"action": "say", "scenarioName": "x"}]}, -2009),
        ({"callflow": [{"action": "dance"}]}, -2003),
        ({"callflow": "nope"}, -2003),
    ],
)
def test_a_refused_answer_is_2003_unless_it_names_a_scenario(
    answer: dict[str, object], code: int
) -> None:
    verdict = validate(answer, mode=Mode.ANSWER)
    assert not verdict.ok
    assert answer_failure_code(verdict, answer) == code
