"""Stopping the server loses nothing: every answer waited for its commit, and a delivery that
outlives the shutdown is still written."""

from __future__ import annotations

import copy
from pathlib import Path

import httpx
import pytest

from ivrkit._serving import BackgroundServer
from ivrkit.server import create_app
from ivrkit.store import open_store
from ivrkit.trees import load_tree
from tests.conftest import load_fixture


@pytest.mark.e2e
def test_every_answered_event_is_stored_after_a_clean_stop(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'stop.db'}"
    app = create_app(load_tree(), db=db, spool=tmp_path / "spool.jsonl")
    base = load_fixture("vca_dtmf_eventdata.json")
    base["payload"].pop("clientActionId")
    with BackgroundServer(app, start_timeout=60) as server, httpx.Client() as client:
        for n in range(200):
            event = copy.deepcopy(base)
            event["payload"].update(eventId=f"e-{n}", sessionId=f"s-{n % 7}")
            assert client.post(server.url + "/webhooks/vca", json=event).status_code == 200
    assert not app.state.pipeline.committer._thread.is_alive(), "the committer was stopped"
    store = open_store(db)
    try:
        assert len(store.deliveries(limit=1000)) == 200
        assert {row.session_id for row in store.sessions()} == {f"s-{n}" for n in range(7)}
    finally:
        store.close()
