"""`ivrkit calendar check` and `ivrkit closed` as a person uses them: the answer and its rule,
the switch on and off, and every mistake as one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ivrkit._cli.common import run_app
from ivrkit.store import open_store
from tests.cli.run import built_command

CALENDAR = """\
name: support
timezone: Europe/London
years: 2026
hours: {mon-fri: "09:00-17:00"}
holidays: [{date: 2026-12-25, name: Christmas Day}]
overrides: {2026-12-24: "09:00-13:00"}
"""


@pytest.fixture
def calendar(tmp_path: Path) -> str:
    path = tmp_path / "support.yaml"
    path.write_text(CALENDAR, encoding="utf-8")
    return str(path)


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'ivrkit.db'}"
    open_store(url).close()  # the store `ivrkit serve` made
    return url


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run_app(built_command(), list(args))
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str, words: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and words in lines[0], lines[0]


@pytest.mark.parametrize(
    ("moment", "first", "rule"),
    [
        ("2026-12-24T12:00", "support: open at 2026-12-24 12:00 GMT (Europe/London)", "override"),
        ("2026-12-25T12:00", "support: closed at 2026-12-25 12:00 GMT", "holiday"),
        ("2026-06-01T08:30Z", "support: open at 2026-06-01 09:30 BST", "hours"),
    ],
)
def test_check_says_open_or_closed_and_the_rule(
    capsys: pytest.CaptureFixture[str], calendar: str, moment: str, first: str, rule: str
) -> None:
    code, out, _ = run(capsys, "calendar", "check", calendar, "--at", moment)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith(first)
    assert lines[1].startswith(f"  rule: {rule} — ")
    assert "emergency switch not checked" in lines[2]


def test_check_json_names_the_rule_and_reason(
    capsys: pytest.CaptureFixture[str], calendar: str
) -> None:
    code, out, _ = run(capsys, "calendar", "check", calendar, "--at", "2026-12-25T12:00", "--json")
    assert code == 0
    assert json.loads(out) == {
        "calendar": "support",
        "at": "2026-12-25T12:00:00+00:00",
        "open": False,
        "rule": "holiday",
        "reason": "holiday 2026-12-25 (Christmas Day)",
        "switchChecked": False,
    }


def test_the_switch_is_on_until_turned_off_and_check_obeys_it(
    capsys: pytest.CaptureFixture[str], calendar: str, db: str
) -> None:
    code, out, _ = run(capsys, "closed", "--db", db)
    assert (code, out.strip()) == (0, "no emergency switch is on: every calendar follows its rules")
    code, out, _ = run(capsys, "closed", "on", "support", "--db", db, "--reason", "burst pipe")
    assert code == 0
    assert out.startswith("emergency switch on for support since ")
    assert out.strip().endswith("UTC: burst pipe")
    code, out, _ = run(
        capsys, "calendar", "check", calendar, "--at", "2026-12-24T10:00", "--db", db
    )
    assert "support: closed" in out and "rule: switch" in out and "burst pipe" in out
    assert run(capsys, "closed", "off", "support", "--db", db)[1].startswith("no emergency")
    code, out, _ = run(
        capsys, "calendar", "check", calendar, "--at", "2026-12-24T10:00", "--db", db
    )
    assert "support: open" in out and "rule: override" in out
    code, out, _ = run(capsys, "closed", "--db", db, "--json")
    [shown] = json.loads(out)
    assert (shown["calendar"], shown["closed"], shown["reason"]) == ("support", False, None)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["closed", "maybe"], "ivrkit closed takes 'on' or 'off', not 'maybe'"),
        (["closed", "off", "--reason", "x"], "--reason goes with 'on'"),
        (["closed", "on", "bad/name"], "'bad/name' is not a calendar name"),
    ],
)
def test_closed_mistakes_are_one_line(
    capsys: pytest.CaptureFixture[str], db: str, args: list[str], words: str
) -> None:
    code, _, err = run(capsys, *args, "--db", db)
    assert code == 1
    one_line(err, words)


def test_closed_refuses_a_store_that_does_not_exist(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "closed", "on", "--db", f"sqlite:///{tmp_path / 'typo.db'}")
    assert code == 1
    one_line(err, "no store at")
    assert not (tmp_path / "typo.db").exists()


@pytest.mark.parametrize(
    ("moment", "words"),
    [
        ("2026-03-29T01:30", "does not exist in Europe/London"),
        ("2026-10-25T01:30", "happens twice in Europe/London"),
        ("yesterday", "'yesterday' is not a date and time"),
    ],
)
def test_check_mistakes_are_one_line(
    capsys: pytest.CaptureFixture[str], calendar: str, moment: str, words: str
) -> None:
    code, _, err = run(capsys, "calendar", "check", calendar, "--at", moment)
    assert code == 1
    one_line(err, words)


def test_check_of_a_broken_calendar_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(CALENDAR.replace("Europe/London", "Europe/Londn"), encoding="utf-8")
    code, _, err = run(capsys, "calendar", "check", str(path), "--at", "2026-12-24T10:00")
    assert code == 1
    one_line(err, "bad.yaml: timezone: unknown time zone 'Europe/Londn'")


def test_lint_prints_the_calendars_warnings_with_the_tree(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "support.yaml").write_text(
        CALENDAR.replace(
            'mon-fri: "09:00-17:00"', 'mon-tue: "09:00-17:00", thu-fri: "09:00-17:00"'
        ),
        encoding="utf-8",
    )
    tree = tmp_path / "tree.yaml"
    tree.write_text(
        "name: t\ncalendars: [support.yaml]\nentry: hours\nnodes:\n"
        "  hours:\n    branch:\n      cases:\n        - {if: {calendar: support}, to: bye}\n"
        "      else: bye\n  bye:\n    hangup: {}\n",
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "lint", str(tree))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith(f"{tree}:2:1: warning calendar-weekly-gap: calendar 'support' (")
    assert lines[0].endswith(
        "Wednesday has no hours, between open Tuesday and Thursday: write `wed: closed` if "
        "that is meant"
    )
    assert lines[-1].startswith("0 errors, 1 warning; version ")
