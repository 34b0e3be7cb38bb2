"""The load generators and the stored-rows check, against the durable ceiling on loopback: what
wrk (where installed) and the Python generator send is answered, stored once, and counted."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import stored
import webhook
from procs import Children

pytestmark = pytest.mark.e2e


@pytest.fixture()
def ceiling(tmp_path: Path) -> Iterator[tuple[webhook.Running, Path]]:
    with Children(tmp_path) as children:
        server = webhook.Server("ceiling SQLite", "ceiling", "sqlite")
        running = server.start(children, tmp_path, None)
        yield running, tmp_path / "ceiling-sqlite.db"


def rows(db: Path, marker: str) -> list[tuple[str | None, str, str]]:
    with sqlite3.connect(db) as conn:
        return list(
            conn.execute(
                "SELECT event_id, channel, body FROM deliveries WHERE instr(body, ?) > 0 "
                "ORDER BY id",
                (marker,),
            )
        )


def check_run(result: webhook.LoadResult, db: Path, run: str) -> None:
    assert result.requests > 50 and result.not_2xx == 0 and result.socket_errors == 0
    assert result.sent_vca + result.sent_vss == result.sent >= result.requests
    found = rows(db, run)
    events = [event for event, channel, _ in found if channel == "vca"]
    assert len(events) == len(set(events))  # every eventId is new
    kept = stored.count_sqlite(db, run)
    ok, note = stored.check(kept, result.requests - result.not_2xx, result.sent)
    assert ok, note
    # A call's summary comes after its CALL_ACTIONs.
    order: dict[str, list[str]] = {}
    for _, channel, body in found:
        order.setdefault(json.loads(body)["payload"]["sessionId"], []).append(channel)
    assert all(
        "vca" not in kinds[kinds.index("vss") :] for kinds in order.values() if "vss" in kinds
    )


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_wrk_sends_the_traffic_and_every_answer_is_stored(
    ceiling: tuple[webhook.Running, Path], tmp_path: Path
) -> None:
    running, db = ceiling
    result = webhook.run_load(running.url, tmp_path, seconds=1, run="wrktest", connections=4)
    assert result.generator == "wrk" and 0 < result.load_cpu_pct < 150
    check_run(result, db, "wrktest")


def test_the_python_generator_sends_the_same_traffic(
    ceiling: tuple[webhook.Running, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(webhook, "generator", lambda: "python")
    running, db = ceiling
    result = webhook.run_load(running.url, tmp_path, seconds=1, run="pytest1", connections=4)
    assert result.generator == "python"
    check_run(result, db, "pytest1")


def test_a_lost_delivery_fails_the_check() -> None:
    ok, note = stored.check({"deliveries": 99}, acknowledged=100, sent=101)
    assert not ok and "LOST 1 of 100" in note
    ok, note = stored.check({"deliveries": 102}, acknowledged=100, sent=101)
    assert not ok and "stored twice" in note
    assert stored.check({"log": 101, "other": 3}, acknowledged=100, sent=101)[0]
    assert not stored.check({}, acknowledged=1, sent=1)[0]
