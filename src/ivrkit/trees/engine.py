"""The tree engine: from a CALL_ACTION event (digits + `clientActionId`) to the next callflow.

The engine keeps no state between webhooks. Where the call is in the tree, and how many times the
current menu was replayed, travel in the `clientActionId` the platform echoes back, so any
replica can answer any webhook.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from ivrkit import wire
from ivrkit.trees.model import RETRY, Menu, Node, TreeSpec

MAX_CHAIN = 32
"""Most nodes one answer may pass through (say → play → menu ...); loops are refused at load."""

_STATE = re.compile(r"^(?P<node>[A-Za-z_][A-Za-z0-9_\-]{0,63})(?:#(?P<retries>\d{1,3}))?$")
_TEMPLATE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class Outcome(StrEnum):
    ANSWERED = "answered"
    """The digits were acted on in the menu the caller heard."""
    STALE = "stale-action-id"
    """The `clientActionId` names no node of this tree: the entry menu is played again."""
    INBOUND = "inbound"
    """A new inbound call (CALL_RECEIVED): the entry node starts."""


@dataclass(frozen=True)
class Decision:
    callflow: wire.Callflow
    node: str
    """The node whose callflow was answered (the last of the chain)."""
    outcome: Outcome
    note: str | None = None


@dataclass(frozen=True)
class Position:
    """Where a call is: the node it is in and how often that menu was replayed."""

    node: str
    retries: int = 0

    def encode(self) -> str:
        return self.node if self.retries == 0 else f"{self.node}#{self.retries}"

    @classmethod
    def decode(cls, text: str | None) -> Position | None:
        if not text:
            return None
        match = _STATE.match(text)
        if match is None:
            return None
        return cls(match["node"], int(match["retries"] or 0))


class Engine:
    """Answers events for one tree."""

    def __init__(self, spec: TreeSpec) -> None:
        self.spec = spec

    def decode_position(self, client_action_id: str) -> Position:
        """The position a `clientActionId` of this tree stands for (ValueError when none)."""
        position = Position.decode(client_action_id)
        if position is None or position.node not in self.spec.nodes:
            raise ValueError(f"{client_action_id!r} is not a position in tree {self.spec.name!r}")
        return position

    # -- the callflows -------------------------------------------------------------------------

    def initial_request(
        self, customer: str, *, caller_id: str | None = None, client_request_id: str | None = None
    ) -> wire.SendCallflowRequest:
        """The Send Callflow body of an outbound call: dial the customer, then the entry node."""
        source = caller_id or self.spec.numbers.get("caller_id")
        if not source:
            raise ValueError("the tree has no numbers.caller_id and no caller ID was given")
        actions, _ = self.render(Position(self.spec.entry), customer)
        request = wire.SendCallflowRequest(
            callflow=[
                wire.make_call(self.dial(customer), self.dial(self.fill(source, customer))),
                *actions,
            ]
        )
        if client_request_id is not None:
            request.client_request_id = client_request_id
        return request

    def entry_callflow(self, customer: str | None) -> wire.Callflow:
        """The entry node as a VCA answer (a new inbound call, or the safe fallback)."""
        actions, position = self.render(Position(self.spec.entry), customer)
        return self._callflow(actions, position)

    def answer(self, event: wire.CallActionEvent) -> Decision:
        """The next callflow for ``event``."""
        customer = customer_number(event)
        if event.is_new_inbound_call:
            return self._decide(Position(self.spec.entry), customer, Outcome.INBOUND)
        action_id = event.payload.client_action_id
        position = Position.decode(action_id) if action_id else Position(self.spec.entry)
        if position is None or position.node not in self.spec.nodes:
            note = f"clientActionId {action_id!r} names no node of tree {self.spec.name!r}"
            return self._decide(Position(self.spec.entry), customer, Outcome.STALE, note)
        node = self.spec.nodes[position.node]
        if node.menu is not None:
            return self._decide(self._route(node.menu, position, event.digits), customer)
        if node.transfer is not None:
            return self._decide(self._after(node.transfer.after), customer)
        # A say/play list that ran out of actions: carry on where it leads.
        return self._decide(self._after(self._next_of(node)), customer)

    def render(
        self, position: Position, customer: str | None
    ) -> tuple[list[wire.Action], Position | None]:
        """The actions of a node and the chain after it, and where the call will then be."""
        actions: list[wire.Action] = []
        seen = 0
        current: Position | None = position
        while current is not None:
            seen += 1
            if seen > MAX_CHAIN:
                raise ValueError(f"node {position.node!r} leads into a loop with no menu")
            node = self.spec.nodes[current.node]
            step, current, waits = self._actions_of(current, node, customer)
            actions.extend(step)
            if waits:
                return actions, current
        return actions, None

    # -- helpers -------------------------------------------------------------------------------

    def _decide(
        self,
        position: Position | None,
        customer: str | None,
        outcome: Outcome = Outcome.ANSWERED,
        note: str | None = None,
    ) -> Decision:
        if position is None:
            return Decision(wire.Callflow(callflow=[wire.hangup()]), "(hangup)", outcome, note)
        actions, where = self.render(position, customer)
        return Decision(self._callflow(actions, where), position.node, outcome, note)

    @staticmethod
    def _callflow(actions: list[wire.Action], position: Position | None) -> wire.Callflow:
        if position is None:
            return wire.Callflow(callflow=actions)
        return wire.Callflow(callflow=actions, client_action_id=position.encode())

    def _route(self, menu: Menu, position: Position, digits: str | None) -> Position | None:
        if digits and digits in menu.routes:
            return Position(menu.routes[digits])
        target = menu.on_no_input if not digits else menu.on_invalid
        if target != RETRY:
            return Position(target)
        retries = position.retries + 1
        if menu.max_retries is not None and retries > menu.max_retries:
            return Position(menu.on_max_retries) if menu.on_max_retries else None
        return Position(position.node, retries)

    @staticmethod
    def _after(name: str | None) -> Position | None:
        return Position(name) if name else None

    @staticmethod
    def _next_of(node: Node) -> str | None:
        if node.say is not None:
            return node.say.next
        if node.play is not None:
            return node.play.next
        return None

    def _actions_of(
        self, position: Position, node: Node, customer: str | None
    ) -> tuple[list[wire.Action], Position | None, bool]:
        """(actions, the position that follows, whether the call then waits for the platform)."""
        defaults = self.spec.defaults
        if node.menu is not None:
            menu = node.menu
            prompt = menu.prompt
            if position.retries and menu.retry_prompt:
                prompt = menu.retry_prompt
            params: dict[str, object] = {
                "prompt_message": self.fill(prompt, customer),
                "voice_profile": menu.voice_profile or defaults.voice_profile,
            }
            if defaults.repetition is not None:
                params["repetition"] = defaults.repetition
            if defaults.speed is not None:
                params["speed"] = defaults.speed
            params.update(menu.capture.model_dump(exclude_unset=True))
            capture = wire.SayAndCapture(params=wire.SayAndCaptureParams.model_validate(params))
            return [capture], position, True
        if node.say is not None:
            spoken = node.say
            say = wire.say(
                self.fill(spoken.text, customer),
                spoken.voice_profile or defaults.voice_profile,
                repetition=spoken.repetition if spoken.repetition else defaults.repetition,
                speed=spoken.speed if spoken.speed else defaults.speed,
            )
            if spoken.next is None:
                return [say, wire.hangup()], None, True
            return [say], Position(spoken.next), False
        if node.play is not None:
            play = wire.play_file(node.play.url, repetition=node.play.repetition)
            if node.play.next is None:
                return [play, wire.hangup()], None, True
            return [play], Position(node.play.next), False
        if node.transfer is not None:
            transfer = node.transfer
            bridge = wire.make_call(
                self.dial(self.fill(transfer.to, customer)),
                self.dial(self.fill(transfer.caller_id, customer)),
            )
            return [bridge], position, True
        if node.hangup is not None:
            goodbye: list[wire.Action] = []
            if node.hangup.say:
                goodbye.append(
                    wire.say(
                        self.fill(node.hangup.say, customer),
                        defaults.voice_profile,
                        speed=defaults.speed,
                        repetition=defaults.repetition,
                    )
                )
            return [*goodbye, wire.hangup()], None, True
        assert node.goto is not None
        return [], Position(node.goto.node), False

    def fill(self, template: str, customer: str | None) -> str:
        """Replace ``{customer}`` and ``{<number name>}`` in a text or number template."""

        def value(match: re.Match[str]) -> str:
            key = match[1]
            if key == "customer":
                return self.dial(customer) if customer else ""
            if key in self.spec.numbers:
                return self.spec.numbers[key]
            return match[0]

        return _TEMPLATE.sub(value, template)

    def dial(self, number: str) -> str:
        """Write a number in the tree's `dial_format`."""
        digits = number.strip()
        if self.spec.dial_format == "digits":
            return digits.removeprefix("+")
        return digits if digits.startswith("+") or not digits.isdigit() else f"+{digits}"


def customer_number(event: wire.CallActionEvent) -> str | None:
    """The customer's number: the callee of an outbound call, the caller of an inbound one."""
    payload = event.payload
    if (payload.call_direction or "").upper() == "INBOUND":
        return payload.source
    return payload.destination
