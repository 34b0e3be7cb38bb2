"""Deciding the answer to a CALL_ACTION: the tree's callflow, checked against the platform's
rules, or the tree's entry menu when anything goes wrong. Stateless trees' answers are cached."""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ivrkit import rules, wire
from ivrkit.server.treeset import TreeSet
from ivrkit.trees import Decision, Outcome, Position, RouteTaken, Tree

log = logging.getLogger("ivrkit.server")

CACHE_SIZE = 4096


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
    """The outcome label the answer reached (:mod:`ivrkit.outcomes`)."""
    version: str | None = None
    """The version of the tree that decided (None: the fallback answered)."""
    heard: Position | None = None
    routes: tuple[RouteTaken, ...] = ()
    reached: tuple[str, ...] = ()
    """Where the caller was, the routes taken and the nodes passed (:class:`Decision`)."""
    label_transfer: bool = False
    """Whether the node carrying ``label`` is a transfer."""
    step: dict[str, Any] = field(default_factory=dict)
    """The step fields of the session update (:func:`step_fields`), built once per answer (a
    cached answer serves many deliveries)."""


class Answerer:
    def __init__(self, trees: TreeSet, platform: rules.Platform | None = None) -> None:
        self.trees = trees
        self._platform = platform
        self._checked = lru_cache(maxsize=CACHE_SIZE)(self._check)
        self._cache: OrderedDict[tuple[object, ...], Answered] = OrderedDict()
        self._lock = threading.Lock()

    def decide(
        self,
        event: wire.CallActionEvent,
        tree: Tree,
        variables: dict[str, str] | None = None,
        note: str | None = None,
    ) -> Answered:
        """The answer to ``event`` from ``tree``; never raises."""
        key: tuple[object, ...] | None = None
        if not tree.uses_variables:
            payload = event.payload
            # The tree itself, not id(tree): a reloaded tree's address may be reused by its
            # successor, which would then be answered from the old tree's entries.
            key = (
                tree,
                payload.client_action_id,
                event.digits,
                payload.call_status,
                payload.call_direction,
                payload.source,
                payload.destination,
                note,
            )
            with self._lock:
                cached = self._cache.get(key)
                if cached is not None:
                    self._cache.move_to_end(key)
                    return cached
        answered = self._decide(event, tree, variables or {}, note)
        if key is not None and answered.outcome != "fallback":
            with self._lock:
                self._cache[key] = answered
                if len(self._cache) > CACHE_SIZE:
                    self._cache.popitem(last=False)
        return answered

    def _decide(
        self, event: wire.CallActionEvent, tree: Tree, variables: dict[str, str], note: str | None
    ) -> Answered:
        try:
            decision = tree.answer(event, variables)
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
