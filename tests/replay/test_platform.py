"""Recorded callers played again against a tree, in process, through the server's answering."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from ivrkit.replay import CallerBehaviour, replay_callers
from ivrkit.replay._platform import run_replay
from ivrkit.simulator._account.phones import Answer
from ivrkit.trees import Engine, Tree, load_tree, parse_spec, parse_tree
from ivrkit.trees._loader import builtin_path

MONDAY_10_SGT = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
SATURDAY_10_SGT = datetime(2026, 1, 3, 2, 0, tzinfo=UTC)


def caller(
    *entries: str,
    session_id: str = "s1",
    outcome: str | None = "resolved",
    direction: str = "OUTBOUND",
    answer: Answer = Answer.YES,
    started_at: datetime = MONDAY_10_SGT,
    path: tuple[str, ...] = ("(entry)", "resolved"),
) -> CallerBehaviour:
    return CallerBehaviour(
        session_id=session_id,
        direction=direction,
        customer="+6512345678",
        virtual_number="+6561115777" if direction == "INBOUND" else None,
        started_at=started_at,
        answer=answer,
        entries=entries,
        outcome=outcome,
        path=path,
    )


def simple(**replace: str) -> Tree:
    text = builtin_path("simple_ivr").read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    return parse_tree(text)


def test_the_same_tree_gives_the_same_outcomes_and_paths() -> None:
    tree = load_tree()
    played = run_replay(tree, [caller("1"), caller("2"), caller("9", "1")])
    assert [(r.outcome, r.path, r.status) for r in played] == [
        ("resolved", ("(entry)", "resolved"), "COMPLETED"),
        ("agent", ("(entry)", "agent", "(hangup)"), "COMPLETED"),
        ("resolved", ("(entry)", "main#1", "resolved"), "COMPLETED"),
    ]


def test_a_caller_silent_at_every_try_is_one_capture_then_hangs_up() -> None:
    """`no_of_tries: 2`: one recorded silence covers both tries of the capture; the recording
    then runs out, so the caller hangs up during the retry's prompt."""
    (played,) = run_replay(load_tree(), [caller("")])
    assert played.path == ("(entry)", "main")
    assert (played.outcome, played.status) == ("no-input", "COMPLETED")


def test_keys_that_no_longer_fit_are_pressed_where_the_capture_now_is() -> None:
    """Key 2 no longer has a route: the caller presses it, hears the menu again, and, the
    recording being over, hangs up."""
    tree = simple(**{'"2": agent': '"3": agent'})
    (played,) = run_replay(tree, [caller("2", outcome="agent")])
    assert played.path == ("(entry)", "main")
    assert played.outcome == "hung-up"


def test_a_recorded_hang_up_happens_at_the_same_capture() -> None:
    """A caller who pressed 9, heard the menu again and hung up: the replay hangs up during
    the second capture too (the last answer was the menu again: its node is `main`)."""
    (played,) = run_replay(load_tree(), [caller("9", outcome="hung-up")])
    assert played.path == ("(entry)", "main")
    assert played.outcome == "hung-up"


def test_every_try_of_a_capture_gets_the_same_keys() -> None:
    """A capture that refuses two digits (its own `min_digits`, sent to the platform): the
    caller enters them again at the second try, so the platform reports no valid entry once,
    not a shift of the recording."""
    tree = parse_tree(
        """
name: booking
numbers: {caller_id: "6561115777"}
entry: ask
nodes:
  ask:
    collect:
      prompt: Enter your four-digit booking number.
      variable: booking
      min_digits: 4
      max_digits: 4
      next: thanks
      on_no_input: sorry
      capture: {min_digits: 4, no_of_tries: 2}
  thanks: {hangup: {say: Thank you.}, outcome: booked}
  sorry: {hangup: {say: Sorry.}, outcome: failed-entry}
"""
    )
    (played,) = run_replay(tree, [caller("12", "1234")])
    assert played.path == ("(entry)", "sorry")
    assert played.outcome == "failed-entry"


def test_calls_that_never_connected_are_replayed_as_such() -> None:
    played = run_replay(load_tree(), [caller(answer=Answer.BUSY, outcome="busy", path=("(none)",))])
    assert [(r.outcome, r.path, r.status) for r in played] == [("busy", ("(none)",), "BUSY")]


def test_an_inbound_call_is_replayed_as_an_inbound_call() -> None:
    (played,) = run_replay(load_tree(), [caller("1", direction="INBOUND")])
    assert played.path == ("main", "resolved")
    assert played.outcome == "resolved"


HOURS_TREE = """
name: hours
numbers: {caller_id: "6561115777"}
entry: open
nodes:
  open:
    branch:
      cases:
        - if: {hours: {timezone: Asia/Singapore, days: mon-fri, open: "09:00", close: "18:00"}}
          to: main
      else: closed
  main:
    menu:
      prompt: Press one.
      routes: {"1": done}
  done: {hangup: {}, outcome: resolved}
  closed: {hangup: {say: We are closed.}, outcome: closed}
"""


@pytest.mark.parametrize(
    ("started", "expected"), [(MONDAY_10_SGT, "resolved"), (SATURDAY_10_SGT, "closed")]
)
def test_business_hours_are_those_of_the_recorded_call(started: datetime, expected: str) -> None:
    recorded = caller("1", started_at=started, direction="INBOUND")
    (played,) = run_replay(parse_tree(HOURS_TREE), [recorded])
    assert played.outcome == expected


def test_the_report_is_the_same_bytes_for_the_same_input() -> None:
    tree = simple(**{'"2": agent': '"2": resolved\n        "3": agent'})
    callers = [
        caller("1", session_id="a"),
        caller("2", session_id="b", outcome="agent", path=("(entry)", "agent", "(hangup)")),
        caller("9", "1", session_id="c", path=("(entry)", "main#1", "resolved")),
        caller("2", session_id="d", outcome="agent", path=("(entry)", "agent")),
    ]
    first = replay_callers(tree, callers)
    assert json.dumps(first.to_json()) == json.dumps(replay_callers(tree, callers).to_json())
    assert first.changed == 2
    assert [(c.old, c.new, c.sessions, c.examples) for c in first.cells] == [
        ("agent", "resolved", 2, ("b", "d")),
        ("resolved", "resolved", 2, ("a", "c")),
    ]
    assert first.cells[0].diverged_at == (("main", 2),)
    assert [(c.session_id, c.diverged_at, c.old_next, c.new_next) for c in first.changes] == [
        ("b", "main", "agent", "resolved"),
        ("d", "main", "agent", "resolved"),
    ]


def test_a_tree_that_cannot_answer_gets_the_servers_fallback() -> None:
    """Two gotos in a loop after the first key (a tree the checker refuses, given to the engine
    as it is): the server answers the entry menu when the tree fails, and so does the replay;
    the caller, out of keys, hangs up there."""
    tree = Engine(
        parse_spec(
            """
name: loop
numbers: {caller_id: "6561115777"}
entry: main
nodes:
  main:
    menu: {prompt: Press one., routes: {"1": a}}
  a: {goto: b}
  b: {goto: a}
"""
        )[0]
    )
    first, second = run_replay(tree, [caller("1"), caller("", outcome="no-input")])
    assert first.status == "COMPLETED"
    assert first.error is None
    assert b"Press one." in first.answers[0]
    assert first.path == ("(entry)", "(none)")  # the fallback answers from no node
    assert first.outcome == "hung-up"
    assert (second.status, second.outcome) == ("COMPLETED", "no-input")
