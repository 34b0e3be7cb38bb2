"""Stopping the server writes everything it answered: nothing queued is lost at shutdown."""

from __future__ import annotations

import copy
from pathlib import Path

import httpx
import pytest

from ivrkit.server import create_app
from ivrkit.serving import BackgroundServer
from ivrkit.store import open_store
from ivrkit.trees import load_tree
from tests.conftest import load_fixture


@pytest.mark.parametrize("writer", ["thread", "process"])
def test_every_answered_event_is_stored_after_a_clean_stop(tmp_path: Path, writer: str) -> None:
    db = f"sqlite:///{tmp_path / 'stop.db'}"
    app = create_app(load_tree(), db=db, writer=writer, spool=tmp_path / "spool.jsonl")  # type: ignore[arg-type]
    base = load_fixture("vca_dtmf_eventdata.json")
    base["payload"].pop("clientActionId")
    with BackgroundServer(app, start_timeout=60) as server, httpx.Client() as client:
        for n in range(200):
            event = copy.deepcopy(base)
            event["payload"].update(eventId=f"e-{n}", sessionId=f"s-{n % 7}")
            assert client.post(server.url + "/webhooks/vca", json=event).status_code == 200
    chosen = app.state.pipeline.writer
    if writer == "process":
        assert chosen._process.poll() is not None, "the writer process was stopped"
    else:
        assert not chosen._thread.is_alive(), "the writer thread was stopped"
    store = open_store(db)
    try:
        assert len(store.deliveries(limit=1000)) == 200
        assert {row.session_id for row in store.sessions()} == {f"s-{n}" for n in range(7)}
    finally:
        store.close()
