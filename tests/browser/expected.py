"""The figures the dashboard must show, computed from the simulator's own record of each call (its
transcript: callflows judged, webhooks sent and answered, legs, keys), never from ivrkit's store.

Only the simple IVR's menu is known here (flows/simple_ivr.yaml): the entry menu ``main`` routes
1 to ``resolved`` (the IVR hangs up: a self-service ending) and 2 to ``agent`` (a transfer);
any other key, or none, replays ``main``.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ivrkit.simulator import SessionView
from ivrkit.simulator._calls.transcript import CallflowReceived, LegChanged, WebhookSent

ENTRY = "main"
ROUTES = {"1": "resolved", "2": "agent"}
CONTAINED = frozenset({"resolved"})
TRANSFERRED = frozenset({"agent"})
END = "(end)"


def _node(client_action_id: str | None) -> str:
    """The tree node a CALL_ACTION came from: ivrkit's clientActionId is the node's name, with
    ``#n`` counting replays; the entry menu of a callback carries none."""
    if not client_action_id:
        return ENTRY
    return client_action_id.split("#", 1)[0]


def _actions(callflow: Any) -> list[dict[str, Any]]:
    if isinstance(callflow, dict):
        callflow = callflow.get("callflow", [])
    return [action for action in callflow or [] if isinstance(action, dict)]


@dataclass(frozen=True)
class Exchange:
    """One CALL_ACTION the platform delivered (first time) and what the backend answered."""

    node: str
    digits: str
    elapsed_ms: float
    """The simulator's measure of the round trip that got the answer."""


@dataclass(frozen=True)
class CallFacts:
    """What the simulator saw of one call."""

    session_id: str
    number: str
    status: str
    """The summary's sessionStatus."""
    started: datetime
    answered: bool
    exchanges: tuple[Exchange, ...]
    menu_visits: int
    """Callflows with a sayAndCapture the caller heard (the request's, then each answer's)."""
    bridged: bool
    ivr_hung_up: bool
    prompts: tuple[str, ...]
    """Texts of the prompts and says in the backend's answers, in order."""
    answers: int
    webhooks: int
    """Deliveries (one per event) the backend answered with 200, summary included."""
    legs: int

    @property
    def last_node(self) -> str:
        """Where the caller was when the call ended."""
        node = ENTRY
        for exchange in self.exchanges:
            node = ROUTES.get(exchange.digits, node)
        return node

    @property
    def category(self) -> str:
        if not self.answered:
            return "failed"
        node = self.last_node
        if node in TRANSFERRED:
            return "transferred"
        if node in CONTAINED:
            return "contained"
        return "abandoned"

    @property
    def outcome(self) -> str:
        """The outcome label the dashboard files the session under."""
        node = self.last_node
        if not self.answered:
            return self.status.lower().replace("_", "-")
        if node != ENTRY:
            return node
        return "hung-up" if any(e.digits for e in self.exchanges) else "no-input"

    @property
    def hung_up_at_first_prompt(self) -> bool:
        """Answered, then gone before the first menu asked anything of the platform."""
        return self.answered and not self.exchanges and not self.ivr_hung_up

    @property
    def digits(self) -> list[str]:
        return [e.digits for e in self.exchanges if e.digits]

    @property
    def last_four(self) -> str:
        return re.sub(r"\D", "", self.number)[-4:]


def facts(view: SessionView) -> CallFacts:
    """The facts of one ended call from its simulator transcript."""
    assert view.summary is not None, f"session {view.session_id} has no summary yet"
    seen: set[str] = set()
    exchanges: list[Exchange] = []
    webhooks = 0
    answered = bridged = hung_up_by_ivr = False
    menu_visits = answers = 0
    prompts: list[str] = []
    for entry in view.entries:
        if isinstance(entry, LegChanged):
            answered |= entry.leg == "callA" and entry.event == "answered"
            bridged |= entry.leg == "callB" and entry.event == "bridged"
        elif isinstance(entry, WebhookSent) and entry.status == 200 and entry.event_id not in seen:
            seen.add(entry.event_id)
            webhooks += 1
            if entry.type == "VCA":
                payload = entry.body.get("payload", {})
                event_data = payload.get("eventData") or {}
                exchanges.append(
                    Exchange(
                        node=_node(payload.get("clientActionId")),
                        digits=event_data.get("dtmf") or "",
                        elapsed_ms=entry.elapsed_ms,
                    )
                )
        elif isinstance(entry, CallflowReceived) and entry.status_code == 1:
            actions = _actions(entry.callflow)
            names = [action.get("action") for action in actions]
            if entry.origin == "answer":
                answers += 1
                hung_up_by_ivr |= "hangup" in names
                for action in actions:
                    params = action.get("params") or {}
                    text = params.get("promptMessage") or params.get("text")
                    if text:
                        prompts.append(str(text))
            if "sayAndCapture" in names:
                menu_visits += 1
    summary = view.summary.payload
    return CallFacts(
        session_id=view.session_id,
        number=view.caller,
        status=summary.session_status,
        started=datetime.fromisoformat(view.started_at.replace("Z", "+00:00")),
        answered=answered,
        exchanges=tuple(exchanges),
        menu_visits=menu_visits if answered else 0,
        bridged=bridged,
        ivr_hung_up=hung_up_by_ivr,
        prompts=tuple(prompts),
        answers=answers,
        webhooks=webhooks,
        legs=len(summary.legs),
    )


@dataclass
class NodeFigures:
    reached: int = 0
    visits: int = 0
    dropped: int = 0
    invalid: int = 0
    no_input: int = 0
    retries: int = 0
    keys: Counter[str] = field(default_factory=Counter)

    def cells(self) -> dict[str, str]:
        """The node table's cells (``data-field`` → text) these figures fill."""
        cells = {
            "reached": self.reached,
            "visits": self.visits,
            "dropped": self.dropped,
            "invalid": self.invalid,
            "no_input": self.no_input,
            "retries": self.retries,
        }
        cells.update({f"key:{key}": count for key, count in sorted(self.keys.items())})
        return {name: str(value) for name, value in cells.items()}


@dataclass(frozen=True)
class Expected:
    """Everything the dashboard should show about a set of ended calls."""

    calls: tuple[CallFacts, ...]

    @classmethod
    def of(cls, views: list[SessionView]) -> Expected:
        return cls(tuple(facts(view) for view in views))

    def count(self, category: str) -> int:
        return sum(1 for call in self.calls if call.category == category)

    @property
    def sessions(self) -> int:
        return len(self.calls)

    def rate(self, category: str) -> str:
        """A rate as the overview prints it: over ended sessions, one decimal, e.g. "37.5%"."""
        ended = self.sessions
        return f"{100 * self.count(category) / ended:.1f}%" if ended else "0.0%"

    @property
    def window(self) -> tuple[date, date]:
        """The UTC days of the first and the last call: as ``since`` and ``until`` the dashboard
        takes both whole, so the range holds every call whatever the time of day."""
        days = [call.started.date() for call in self.calls]
        return min(days), max(days)

    def nodes(self, *, first_prompt_hangups: bool = True) -> dict[str, NodeFigures]:
        """Each node's figures; ``first_prompt_hangups=False`` leaves out the callers who hung up
        during the entry menu's first prompt (they sent no CALL_ACTION)."""
        figures: dict[str, NodeFigures] = {}
        for call in self.calls:
            if not call.answered or (not first_prompt_hangups and call.hung_up_at_first_prompt):
                continue
            menu = figures.setdefault(ENTRY, NodeFigures())
            menu.reached += 1
            menu.visits += call.menu_visits
            menu.retries += call.menu_visits - 1
            for exchange in call.exchanges:
                target = ROUTES.get(exchange.digits)
                if target is not None:
                    menu.keys[exchange.digits] += 1
                    figures.setdefault(target, NodeFigures()).reached += 1
                    figures[target].visits += 1
                elif exchange.digits:
                    menu.invalid += 1
                else:
                    menu.no_input += 1
            if call.category == "abandoned":
                figures.setdefault(call.last_node, NodeFigures()).dropped += 1
        return figures

    def edges(self) -> Counter[tuple[str, str]]:
        """Transitions between nodes (replays of the menu included)."""
        edges: Counter[tuple[str, str]] = Counter()
        for call in self.calls:
            for exchange in call.exchanges:
                edges[(exchange.node, ROUTES.get(exchange.digits, exchange.node))] += 1
        return edges

    def where(self, **wanted: str) -> list[CallFacts]:
        """The calls whose attributes (status, outcome, category, number) equal ``wanted``."""
        return [
            call
            for call in self.calls
            if all(str(getattr(call, name)) == value for name, value in wanted.items())
        ]

    def call(self, number: str) -> CallFacts:
        (found,) = [call for call in self.calls if call.number == number]
        return found


def describe(expected: Expected) -> str:
    """The expected figures as text, for a failing test's message."""
    rows = [
        {"session": c.session_id, "number": c.number, "category": c.category, "keys": c.digits}
        for c in expected.calls
    ]
    return json.dumps(rows, indent=1)
