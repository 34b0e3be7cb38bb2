"""`ivrkit diff` and `ivrkit replay` as a person (or a CI job) runs them: exit 0 when nothing
changes for a caller, 1 when something does, 2 on errors in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ivrkit._cli import app
from ivrkit.store import open_store
from ivrkit.trees._loader import builtin_path
from tests.calendar_trees import open_or_closed, support_calendar
from tests.cli.run import ivrkit

runner = CliRunner()


def changed_tree(folder: Path) -> Path:
    """The simple IVR with key 2 → `resolved` and the agent moved to key 3."""
    text = builtin_path("simple_ivr").read_text(encoding="utf-8")
    old = '        "2": agent\n'
    assert old in text
    path = folder / "changed.yaml"
    path.write_text(text.replace(old, '        "2": resolved\n        "3": agent\n'))
    return path


def test_diff_exits_0_for_the_same_tree() -> None:
    result = runner.invoke(app, ["diff", "simple_ivr", "simple_ivr"])
    assert result.exit_code == 0
    assert result.output.startswith("no difference a caller would notice")


def test_diff_groups_the_changes_by_node_and_exits_1(tmp_path: Path) -> None:
    result = runner.invoke(app, ["diff", "simple_ivr", str(changed_tree(tmp_path))])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[1:] == [
        "`main`",
        "  key 2 in `main` now goes to `resolved`, was `agent`",
        "  key 3 in `main` now goes to `agent` (new route)",
    ]


def _line_with_calendar(folder: Path, calendar: str) -> Path:
    folder.mkdir()
    (folder / "support.yaml").write_text(calendar)
    path = folder / "line.yaml"
    path.write_text(open_or_closed())
    return path


def test_diff_tells_the_calendars_hours_holidays_and_overrides_that_changed(
    tmp_path: Path,
) -> None:
    old = _line_with_calendar(tmp_path / "old", support_calendar())
    new = _line_with_calendar(
        tmp_path / "new",
        support_calendar(
            hours='mon-thu: "09:00-17:00", fri: "09:00-12:00"',
            extra="holidays:\n  - {date: 2026-12-25, name: Christmas}\n"
            'overrides:\n  2026-12-24: "09:00-11:00"\n',
        ),
    )
    result = runner.invoke(app, ["diff", str(old), str(new), "--json"])
    assert result.exit_code == 1, result.output
    changes = json.loads(result.stdout)["changes"]
    assert [(c["node"], c["field"], c["old"], c["new"]) for c in changes] == [
        ("(calendar support)", "hours.fri", "09:00-17:00", "09:00-12:00"),
        ("(calendar support)", "holidays.2026-12-25", None, "2026-12-25 (Christmas)"),
        ("(calendar support)", "overrides.2026-12-24", "its weekday's hours", "09:00-11:00"),
    ]
    text = runner.invoke(app, ["diff", str(old), str(new)])
    assert text.exit_code == 1
    assert "(calendar support)" in text.stdout
    assert "fri: open 09:00-12:00, was 09:00-17:00" in text.stdout
    assert "2026-12-25 (Christmas) is now a holiday (closed all day)" in text.stdout
    # The other way round: the holiday is gone and Friday opens all day again.
    back = json.loads(runner.invoke(app, ["diff", str(new), str(old), "--json"]).stdout)
    assert "2026-12-25 (Christmas) is no longer a holiday" in [
        c["message"] for c in back["changes"]
    ]
    same = _line_with_calendar(tmp_path / "same", support_calendar())
    assert runner.invoke(app, ["diff", str(old), str(same)]).exit_code == 0


def test_diff_json_is_the_same_bytes_every_time(tmp_path: Path) -> None:
    new = str(changed_tree(tmp_path))
    first = runner.invoke(app, ["diff", "simple_ivr", new, "--json"])
    second = runner.invoke(app, ["diff", "simple_ivr", new, "--json"])
    assert first.exit_code == 1
    assert first.output == second.output
    body = json.loads(first.output)
    assert [change["field"] for change in body["changes"]] == ["menu.routes.2", "menu.routes.3"]


def test_diff_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\nentry: main\nnodes: {main: {menu: {}}}\n")
    for args in (["simple_ivr", str(tmp_path / "missing.yaml")], ["simple_ivr", str(broken)]):
        result = ivrkit("diff", *args, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith("error: ")
        assert len(result.stderr.strip().splitlines()) == 1
        assert "Traceback" not in result.stderr


def test_replay_without_a_store_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = ivrkit("replay", "--flow", "simple_ivr", "--db", "sqlite:///none.db", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "error: no store at none.db: check --db or IVRKIT_DB"
    assert not (tmp_path / "none.db").exists()


@pytest.mark.e2e
def test_demo_calls_kept_in_a_store_replay_against_a_changed_ivr(tmp_path: Path) -> None:
    """The issue's done-when: the demo keeps its calls in --db; a replay against the simple
    IVR with key 2 → `resolved` reports exactly the call that pressed 2, `agent → resolved`."""
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    demo = ivrkit("demo", "--db", url, cwd=tmp_path)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    store = open_store(url)
    try:
        pressed = {tuple(record.digits): record.session_id for record in store.sessions()}
    finally:
        store.close()
    assert set(pressed) == {("1",), ("2",), ("9", "1")}

    args = ["replay", "--db", url, "--flow", str(changed_tree(tmp_path)), "--json"]
    result = ivrkit(*args, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["sessions"] == 3
    assert report["changes"] == [
        {
            "sessionId": pressed[("2",)],
            "old": "agent",
            "new": "resolved",
            "divergedAt": "main",
            "oldNext": "agent",
            "newNext": "resolved",
        }
    ]
    assert [(cell["old"], cell["new"], cell["sessions"]) for cell in report["matrix"]] == [
        ("agent", "resolved", 1),
        ("resolved", "resolved", 2),
    ]
    assert ivrkit(*args, cwd=tmp_path).stdout == result.stdout  # byte for byte

    same = ivrkit("replay", "--db", url, "--flow", "simple_ivr", cwd=tmp_path)
    assert same.returncode == 0, same.stderr
    assert "3 recorded sessions replayed against simple_ivr" in same.stdout
    assert "0 would end differently" in same.stdout


@pytest.mark.e2e
def test_demo_keeps_its_calls_where_ivrkit_db_says(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kept.db'}"
    demo = ivrkit("demo", cwd=tmp_path, env={"IVRKIT_DB": url})
    assert demo.returncode == 0, demo.stdout + demo.stderr
    store = open_store(url)
    try:
        assert sorted(record.outcome or "" for record in store.sessions()) == [
            "agent",
            "resolved",
            "resolved",
        ]
    finally:
        store.close()


def test_replay_lists_twenty_changed_sessions_then_counts_the_rest(tmp_path: Path) -> None:
    from tests.replay.recording import BRIDGE, HANG_UP, Step, record_call

    url = f"sqlite:///{tmp_path / 'ivrkit.db'}"
    store = open_store(url)
    try:
        for number in range(25):
            steps = [
                Step(None, "2", BRIDGE, node="agent", label="agent"),
                Step("agent", None, HANG_UP, node="(hangup)"),
            ]
            record_call(store, f"s{number:02d}", steps)
    finally:
        store.close()
    args = ["replay", "--db", url, "--flow", str(changed_tree(tmp_path))]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    version = json.loads(runner.invoke(app, [*args, "--json"]).output)["version"]
    lines = result.output.splitlines()
    assert lines[0] == (
        f"25 recorded sessions replayed against simple_ivr (version {version}): "
        "25 would end differently"
    )
    listed = [line for line in lines if "diverged at main (went to agent, now resolved)" in line]
    assert len(listed) == 20
    assert lines[-1] == "… and 5 more (--json lists every one)"
