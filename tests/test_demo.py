"""`ivrkit demo`, the main job: three calls through the simulated platform, each checked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ivrkit._demo import AGENT, SCENARIOS, run_demo
from ivrkit._narrate import NarratedLine
from ivrkit.store import SessionRecord
from ivrkit.trees import builtin_path, parse_tree

RUN_CLI = "import sys; from ivrkit._cli import main; sys.argv[0] = 'ivrkit'; main()"


@pytest.mark.e2e
def test_ivrkit_demo_runs_the_three_calls_and_exits_0(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IVRKIT_")}
    env.update(COLUMNS="200", NO_COLOR="1", TERM="dumb")  # the same output in any terminal
    done = subprocess.run(
        [sys.executable, "-c", RUN_CLI, "demo", "--timeout", "60"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    for scenario in SCENARIOS:
        assert scenario.title in out
    assert out.count("✓ the call did what the simple IVR says") == 3
    assert "✗" not in out
    assert "all 3 calls did what the simple IVR says" in out
    assert "Traceback" not in done.stderr


@pytest.mark.e2e
def test_the_demo_reports_a_call_that_does_not_do_what_the_ivr_says() -> None:
    # Pressing 1 transfers instead of hanging up: the first call's checks must catch it.
    text = builtin_path("simple_ivr").read_text(encoding="utf-8")
    broken = parse_tree(
        # ("3" keeps the hang-up node reachable: a tree with an unreachable node is refused.)
        text.replace('"1": resolved', '"1": agent\n        "3": resolved'),
        numbers={"agent": AGENT.removeprefix("+")},
    )
    shown: list[tuple[str, list[str]]] = []
    sessions: list[SessionRecord] = []

    def show_call(title: str, lines: list[NarratedLine], summary: str, problems: list[str]) -> None:
        shown.append((title, problems))

    results = run_demo(show_call, sessions.extend, tree=broken, timeout=60)
    assert [result.scenario.title for result in results] == [s.title for s in SCENARIOS]
    first = results[0].problems
    assert "last action MAKE_CALL, expected HANGUP" in first
    assert results[1].problems == []  # pressing 2 still reaches the agent
    assert shown[0] == (SCENARIOS[0].title, first)
    assert len(sessions) == 3
