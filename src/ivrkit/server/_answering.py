"""Deciding the answer to a CALL_ACTION: the tree's callflow, checked against the platform's
rules, or the tree's entry menu when anything goes wrong.

Answers that depend on the event alone are decided once and kept as bytes, per (tree version,
`clientActionId` — the node and its retry —, digits, call status and direction): who is calling
never enters the key. An answer that names the customer's number (a transfer with
``caller_id: "{customer}"``) is kept split where the number goes, and only the number is
written per call (:class:`Prepared`). Anything else (a tree that reads session variables,
calendars or hooks) is decided per event.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from ivrkit import rules, wire
from ivrkit.calendars import Switch
from ivrkit.rules._numbers import is_msisdn
from ivrkit.server._decode import CallActionFields
from ivrkit.server._treeset import TreeSet
from ivrkit.trees import Decision, Outcome, Position, RouteTaken, Tree

log = logging.getLogger("ivrkit.server")

CACHE_SIZE = 4096

PROBES = ("+6590000001", "+6590000002")
"""Two possible numbers an answer is decided for, to see whether and where it names the
customer (Singapore mobile numbers: possible MSISDNs, judged by the rules as a caller's are)."""
_NUMBER = re.compile(r"\+?[0-9]{1,15}")


@dataclass(frozen=True)
class Answered:
    answer: bytes
    """The callflow JSON sent to the platform."""
    outcome: str
    """answered, stale-action-id, or fallback (recorded with the delivery)."""
    node: str | None
    last_action: str | None
    note: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
    label: str | None = None
    """The outcome label the answer reached (:mod:`ivrkit._outcomes`)."""
    version: str | None = None
    """The version of the tree that answered (recorded with the delivery and the session)."""
    heard: Position | None = None
    routes: tuple[RouteTaken, ...] = ()
    reached: tuple[str, ...] = ()
    """Where the caller was, the routes taken and the nodes passed (:class:`Decision`)."""
    label_transfer: bool = False
    """Whether the node carrying ``label`` is a transfer."""
    step: dict[str, Any] = field(default_factory=dict)
    """The step fields of the session update (:func:`step_fields`), built once per answer (a
    cached answer serves many deliveries)."""


@dataclass(frozen=True)
class Prepared:
    """An answer decided before the caller is known: ``answered`` as it is for anyone, or, when
    it names the customer's number, ``parts`` to join with that number (written as the tree
    dials it). ``per_call``: the answer cannot be prepared; decide it for every event."""

    answered: Answered | None
    parts: tuple[bytes, ...] | None = None
    plus: bool = False
    """Whether the tree dials numbers with a leading ``+`` (the number written must, too)."""

    @property
    def per_call(self) -> bool:
        return self.answered is None


PER_CALL = Prepared(None)


class Answerer:
    def __init__(self, trees: TreeSet, platform: rules.Platform | None = None) -> None:
        self.trees = trees
        self._platform = platform
        self._checked = lru_cache(maxsize=CACHE_SIZE)(self._check)
        self._prepared: OrderedDict[tuple[object, ...], Prepared] = OrderedDict()
        self._lock = threading.Lock()
        # A caller ID list makes the number written part of the rules' verdict: decide per call.
        self._numbers_free = platform is None or platform.allowed_sources is None

    def prepares(self, tree: Tree) -> bool:
        """Whether ``tree``'s answers depend on the event alone (so :meth:`decide_fields` can
        answer from prepared bytes)."""
        return not (tree.reads_variables or tree.uses_calendars or tree.uses_hooks)

    def decide_fields(
        self,
        fields: CallActionFields,
        tree: Tree,
        note: str | None,
        event: Callable[[], wire.CallActionEvent],
    ) -> Answered:
        """:meth:`decide` for a tree that :meth:`prepares` its answers, from the fields of the
        event: the prepared answer, with the customer's number written in where it goes.
        ``event`` builds the full event when the answer must be decided for this one."""
        key = (
            tree,
            fields.client_action_id,
            fields.digits,
            fields.call_status,
            fields.call_direction,
            note,
        )
        prepared = self._prepared.get(key)
        if prepared is None:
            prepared = self._prepare(fields, tree, note)
            with self._lock:
                self._prepared[key] = prepared
                if len(self._prepared) > CACHE_SIZE:
                    self._prepared.popitem(last=False)
        answered = prepared.answered
        if answered is None:
            return self._decide(event(), tree, {}, note, None)
        parts = prepared.parts
        if parts is None:
            return answered
        number = tree.dial(fields.customer or "")
        if (
            _NUMBER.fullmatch(number) is None
            or number.startswith("+") != prepared.plus
            or tree.dial(number) != number
            or not is_msisdn(number)
        ):
            return self._decide(event(), tree, {}, note, None)
        return replace(answered, answer=(b'"%s"' % number.encode()).join(parts))

    def _prepare(self, fields: CallActionFields, tree: Tree, note: str | None) -> Prepared:
        """Decide the event's answer for two probe customers; keep it when they agree, or when
        they differ only in the customer's number, written as a whole JSON string."""
        inbound = (fields.call_direction or "").upper() == "INBOUND"
        decided = []
        for probe in PROBES:
            payload: dict[str, object] = {
                "eventId": fields.event_id,
                "sessionId": fields.session_id,
                "callStatus": fields.call_status,
                "clientActionId": fields.client_action_id,
                "callDirection": fields.call_direction,
                "source": probe if inbound else fields.source,
                "destination": fields.destination if inbound else probe,
            }
            if fields.digits is not None:
                payload["eventData"] = {"dtmf": fields.digits}
            probed = wire.CallActionEvent.model_validate(
                {"eventType": "CALL_ACTION", "payload": payload}
            )
            answered = self._decide(probed, tree, {}, note, None)
            if answered.outcome == "fallback":
                return PER_CALL
            decided.append(answered)
        first, second = decided
        if replace(first, answer=b"") != replace(second, answer=b""):
            return PER_CALL  # the number changed more than the answer's bytes
        if first.answer == second.answer:
            return Prepared(first)
        one, two = (b'"' + tree.dial(probe).encode() + b'"' for probe in PROBES)
        parts = tuple(first.answer.split(one))
        if len(parts) < 2 or two.join(parts) != second.answer or not self._numbers_free:
            return PER_CALL
        return Prepared(first, parts, plus=one.startswith(b'"+'))

    def decide(
        self,
        event: wire.CallActionEvent,
        tree: Tree,
        variables: dict[str, str] | None = None,
        note: str | None = None,
        switches: Mapping[str, Switch] | None = None,
    ) -> Answered:
        """The answer to ``event`` from ``tree``, obeying the calendars' emergency ``switches``
        that are on; never raises."""
        if self.prepares(tree):
            return self.decide_fields(CallActionFields.of_event(event), tree, note, lambda: event)
        return self._decide(event, tree, variables or {}, note, switches)

    def _decide(
        self,
        event: wire.CallActionEvent,
        tree: Tree,
        variables: dict[str, str],
        note: str | None,
        switches: Mapping[str, Switch] | None,
    ) -> Answered:
        try:
            decision = tree.answer(event, variables, switches=switches)
            answer = self._checked(decision.callflow.to_json())
        except Exception as exc:  # noqa: BLE001 - the caller must still hear the menu
            log.exception(
                "could not answer event %s; answering the entry menu", event.payload.event_id
            )
            return Answered(
                self.trees.fallback(tree),
                "fallback",
                None,
                None,
                f"answering the entry menu after: {exc}",
                version=self.trees.current_version(tree),
            )
        outcome = "stale-action-id" if decision.outcome is Outcome.STALE else "answered"
        on_transfer = _label_on_transfer(tree, decision)
        return Answered(
            answer,
            outcome,
            decision.node,
            decision.callflow.callflow[-1].last_action,
            "; ".join(filter(None, [note, decision.note])) or None,
            decision.variables,
            decision.label,
            version=tree.version,
            heard=decision.heard,
            routes=decision.routes,
            reached=decision.reached,
            label_transfer=on_transfer,
            step=step_fields(tree.version, decision, on_transfer),
        )

    def _check(self, answer_json: str) -> bytes:
        verdict = rules.validate(answer_json, mode=rules.Mode.ANSWER, platform=self._platform)
        if not verdict.ok:
            raise ValueError(f"the tree's answer is refused: {rules.describe(verdict)}")
        return answer_json.encode()


def _label_on_transfer(tree: Tree, decision: Decision) -> bool:
    """Whether the node that gave the answer its outcome label is a transfer."""
    if decision.label is None:
        return False
    nodes = tree.spec.nodes
    for name in reversed(decision.reached):
        if nodes[name].outcome is not None:
            return nodes[name].transfer is not None
    return False


def step_fields(version: str, decision: Decision, label_transfer: bool) -> dict[str, Any]:
    """The step fields of a session update (path analytics): where the caller was, the route
    taken from there, the nodes passed and the routes after the first."""
    routes = decision.routes
    heard = decision.heard
    first = routes[0] if heard is not None and routes and routes[0].node == heard.node else None
    more = routes[1:] if first is not None else routes
    return {
        "version": version,
        "heard": heard.node if heard is not None else None,
        "replay": heard.retries if heard is not None else 0,
        "route": str(first.kind) if first is not None else None,
        "route_value": first.value if first is not None else None,
        "led_to": first.to if first is not None else None,
        "passed": " ".join(decision.reached),
        "more_routes": (
            json.dumps([[r.node, str(r.kind), r.value, r.to] for r in more]) if more else None
        ),
        "label_transfer": label_transfer,
    }
