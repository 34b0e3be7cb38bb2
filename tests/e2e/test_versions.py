"""A tree changed during a call, end to end (the simulator and the webhook server over real HTTP):
the caller keeps hearing the version the call started on; calls placed afterwards get the new
one; the store records which version answered each."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ivrkit.testing import IvrHarness
from ivrkit.trees import builtin_path

pytestmark = pytest.mark.e2e

CUSTOMER = "+6512345678"
AGENT = "+6561115777"
OLD = builtin_path("simple_ivr").read_text(encoding="utf-8")
NEW = OLD.replace('"2": agent', '"2": resolved\n        "3": agent')
"""Key 2 now ends the call as resolved; the agent moved to key 3."""


def test_a_reload_between_two_keys_leaves_the_caller_on_the_menu_they_heard(
    tmp_path: Path,
) -> None:
    flow = tmp_path / "simple_ivr.yaml"
    flow.write_text(OLD, encoding="utf-8")
    with IvrHarness(flow) as ivr:
        old = ivr.tree
        call = ivr.call(CUSTOMER)
        call.expect_prompt("press two to speak to an agent")
        call.press("9")
        call.expect_prompt("Sorry, we did not understand your response")

        flow.write_text(NEW, encoding="utf-8")
        os.utime(flow, (1, 1))
        (reloaded,) = ivr.reload()
        assert "new calls get version" in reloaded
        new = ivr.tree
        assert new.version != old.version

        call.press("2")
        call.expect_bridge(AGENT)
        call.hang_up()
        call.expect_summary(status="COMPLETED")

        later = ivr.call("+6598765432", press=["2"])
        later.expect_summary(status="COMPLETED", last_action="HANGUP")

        first, second = call.record, later.record
        assert first is not None and second is not None
        assert (first.first_version, first.last_version) == (old.version, old.version)
        assert (second.first_version, second.last_version) == (new.version, new.version)
        assert first.outcome == "agent" and second.outcome == "resolved"
        answered = [d for d in ivr.store.deliveries(call.session_id) if d.event_id]
        assert answered and {d.version for d in answered} == {old.version}
