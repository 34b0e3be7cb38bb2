"""Trees that branch on named calendars: found beside the tree, routed as branch cases (so
route coverage counts them), obeying the emergency switch, part of the tree's version."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ivrkit import wire
from ivrkit.calendars import ALL_CALENDARS, Switch, parse_calendar
from ivrkit.errors import CalendarError, TreeError
from ivrkit.trees import RouteKind, Tree, TreeSpec, load_tree
from tests.calendar_trees import menu_in_hours

CALENDAR = """\
name: support
timezone: America/New_York
hours: {mon-fri: "09:00-17:00"}
holidays: [2026-12-25]
"""
TREE = menu_in_hours(calendars="calendars/support.yaml", branch="hours", greet=True)
OPEN_MOMENT = datetime(2026, 12, 23, 15, 0, tzinfo=UTC)  # Wednesday 10:00 in New York
HOLIDAY = datetime(2026, 12, 25, 15, 0, tzinfo=UTC)


def write(tmp_path: Path, tree: str = TREE, calendar: str = CALENDAR) -> Path:
    (tmp_path / "calendars").mkdir(exist_ok=True)
    (tmp_path / "calendars" / "support.yaml").write_text(calendar, encoding="utf-8")
    path = tmp_path / "tree.yaml"
    path.write_text(tree, encoding="utf-8")
    return path


def inbound() -> wire.CallActionEvent:
    return wire.CallActionEvent.model_validate(
        {
            "eventType": "CALL_ACTION",
            "payload": {
                "eventId": "e1",
                "sessionId": "s1",
                "callId": "c1",
                "callStatus": "CALL_RECEIVED",
                "callDirection": "INBOUND",
                "source": "6512345678",
                "destination": "6587654321",
            },
        }
    )


def at(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def test_an_open_calendar_takes_the_case_and_a_holiday_the_else(tmp_path: Path) -> None:
    tree = load_tree(write(tmp_path))
    tree.clock = at(OPEN_MOMENT)
    opened = tree.answer(inbound())
    route = next(r for r in opened.routes if r.node == "hours")
    assert (route.kind, route.value, route.to) == (RouteKind.CASE, "menu", "menu")
    assert opened.reached[-1] == "menu"
    tree.clock = at(HOLIDAY)
    shut = tree.answer(inbound())
    route = next(r for r in shut.routes if r.node == "hours")
    assert (route.kind, route.to) == (RouteKind.ELSE, "closed")


def test_the_switch_closes_an_open_calendar_for_one_answer(tmp_path: Path) -> None:
    tree = load_tree(write(tmp_path))
    tree.clock = at(OPEN_MOMENT)
    switch = Switch("support", True, "flood", OPEN_MOMENT)
    assert tree.answer(inbound(), switches={"support": switch}).reached[-1] == "closed"
    every = Switch(ALL_CALENDARS, True, None, OPEN_MOMENT)
    assert tree.answer(inbound(), switches={ALL_CALENDARS: every}).reached[-1] == "closed"
    assert tree.answer(inbound(), switches={"sales": switch}).reached[-1] == "menu"
    assert tree.uses_calendars


def test_calendars_are_found_beside_the_tree_whatever_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    path = write(project)
    monkeypatch.chdir(tmp_path)
    assert set(load_tree(path).calendars) == {"support"}
    folder = write(project, TREE.replace("calendars/support.yaml", "calendars"))
    assert set(load_tree(folder).calendars) == {"support"}


def test_an_unknown_calendar_refuses_the_tree(tmp_path: Path) -> None:
    with pytest.raises(TreeError, match=r"unknown-calendar: no calendar named 'support'"):
        load_tree(write(tmp_path, TREE.replace("calendars: [calendars/support.yaml]\n", "")))


def test_a_tree_built_in_code_is_given_its_calendars() -> None:
    spec = load_spec_text()
    with pytest.raises(TreeError, match="unknown-calendar"):
        Tree(spec)
    tree = Tree(spec, calendars={"support": parse_calendar(CALENDAR)}, clock=at(OPEN_MOMENT))
    assert tree.answer(inbound()).reached[-1] == "menu"


def load_spec_text() -> TreeSpec:
    import yaml

    data = yaml.safe_load(TREE)
    del data["calendars"]
    return TreeSpec.model_validate(data)


def test_a_broken_calendar_file_refuses_the_tree_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(CalendarError) as caught:
        load_tree(write(tmp_path, calendar=CALENDAR.replace("09:00-17:00", "17:00-09:00")))
    assert "support.yaml: hours.mon-fri: '17:00-09:00' ends before it starts" in str(caught.value)


def test_two_calendars_of_one_name_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, TREE.replace("calendars/support.yaml", "calendars"))
    (tmp_path / "calendars" / "copy.yaml").write_text(CALENDAR, encoding="utf-8")
    with pytest.raises(CalendarError, match="'support' is used by .* too"):
        load_tree(path)


def test_a_calendar_change_is_a_new_version_of_the_tree(tmp_path: Path) -> None:
    before = load_tree(write(tmp_path)).version
    assert load_tree(write(tmp_path)).version == before
    changed = load_tree(write(tmp_path, calendar=CALENDAR.replace("2026-12-25", "2026-12-24")))
    assert changed.version != before


def test_a_condition_tests_one_thing() -> None:
    both = TREE.replace(
        "{calendar: support}",
        "{calendar: support, hours: {timezone: UTC, open: '09:00', close: '17:00'}}",
    )
    import yaml

    with pytest.raises(ValueError, match="exactly one of hours, calendar or a var"):
        TreeSpec.model_validate(yaml.safe_load(both))


def test_a_diagram_names_the_calendar_a_branch_asks(tmp_path: Path) -> None:
    from ivrkit.trees._diagram import render

    mermaid = render(load_tree(write(tmp_path)).spec, "mermaid")
    assert "on calendar support" in mermaid
    assert "support open" in mermaid


SPOKEN = """\
name: t
calendars: [calendars/support.yaml]
defaults: {language: en}
languages:
  en: {voice_profile: en-US-BenjaminRUS}
  da: {voice_profile: da-DK-Naja}
entry: closed
nodes:
  closed:
    hangup:
      say:
        en: "We are closed. We are open {hours:support}."
        da: "Vi har lukket. Vi har åbent {hours:support}."
"""


def test_a_prompt_speaks_the_calendars_hours_in_the_callers_language(tmp_path: Path) -> None:
    tree = load_tree(write(tmp_path, SPOKEN))
    english = tree.answer(inbound()).callflow.callflow[0].params.text
    assert english == "We are closed. We are open Monday to Friday, 9 AM to 5 PM."
    danish = tree.answer(inbound(), {"language": "da"}).callflow.callflow[0].params.text
    assert danish == "Vi har lukket. Vi har åbent mandag til fredag, 9 til 17."


def test_lint_knows_the_hours_placeholder(tmp_path: Path) -> None:
    from ivrkit.trees._lint import lint_text

    clean = write(tmp_path, SPOKEN)
    assert lint_text(clean.read_text(), source=str(clean)) == []
    typo = SPOKEN.replace('{hours:support}."\n        da', '{hours:suport}."\n        da')
    (issue,) = lint_text(typo, source=str(clean))
    assert (issue.code, issue.severity, issue.node) == ("unknown-calendar", "error", "closed")
    assert "{hours:suport}" in issue.message and "support" in issue.message
    with pytest.raises(TreeError, match="unknown-calendar"):
        load_tree(write(tmp_path, typo))
    japanese = SPOKEN.replace(
        "  da: {voice_profile: da-DK-Naja}", "  ja: {voice_profile: en-US-BenjaminRUS}"
    )
    japanese = japanese.replace('        da: "Vi', '        ja: "Vi')
    (warning,) = lint_text(japanese, source=str(clean))
    assert (warning.code, warning.severity) == ("hours-language", "warning")
    assert "'ja'" in warning.message
