"""The writer in a process of its own keeps the thread writer's promises."""

from __future__ import annotations

import copy
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from ivrkit.errors import ConfigError
from ivrkit.server import create_app
from ivrkit.server.spool import Spool
from ivrkit.server.writer import EventWriter
from ivrkit.server.writer_process import ProcessWriter
from ivrkit.serving import BackgroundServer
from ivrkit.store import Delivery, SessionUpdate, open_store
from ivrkit.trees import load_tree
from tests.conftest import load_fixture
from tests.server.conftest import SettledClient


def vca(event_id: str, digits: str, action_id: str | None = None) -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(load_fixture("vca_dtmf_eventdata.json"))
    event["payload"].pop("clientActionId")
    event["payload"].update(eventId=event_id, sessionId="s-p", eventData={"dtmf": digits})
    if action_id:
        event["payload"]["clientActionId"] = action_id
    return event


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[BackgroundServer, str]]:
    db = f"sqlite:///{tmp_path / 'p.db'}"
    app = create_app(load_tree(), db=db, writer="process", spool=tmp_path / "spool.jsonl")
    with BackgroundServer(app, start_timeout=60) as running:
        yield running, db


def test_events_and_the_summary_reach_the_store_through_the_child(
    served: tuple[BackgroundServer, str],
) -> None:
    server, db = served
    with SettledClient(server) as client:
        assert client.post("/webhooks/vca", json=vca("a", "9")).json()["clientActionId"] == "main#1"
        assert client.post("/webhooks/vca", json=vca("b", "1", "main#1")).status_code == 200
        replay = client.post("/webhooks/vca", json=vca("a", "2"))
        assert replay.json()["clientActionId"] == "main#1", "a repeated eventId is replayed"
        summary = load_fixture("vss_ivr_scenario1_bridge_completed.json")
        summary["payload"]["sessionId"] = "s-p"
        assert client.post("/webhooks/vss", json=summary).status_code == 200
    store = open_store(db)
    try:
        session = store.session("s-p")
        assert session is not None
        assert (session.digits, session.status) == (["9", "1"], "COMPLETED")
        assert len([d for d in store.deliveries("s-p") if d.channel == "vca"]) == 2
    finally:
        store.close()


def test_a_writer_process_needs_a_store_url(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with pytest.raises(ConfigError, match="writer process"):
            create_app(load_tree(), store=store, writer="process")
    finally:
        store.close()
    with pytest.raises(ConfigError, match="writer process"):
        create_app(load_tree(), db="sqlite://", writer="process")


def test_when_the_child_dies_the_server_keeps_answering_and_recording(
    served: tuple[BackgroundServer, str],
) -> None:
    server, db = served
    writer = server.app.state.pipeline.writer  # type: ignore[attr-defined]
    writer._process.kill()
    writer._process.wait(timeout=10)
    with SettledClient(server) as client:
        for n in range(3):
            response = client.post("/webhooks/vca", json=vca(f"k-{n}", "9"))
            assert response.status_code == 200
    store = open_store(db)
    try:
        assert len(store.deliveries("s-p")) == 3, "nothing is lost when the child dies"
    finally:
        store.close()
    assert httpx.get(server.url + "/healthz").status_code == 200


def test_records_in_flight_when_the_child_dies_are_written_by_the_fallback(
    tmp_path: Path,
) -> None:
    db = f"sqlite:///{tmp_path / 'f.db'}"
    store = open_store(db)
    spool = Spool(tmp_path / "spool.jsonl")
    writer = ProcessWriter(db, spool, fallback=EventWriter(store, spool))
    writer.start()
    try:
        assert writer._process is not None
        writer._process.send_signal(signal.SIGSTOP)  # the records wait in the pipe
        at = datetime.now(UTC)
        for n in range(20):
            delivery = Delivery(
                "vca", at, "{}", {}, 200, "{}", "answered", None, f"f-{n}", "CALL_ACTION", "s-f"
            )
            writer.record_vca(delivery, SessionUpdate(session_id="s-f", at=at), {})
        writer._process.kill()
        writer._process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while writer._alive and time.monotonic() < deadline:
            time.sleep(0.01)
        assert writer.flush(timeout=10)
        assert len(store.deliveries("s-f")) == 20, "records in the pipe were lost"
    finally:
        writer.stop()
        store.close()


def test_a_writer_process_that_cannot_open_the_store_stops_the_start(tmp_path: Path) -> None:
    from ivrkit.errors import StoreError
    from ivrkit.server.spool import Spool
    from ivrkit.server.writer import EventWriter
    from ivrkit.server.writer_process import ProcessWriter

    store = open_store(f"sqlite:///{tmp_path / 'ok.db'}")
    try:
        writer = ProcessWriter(
            "postgresql://nobody@127.0.0.1:1/none",
            Spool(tmp_path / "s"),
            fallback=EventWriter(store, None),
        )
        with pytest.raises(StoreError, match="could not open the store"):
            writer.start()
        assert writer._process is not None and writer._process.poll() is not None
    finally:
        store.close()


def test_a_child_that_stops_confirming_is_stopped_and_its_records_written(tmp_path: Path) -> None:
    import os
    import signal
    import time

    from ivrkit.server.writer import EventWriter
    from ivrkit.server.writer_process import ProcessWriter
    from tests.server.test_writer import event

    db = f"sqlite:///{tmp_path / 'stall.db'}"
    store = open_store(db)
    writer = ProcessWriter(db, None, EventWriter(store, None), stall_timeout=1.0)
    try:
        writer.start()
        assert writer._process is not None
        os.kill(writer._process.pid, signal.SIGSTOP)  # hung, not dead
        for n in range(5):
            writer.record_vca(*event(n), {})
        deadline = time.monotonic() + 10
        while writer._process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert writer._process.poll() is not None, "the watchdog stopped the child"
        assert writer.flush()
        assert [d.event_id for d in store.deliveries("s-1")] == [f"e-{n}" for n in range(5)]
    finally:
        writer.stop()
        store.close()
