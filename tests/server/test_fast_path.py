"""The webhook path's fast parts agree with the full ones: the fields decoded from a body are the
full model's, and an answer prepared before the caller is known is byte for byte the answer the
tree gives that caller."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ivrkit import wire
from ivrkit.server._answering import Answerer
from ivrkit.server._decode import CallActionFields, call_action_fields
from ivrkit.server._treeset import TreeSet
from ivrkit.trees import load_tree, parse_tree

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "fixtures"
SLOTS = CallActionFields.__slots__


def _same(one: CallActionFields, two: CallActionFields) -> bool:
    return all(getattr(one, name) == getattr(two, name) for name in SLOTS)


@pytest.mark.parametrize(
    "name", sorted(p.name for p in FIXTURES.glob("vca_*.json") if "response" not in p.name)
)
def test_the_fields_of_every_recorded_call_action_are_the_full_models(name: str) -> None:
    body = (FIXTURES / name).read_bytes()
    event = wire.parse_event(body)
    fields = call_action_fields(body)
    assert isinstance(event, wire.CallActionEvent)
    assert fields is not None
    assert _same(fields, CallActionFields.of_event(event))


def _body(**payload: object) -> bytes:
    base: dict[str, object] = {
        "eventId": "e1",
        "sessionId": "s1",
        "callStatus": "ACTION_COMPLETED",
        "callDirection": "OUTBOUND",
        "source": "+6561115777",
        "destination": "+6598888888",
        "clientActionId": "main",
        "eventData": {"dtmf": "2"},
    }
    base.update(payload)
    return json.dumps({"eventType": "CALL_ACTION", "payload": base}).encode()


@pytest.mark.parametrize(
    "body",
    [
        _body(sipCode="200"),  # the full model coerces it; the fast decoder leaves it to it
        _body(eventId=""),  # refused by both
        _body(eventData="7"),
        _body(eventData={"dtmf": 7}),
        b'{"eventType": "SESSION_SUMMARY", "payload": {}}',
        b"[1, 2]",
        b"\xff\xfe",
    ],
)
def test_what_the_fast_decoder_takes_the_full_model_takes_too(body: bytes) -> None:
    fields = call_action_fields(body)
    if fields is not None:
        event = wire.parse_event(body)
        assert isinstance(event, wire.CallActionEvent)
        assert _same(fields, CallActionFields.of_event(event))


def test_digits_come_from_event_data_else_from_the_legacy_field() -> None:
    legacy = call_action_fields(_body(eventData=None, dtmf="5"))
    assert legacy is not None and legacy.digits == "5"
    both = call_action_fields(_body(eventData={"dtmf": "3"}, dtmf="5"))
    assert both is not None and both.digits == "3"
    unset = call_action_fields(_body(eventData={}, dtmf="5"))
    assert unset is not None and unset.digits == "5"


TRANSFER_IN_TEXT = """
name: spoken
entry: main
dial_format: e164
numbers: {caller_id: "6561115777", agent: "6561115777"}
nodes:
  main:
    menu:
      prompt: "Press 1 to hear your number, 2 for an agent"
      routes: {"1": spoken, "2": agent}
  spoken: {say: {text: "You are calling from {customer}"}}
  agent:
    transfer: {to: "{agent}", caller_id: "{customer}"}
"""


@pytest.mark.parametrize("tree_text", [None, TRANSFER_IN_TEXT])
@pytest.mark.parametrize("digits", ["1", "2", "3", None])
@pytest.mark.parametrize("direction", ["OUTBOUND", "INBOUND"])
def test_a_prepared_answer_is_the_trees_answer_for_every_caller(
    tree_text: str | None, digits: str | None, direction: str
) -> None:
    tree = load_tree() if tree_text is None else parse_tree(tree_text)
    answerer = Answerer(TreeSet([tree]))
    assert answerer.prepares(tree)
    callers = ["+6598888888", "6591234567", "+14155550123", "+6590000001", "12", "", "anonymous"]
    for number, caller in enumerate(callers):
        data = {"eventData": {"dtmf": digits}} if digits is not None else {"eventData": None}
        ends = {"source": caller} if direction == "INBOUND" else {"destination": caller}
        body = _body(eventId=f"e{number}", callDirection=direction, **data, **ends)
        event = wire.parse_event(body)
        assert isinstance(event, wire.CallActionEvent)
        fields = call_action_fields(body)
        assert fields is not None
        prepared = answerer.decide_fields(fields, tree, None, lambda event=event: event)
        decided = Answerer(TreeSet([tree]))._decide(event, tree, {}, None, None)
        assert prepared == decided, caller
    # Who is calling is never part of what was prepared.
    assert len(answerer._prepared) == 1
