"""A recorded caller, read back from the store: keys per capture, silences, hang-ups, path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ivrkit.replay._behaviour import CallerBehaviour, behaviour_of, path_step
from ivrkit.replay._recorded import recorded_sessions
from ivrkit.simulator import Answer
from ivrkit.store import Store, open_store
from tests.replay.recording import ASK, BRIDGE, HANG_UP, Step, record_call


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path / 'ivrkit.db'}")
    try:
        yield opened
    finally:
        opened.close()


def read(store: Store) -> CallerBehaviour:
    (recorded,) = recorded_sessions(store)
    return behaviour_of(recorded)


def test_keys_at_each_capture_and_the_path(store: Store) -> None:
    record_call(
        store,
        "s1",
        [Step(None, "9", ASK), Step("main#1", "1", HANG_UP, node="resolved", label="resolved")],
    )
    caller = read(store)
    assert caller.entries == ("9", "1")
    assert caller.path == ("(entry)", "main#1", "resolved")
    assert (caller.direction, caller.outcome, caller.answer) == ("OUTBOUND", "resolved", Answer.YES)


def test_a_silence_is_an_empty_entry(store: Store) -> None:
    record_call(store, "s1", [Step(None, None, ASK), Step("main#1", "1", HANG_UP)])
    assert read(store).entries == ("", "1")


def test_the_event_after_a_transfer_is_not_an_answer_of_the_caller(store: Store) -> None:
    record_call(
        store,
        "s1",
        [
            Step(None, "2", BRIDGE, node="agent", label="agent"),
            Step("agent", None, HANG_UP, node="(hangup)"),
        ],
    )
    caller = read(store)
    assert caller.entries == ("2",)
    assert caller.path == ("(entry)", "agent", "(hangup)")
    assert caller.outcome == "agent"


def test_an_inbound_call_keeps_its_number_and_skips_call_received(store: Store) -> None:
    record_call(store, "s1", [Step("main", "1", HANG_UP, node="resolved")], inbound=True)
    caller = read(store)
    assert (caller.direction, caller.virtual_number) == ("INBOUND", "+65987654321")
    assert caller.entries == ("1",)
    assert caller.path == ("main", "resolved")


def test_a_busy_customer_is_replayed_busy(store: Store) -> None:
    record_call(store, "s1", [], status="BUSY")
    caller = read(store)
    assert (caller.answer, caller.entries, caller.outcome) == (Answer.BUSY, (), "busy")


def test_path_steps_decode_positions() -> None:
    assert path_step(None) == "(entry)"
    assert path_step("main#2") == "main#2"
    assert path_step("main#0") == "main"
    assert path_step("no such thing!") == "no such thing!"
