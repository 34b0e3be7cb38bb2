"""Filling a store with synthetic sessions, fast, for tests and the benchmark.

Each session is a caller walking a real tree: every answer is the tree's own (the server's
:class:`~ivrkit.server._answering.Answerer` and session update, memoised per node and digits, so
session variables and hooks play no part), and the rows are the ones the webhook server writes —
a delivery and a step per answer, the digits, the session, its summary — inserted in bulk, then
every ended session is folded into the analytics counters with the same computation as a real
summary (the counters of the whole fill are written at its end). Callers press a routed key
most of the time, sometimes a wrong key or nothing, and hang up now and then; a few calls are
busy or not answered.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert

from ivrkit import wire
from ivrkit.analytics._contribution import SessionFacts, Step, contribution
from ivrkit.analytics._folding import Tally, write_tally
from ivrkit.server._answering import Answered, Answerer
from ivrkit.server._store_writes import session_update
from ivrkit.server._treeset import TreeSet
from ivrkit.store import IN_PROGRESS, SessionUpdate, Store
from ivrkit.store import _convert as convert
from ivrkit.store import _schema as schema
from ivrkit.store._prepared import Prepared
from ivrkit.store._records import CALL_PLACED
from ivrkit.trees import Position, Tree, load_tree
from ivrkit.trees._context import CallContext

__all__ = ["FillResult", "fill"]

CHUNK = 2000
"""Sessions written per transaction."""
MAX_STEPS = 12
"""Most answers in one synthetic session (a caller who keeps pressing wrong keys gives up)."""


@dataclass(frozen=True)
class FillResult:
    sessions: int
    steps: int
    deliveries: int
    in_progress: int


@dataclass(frozen=True)
class _Walk:
    """What one answer does: the session update template and where the call then waits."""

    answered: Answered
    update: SessionUpdate
    waits: Position | None


def fill(
    store: Store,
    sessions: int,
    *,
    since: datetime,
    until: datetime,
    tree: Tree | None = None,
    seed: int = 0,
    in_progress: float = 0.0,
    customers: int = 50_000,
    deliveries: bool = True,
    prefix: str = "syn",
) -> FillResult:
    """Add ``sessions`` synthetic sessions of ``tree`` (default: the simple IVR) started in
    ``[since, until)``; ``in_progress`` is the fraction left without a summary. Deterministic
    for a given ``seed``; session ids are ``{prefix}-{seed}-{n}`` (give another prefix or seed
    to add more). ``deliveries=False`` skips the delivery rows (analytics does not read them)."""
    chosen = tree or load_tree("simple_ivr")
    walker = _Walker(chosen)
    rng = random.Random(seed)
    span = (until - since).total_seconds()
    total = _Totals()
    tally = Tally()
    statements: dict[str, Prepared] = {}
    for start in range(0, sessions, CHUNK):
        rows = _Rows()
        for number in range(start, min(sessions, start + CHUNK)):
            began = since + timedelta(seconds=rng.random() * span)
            walker.session(
                rows,
                rng,
                session_id=f"{prefix}-{seed}-{number}",
                customer=f"65{rng.randrange(customers):08d}",
                began=began,
                open_=rng.random() < in_progress,
            )
        with store.transaction() as conn:
            _write(conn, statements, rows, deliveries)
        _fold(tally, rows)
        total.add(rows, deliveries)
    # The counters of every ended session, written once at the end (far fewer rows than one
    # write per chunk; a fill that fails before it leaves sessions for a rebuild to fold).
    with store.transaction() as conn:
        write_tally(conn, tally)
    return FillResult(
        sessions=total.sessions,
        steps=total.steps,
        deliveries=total.deliveries,
        in_progress=total.in_progress,
    )


class _Totals:
    def __init__(self) -> None:
        self.sessions = self.steps = self.deliveries = self.in_progress = 0

    def add(self, rows: _Rows, deliveries: bool) -> None:
        self.sessions += len(rows.sessions)
        self.steps += len(rows.steps)
        self.deliveries += len(rows.deliveries) if deliveries else 0
        self.in_progress += sum(1 for s in rows.sessions if s["status"] == IN_PROGRESS)


class _Rows:
    def __init__(self) -> None:
        self.sessions: list[dict[str, Any]] = []
        self.steps: list[dict[str, Any]] = []
        self.digits: list[dict[str, Any]] = []
        self.deliveries: list[dict[str, Any]] = []
        self.summaries: list[dict[str, Any]] = []


class _Walker:
    def __init__(self, tree: Tree) -> None:
        self.tree = tree
        self.answerer = Answerer(TreeSet([tree]))
        self.walks: dict[tuple[str, str], _Walk] = {}
        reached: list[str] = []
        context = CallContext(customer="6500000000")
        _, where = tree.render(Position(tree.spec.entry), context, reached)
        self.first = where
        self.entry = " ".join(reached)

    def session(
        self,
        rows: _Rows,
        rng: random.Random,
        *,
        session_id: str,
        customer: str,
        began: datetime,
        open_: bool,
    ) -> None:
        at = began
        position = self.first
        status = "COMPLETED"
        label: str | None = None
        node: str | None = None
        count = 0
        placed = SessionUpdate(
            session_id,
            at=began,
            flow=self.tree.name,
            version=self.tree.version,
            route=CALL_PLACED,
            passed=self.entry,
        )
        self._step(rows, placed)
        if rng.random() < 0.04:  # the call never went through
            position = None
            status = rng.choice(["BUSY", "NO_ANSWER", "FAILED"])
        while position is not None and count < MAX_STEPS:
            at += timedelta(seconds=2 + rng.random() * 15)
            if rng.random() < 0.07:  # the caller hangs up while listening
                break
            digits = self._press(position, rng)
            walk = self._walk(position, digits)
            update = replace(walk.update, session_id=session_id, at=at, customer=customer)
            self._answer(rows, session_id, count, update, walk.answered)
            label = walk.answered.label or label
            node = walk.answered.node
            count += 1
            position = walk.waits
            if position is not None and self.tree.spec.nodes[position.node].transfer:
                at += timedelta(seconds=30 + rng.random() * 240)  # talking to the agent
                break
        ended = at + timedelta(seconds=1 + rng.random() * 4)
        rows.sessions.append(
            {
                "session_id": session_id,
                "status": IN_PROGRESS if open_ else status,
                "direction": "OUTBOUND",
                "sub_account_id": "synthetic",
                "customer": customer,
                "flow": self.tree.name,
                "node": node,
                "outcome": label,
                "started_at": began,
                "ended_at": None if open_ else ended,
                "call_count": 1,
                "updated_at": ended,
            }
        )
        if open_:
            return
        rows.summaries.append(
            {
                "session_id": session_id,
                "session_status": status,
                "received_at": ended,
                "payload": {"sessionId": session_id, "sessionStatus": status},
                "version": 1,
            }
        )
        rows.deliveries.append(_delivery(ended, session_id, None, "summary", "{}"))

    def _press(self, position: Position, rng: random.Random) -> str:
        node = self.tree.spec.nodes[position.node]
        draw = rng.random()
        if node.menu is not None:
            keys = sorted(node.menu.routes)
            if draw < 0.8 and keys:
                return rng.choice(keys)
            return "" if draw > 0.93 else "9" if "9" not in keys else "*"
        if node.collect is not None:
            return "" if draw > 0.95 else "1234"[: max(1, node.collect.min_digits)]
        return ""

    def _walk(self, position: Position, digits: str) -> _Walk:
        key = (position.encode(), digits)
        walk = self.walks.get(key)
        if walk is None:
            event = wire.CallActionEvent.model_validate(
                {
                    "eventType": "CALL_ACTION",
                    "payload": {
                        "eventId": "synthetic",
                        "sessionId": "synthetic",
                        "callId": "synthetic",
                        "callStatus": "CALL_CONNECTED",
                        "callDirection": "OUTBOUND",
                        "source": "6500000000",
                        "destination": "6500000001",
                        "clientActionId": position.encode(),
                        "dtmf": digits,
                    },
                }
            )
            answered = self.answerer.decide(event, self.tree)
            callflow = json.loads(answered.answer)
            waits = Position.decode(callflow.get("clientActionId"))
            walk = _Walk(answered, session_update(event, answered, self.tree), waits)
            self.walks[key] = walk
        return walk

    @staticmethod
    def _step(rows: _Rows, update: SessionUpdate) -> None:
        step = convert.step_values(update)
        if step is not None:
            rows.steps.append(step)

    @staticmethod
    def _answer(
        rows: _Rows, session_id: str, count: int, update: SessionUpdate, answered: Answered
    ) -> None:
        _Walker._step(rows, update)
        if update.digits:
            rows.digits.append(convert.digits_values(update))
        event_id = f"{session_id}-{count}"
        delivery = _delivery(update.at, session_id, event_id, answered.outcome, "")
        delivery["answer"] = answered.answer.decode()
        delivery["latency_ms"] = 1.0
        delivery["answered_event_id"] = event_id
        rows.deliveries.append(delivery)


def _delivery(
    at: datetime, session_id: str, event_id: str | None, outcome: str, answer: str
) -> dict[str, Any]:
    return {
        "channel": "vca" if event_id else "vss",
        "received_at": at,
        "body": f'{{"sessionId":"{session_id}"}}',
        "headers": {},
        "http_status": 200,
        "answer": answer,
        "outcome": outcome,
        "note": None,
        "event_id": event_id,
        "event_type": "CALL_ACTION" if event_id else "SESSION_SUMMARY",
        "session_id": session_id,
        "latency_ms": None,
        "answered_event_id": None,
    }


def _write(
    conn: Connection,
    statements: dict[str, Prepared],
    rows: _Rows,
    deliveries: bool,
) -> None:
    tables = [
        ("sessions", schema.sessions, rows.sessions),
        ("steps", schema.path_steps, rows.steps),
        ("digits", schema.session_digits, rows.digits),
        ("summaries", schema.summaries, rows.summaries),
    ]
    if deliveries:
        tables.append(("deliveries", schema.deliveries, rows.deliveries))
    for name, table, items in tables:
        if not items:
            continue
        prepared = statements.get(name)
        if prepared is None:
            prepared = Prepared(insert(table), conn.dialect, list(items[0]))
            statements[name] = prepared
        prepared.executemany(conn, items)


def _fold(tally: Tally, rows: _Rows) -> None:
    """Add the ended sessions of a chunk to ``tally``, from the rows in memory (no read back)."""
    steps: dict[str, list[Step]] = {}
    for step in rows.steps:
        steps.setdefault(step["session_id"], []).append(Step.from_row(step))
    for row in rows.sessions:
        if row["status"] == IN_PROGRESS:
            continue
        facts = SessionFacts(
            session_id=row["session_id"],
            status=row["status"],
            flow=row["flow"],
            started_at=row["started_at"],
            ended_at=row["ended_at"],
            label=row["outcome"],
            updated_at=row["updated_at"],
            customer=row["customer"],
        )
        item = contribution(facts, steps.get(row["session_id"], []))
        if item is not None:
            tally.add(item)
