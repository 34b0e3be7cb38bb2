"""The session tables are projections of the event log: built after the append, in any cut of
the log into batches, resumed after a crash, and equal to a rebuild from the log."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ivrkit.store import Store, SummaryWrite, VcaWrite, open_store
from ivrkit.store import _schema as schema
from tests.store.helpers import (
    later,
    summary_delivery,
    summary_event,
    vca_delivery,
    vca_event,
    vca_update,
)

SURROGATE = {"id", "summary_id"}
"""Columns numbered by the database: two orders of appending number rows differently."""


def traffic(calls: int) -> list[VcaWrite | SummaryWrite]:
    """Calls of three events and a summary, with a late event after some summaries, a repeated
    summary now and then, and the calls interleaved as a server's batches interleave them."""
    per_call: list[list[VcaWrite | SummaryWrite]] = []
    for call in range(calls):
        session = f"s-{call}"
        writes: list[VcaWrite | SummaryWrite] = []
        for step, digits in enumerate(["1", "9", "2"]):
            event = vca_event(
                event_id=f"e-{call}-{step}",
                session_id=session,
                digits=digits,
                timestamp=later(call + step),
            )
            update = replace(
                vca_update(event, node=["main", "main", "agent"][step]),
                version="v1",
                heard="main",
                route="key",
                route_value=digits,
                led_to="agent" if digits == "2" else "main",
                passed="agent" if digits == "2" else "main",
                outcome="agent" if digits == "2" else None,
            )
            writes.append(VcaWrite(delivery=vca_delivery(event), update=update))
        summary = summary_event(
            "vss_vm_success.json",
            sessionId=session,
            startTime=(later(call)).isoformat(),
            endTime=(later(call) + timedelta(seconds=30)).isoformat(),
        )
        done = SummaryWrite(delivery=summary_delivery(summary, at=later(call + 3)), event=summary)
        writes.append(done)
        if call % 4 == 1:  # an event stored after its summary
            event = vca_event(
                event_id=f"e-{call}-late", session_id=session, digits="3", timestamp=later(call + 4)
            )
            writes.append(VcaWrite(delivery=vca_delivery(event), update=vca_update(event)))
        if call % 5 == 2:
            writes.append(done)  # the platform delivered the summary twice
        per_call.append(writes)
    mixed: list[VcaWrite | SummaryWrite] = []
    pending = [list(writes) for writes in per_call]
    chooser = random.Random(7)
    while any(pending):
        queue = chooser.choice([writes for writes in pending if writes])
        mixed.append(queue.pop(0))
    return mixed


def append(store: Store, writes: list[VcaWrite | SummaryWrite], batch: int) -> None:
    for start in range(0, len(writes), batch):
        store.record_batch(writes[start : start + batch])


def projected(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """What the projector built, without the numbers the database gave the rows."""
    tables = [
        schema.sessions,
        schema.session_digits,
        schema.path_steps,
        schema.summaries,
        schema.legs,
        schema.path_sessions,
        schema.path_nodes,
        schema.path_paths,
    ]
    found: dict[str, list[tuple[Any, ...]]] = {}
    with store.reading() as conn:
        for table in tables:
            columns = [column for column in table.c if column.name not in SURROGATE]
            rows = conn.execute(select(*columns)).all()
            found[table.name] = sorted(tuple(map(repr, row)) for row in rows)
        outcomes = conn.execute(
            select(schema.deliveries.c.event_id, schema.deliveries.c.outcome).order_by(
                schema.deliveries.c.id
            )
        ).all()
        found["outcomes"] = [tuple(row) for row in outcomes]
    return found


def test_projections_follow_the_log_whatever_its_batches(store: Store) -> None:
    writes = traffic(24)
    append(store, writes, batch=7)
    assert store.behind()
    store.catch_up(batch=3)
    assert not store.behind()
    incremental = projected(store)
    assert len(incremental["ivrkit_summaries"]) == 24
    assert sum(1 for _, outcome in incremental["outcomes"] if outcome == "duplicate") == 5
    assert incremental["ivrkit_path_sessions"], "the ended calls are counted"

    store.rebuild_projections()
    assert projected(store) == incremental


def test_a_polling_read_catches_up_only_as_far_as_it_is_told(store: Store) -> None:
    def sessions() -> int:
        with store._transaction(write=False) as conn:
            return len(conn.execute(select(schema.sessions.c.session_id)).all())

    append(store, traffic(24), batch=7)
    with store.reading(catch_up=0) as conn:
        assert conn.execute(select(schema.sessions.c.session_id)).all() == []
    assert store.behind()
    with store.reading(catch_up=5):
        pass
    assert 1 <= sessions() <= 5, "five log rows projected, in one transaction"
    assert store.behind()
    with store.reading():
        pass
    assert sessions() == 24 and not store.behind()


def test_the_counters_count_an_event_stored_after_its_summary(store: Store) -> None:
    writes = traffic(8)
    append(store, writes, batch=5)
    store.catch_up(batch=2)
    before = projected(store)
    store.rebuild_projections()
    assert projected(store)["ivrkit_path_nodes"] == before["ivrkit_path_nodes"]


def test_a_delivery_is_answered_before_its_session_is_projected(store: Store) -> None:
    event = vca_event(event_id="e-1", session_id="s-1", digits="1")
    write = VcaWrite(delivery=vca_delivery(event), update=vca_update(event))
    [(stored, fresh)] = store.record_batch([write])
    assert fresh and stored.event_id == "e-1"
    assert store.behind()
    with store._transaction(write=False) as conn:
        assert conn.execute(select(schema.sessions.c.session_id)).all() == []
    session = store.session("s-1")  # a read of the projections catches up first
    assert session is not None and session.digits == ["1"]
    assert not store.behind()


CHILD = """
import sys, time
from ivrkit.analytics._folding import COUNTERS
from ivrkit.store import open_store
store = open_store(sys.argv[1], counters=COUNTERS)
project = store._projector._apply
def slow(conn, rows, counters):
    project(conn, rows, counters)
    time.sleep(0.02)
store._projector._apply = slow
print("ready", flush=True)
store.catch_up(batch=3)
print("done", flush=True)
"""


@pytest.mark.e2e
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_projector_killed_mid_batch_resumes_to_what_a_rebuild_gives(
    store_url: str, seed: int
) -> None:
    with open_store(store_url) as store:
        append(store, traffic(20), batch=9)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, store_url],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(random.Random(seed).uniform(0.05, 0.4))
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
        if child.stdout is not None:
            child.stdout.close()
    with open_store(store_url) as store:
        store.catch_up()
        resumed = projected(store)
        store.rebuild_projections()
        assert projected(store) == resumed
