"""``make bench``, replay: how many recorded sessions ``ivrkit replay`` plays again per second.

A SQLite store is filled with sessions recorded as ``ivrkit serve`` records them (each
CALL_ACTION body with the answer the simple IVR gave through the server's own answering, the
session row, the path step, the summary): a seeded
mix of callers pressing 1, 2, wrong keys, nothing, hanging up midway, and a few busy or
unanswered calls, so that most behaviours differ. Then ``replay_store`` replays them all
against the simple IVR with key 2 → `resolved` (the agent moved to key 3), in this process:
reading the store, the platform model running every call, the report. Target: 1,000 sessions a
second. The same sessions are then replayed once more with their path steps removed, as a store
written before path steps existed holds them (the callers read from the raw bodies): a figure
shown, not a target. Run alone: ``python bench/replay.py [--sessions N]``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete

from ivrkit import wire
from ivrkit.replay import replay_store
from ivrkit.server._answering import Answerer
from ivrkit.server._store_writes import session_update
from ivrkit.server._treeset import TreeSet
from ivrkit.store import Delivery, Store, SummaryWrite, VcaWrite, open_store
from ivrkit.store import _schema as schema
from ivrkit.trees import Tree, load_tree, parse_tree
from ivrkit.trees._loader import builtin_path

TARGET_SESSIONS_PER_S = 1000.0
SESSIONS = 5000
T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
CUSTOMER = "+659{:07d}"
"""Each session's customer has a number of their own (as in the webhook and calls sections): no
cache keyed on who is called can make a replay cheap."""
KEYS = ("1", "2", "9", "7", "")
"""What a caller enters at a capture: the two routes, two wrong keys, nothing."""


@dataclass(frozen=True)
class Result:
    sessions: int
    changed: int
    wall_s: float
    cpu_s: float

    @property
    def per_s(self) -> float:
        return self.sessions / self.wall_s

    @property
    def per_cpu_s(self) -> float:
        return self.sessions / self.cpu_s


def changed_tree() -> Tree:
    text = builtin_path("simple_ivr").read_text(encoding="utf-8")
    return parse_tree(text.replace('"2": agent\n', '"2": resolved\n        "3": agent\n'))


def fill_store(store: Store, tree: Tree, sessions: int, seed: int = 11) -> None:
    """Record ``sessions`` calls answered by ``tree``, as the webhook server records them."""
    chance = random.Random(seed)
    answerer = Answerer(TreeSet([tree]))
    writes: list[VcaWrite | SummaryWrite] = []
    for number in range(sessions):
        session_id = f"bench-{number:06d}"
        start = T0 + timedelta(seconds=number)
        roll = chance.random()
        if roll < 0.03:
            writes.append(_summary(session_id, start, start, "BUSY", 1))
            continue
        if roll < 0.05:
            writes.append(_summary(session_id, start, start, "NO_ANSWER", 1))
            continue
        entries = [chance.choice(KEYS) for _ in range(chance.randint(1, 4))]
        customer = CUSTOMER.format(number)
        session_writes, end, legs = _call(answerer, tree, session_id, customer, start, entries)
        writes.extend(session_writes)
        writes.append(_summary(session_id, start, end, "COMPLETED", legs))
    for first in range(0, len(writes), 500):
        store.record_batch(writes[first : first + 500])
    store.catch_up()


def without_path_steps(store: Store) -> None:
    """Remove every recorded path step: the store as one written before path steps existed."""
    with store.transaction() as conn:
        conn.execute(delete(schema.path_steps))


def _call(
    answerer: Answerer,
    tree: Tree,
    session_id: str,
    customer: str,
    start: datetime,
    entries: list[str],
) -> tuple[list[VcaWrite], datetime, int]:
    """The CALL_ACTIONs of one outbound call to a caller entering ``entries``, answered by the
    tree: (what the server stores, when the call ended, its legs)."""
    writes: list[VcaWrite] = []
    action_id: str | None = None
    at, legs = start, 1
    pending = list(entries)
    while pending:
        at += timedelta(seconds=10)
        digits = pending.pop(0)
        callflow = _answer(
            answerer, tree, writes, session_id, customer, at, action_id, digits or None
        )
        last = callflow.callflow[-1]
        action_id = callflow.client_action_id
        if isinstance(last, wire.MakeCall):  # the agent: the bridge ends, the platform asks
            legs = 2
            at += timedelta(seconds=30)
            _answer(answerer, tree, writes, session_id, customer, at, action_id, None)
            break
        if not isinstance(last, wire.SayAndCapture):
            break
    return writes, at + timedelta(seconds=1), legs


def _answer(
    answerer: Answerer,
    tree: Tree,
    writes: list[VcaWrite],
    session_id: str,
    customer: str,
    at: datetime,
    action_id: str | None,
    digits: str | None,
) -> wire.Callflow:
    payload: dict[str, Any] = {
        "event_id": f"{session_id}-{len(writes)}",
        "session_id": session_id,
        "sub_account_id": "bench",
        "call_status": wire.CallStatus.ACTION_COMPLETED,
        "call_direction": "OUTBOUND",
        "source": "+6561115777",
        "destination": customer,
        "event_data": wire.EventData(dtmf=digits),
        "timestamp": at.isoformat().replace("+00:00", "Z"),
    }
    if action_id is not None:
        payload["client_action_id"] = action_id
    event = wire.CallActionEvent(
        namespace="VOICE",
        event_type="CALL_ACTION",
        payload=wire.CallActionPayload.model_validate(payload),
    )
    answered = answerer.decide(event, tree)
    writes.append(
        VcaWrite(
            delivery=Delivery(
                channel="vca",
                received_at=at,
                body=event.to_json(),
                headers={"content-type": "application/json"},
                http_status=200,
                answer=answered.answer.decode(),
                outcome=answered.outcome,
                event_id=event.payload.event_id,
                event_type="CALL_ACTION",
                session_id=session_id,
                version=answered.version,
            ),
            update=session_update(event, answered, tree),
            variables=answered.variables,
        )
    )
    return wire.Callflow.from_wire(json.loads(answered.answer))


def _summary(
    session_id: str, start: datetime, end: datetime, status: str, legs: int
) -> SummaryWrite:
    event = wire.SessionSummaryEvent(
        namespace="VOICE",
        event_type="SESSION_SUMMARY",
        payload=wire.SessionSummaryPayload(
            session_id=session_id,
            session_status=status,
            start_time=start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            end_time=end.strftime("%Y-%m-%dT%H:%M:%SZ"),
            last_action="HANGUP",
            call_count=legs,
        ),
        version=5,
    )
    delivery = Delivery(
        channel="vss",
        received_at=end,
        body=event.to_json(),
        headers={"content-type": "application/json"},
        http_status=200,
        answer="{}",
        outcome="summary",
        event_type="SESSION_SUMMARY",
        session_id=session_id,
    )
    return SummaryWrite(delivery=delivery, event=event)


def measure(store: Store, tree: Tree) -> Result:
    """One replay of every session in ``store``, timed from a collected heap (so the collector's
    work left over from filling the store is not counted; what the replay allocates is)."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    report = replay_store(store, tree)
    return Result(
        sessions=report.sessions,
        changed=report.changed,
        wall_s=time.perf_counter() - wall,
        cpu_s=time.process_time() - cpu,
    )


def _mark(name: str, value: object, wanted: str, met: bool, shown: str) -> dict[str, Any]:
    print(f"  {'met   ' if met else 'MISSED'}  {name}: {shown} (target {wanted})", flush=True)
    return {"name": name, "value": value, "target": wanted, "met": met, "shown": shown}


def replay_bench(
    workdir: Path, sessions: int = SESSIONS, mark: Callable[..., dict[str, Any]] = _mark
) -> dict[str, Any]:
    """Fill a store, replay it twice (the first run warms imports and caches), print and return
    the second run's figures. Runs in this process, pinned to one core."""
    print(f"== replay: {sessions:,} recorded sessions against the changed simple IVR, one core ==")
    cores = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cores)})
    try:
        return _replay_bench(workdir, sessions, mark)
    finally:
        os.sched_setaffinity(0, cores)


def _replay_bench(
    workdir: Path, sessions: int, mark: Callable[..., dict[str, Any]]
) -> dict[str, Any]:
    store = open_store(f"sqlite:///{workdir / 'replay.db'}")
    try:
        began = time.perf_counter()
        fill_store(store, load_tree(), sessions)
        print(f"  store filled in {time.perf_counter() - began:.1f}s")
        tree = changed_tree()
        measure(store, tree)
        result = measure(store, tree)
        without_path_steps(store)
        measure(store, tree)
        bodies = measure(store, tree)
    finally:
        store.close()
    ok = result.per_s >= TARGET_SESSIONS_PER_S
    print(
        f"  {result.sessions:,} sessions in {result.wall_s:.2f}s ({result.cpu_s:.2f}s of CPU): "
        f"{result.per_s:,.0f}/s, {result.per_cpu_s:,.0f} per CPU-second; "
        f"{result.changed:,} would end differently"
    )
    print(
        f"  the same without path steps (read from raw bodies): {bodies.per_s:,.0f}/s, "
        f"{bodies.per_cpu_s:,.0f} per CPU-second; {bodies.changed:,} would end differently"
    )
    targets = [
        mark(
            "replayed sessions/s on one core",
            round(result.per_s, 1),
            f">= {TARGET_SESSIONS_PER_S:,.0f}",
            ok,
            f"{result.per_s:,.0f} ({result.per_cpu_s:,.0f} per CPU-second)",
        )
    ]
    return {
        "sessions": result.sessions,
        "changed": result.changed,
        "wall_s": round(result.wall_s, 3),
        "cpu_s": round(result.cpu_s, 3),
        "sessions_per_s": round(result.per_s, 1),
        "sessions_per_cpu_s": round(result.per_cpu_s, 1),
        "target_per_s": TARGET_SESSIONS_PER_S,
        "bodies_sessions_per_s": round(bodies.per_s, 1),
        "bodies_sessions_per_cpu_s": round(bodies.per_cpu_s, 1),
        "targets": targets,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sessions", type=int, default=SESSIONS)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ivrkit-bench-replay-") as folder:
        print(json.dumps(replay_bench(Path(folder), args.sessions), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
