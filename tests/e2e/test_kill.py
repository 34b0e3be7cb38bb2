"""`kill -9` of the webhook server at a random instant under load loses nothing it answered:
every CALL_ACTION and every SESSION_SUMMARY that got 200 is in the store after a restart
(straight from its commit, or from the fsync'd spool the restart replays). Repeated at several
random instants (seeded, so a failure can be replayed), on SQLite and on PostgreSQL."""

from __future__ import annotations

import copy
import random
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ivrkit.store import open_store
from tests.conftest import load_fixture
from tests.postgres import fresh_schema
from tests.serve_process import ServeProcess, loopback_client

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROUNDS = 2
CLIENTS = 8
SESSIONS_PER_CLIENT = 400
KILL_AFTER = (30, 150)
"""The kill comes once this many events (a seeded random count in the range) were answered:
the clients are still posting, so deliveries are in flight at any instant; a count rather than
a duration keeps the work the same on a fast and a slow machine."""


class Load:
    """Clients that post each session's events then its summary until the server is gone,
    noting what was answered 200."""

    def __init__(self, url: str, tag: str) -> None:
        self.url = url
        self.tag = tag
        self.events: set[str] = set()
        self.summaries: set[str] = set()
        self.lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self._client, args=(n,), daemon=True) for n in range(CLIENTS)
        ]
        vca = copy.deepcopy(load_fixture("vca_dtmf_eventdata.json"))
        vca["payload"].pop("clientActionId")
        self.vca = vca
        self.summary = load_fixture("vss_ivr_scenario1_bridge_completed.json")

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        for thread in self.threads:
            thread.join(30)

    def _client(self, n: int) -> None:
        with loopback_client(base_url=self.url, timeout=10) as client:
            for s in range(SESSIONS_PER_CLIENT):
                session = f"{self.tag}-{n}-{s}"
                for step, digits in enumerate(("9", "1")):
                    event = copy.deepcopy(self.vca)
                    event_id = f"{session}-e{step}"
                    event["payload"].update(
                        eventId=event_id, sessionId=session, eventData={"dtmf": digits}
                    )
                    if not self._post(client, "/webhooks/vca", event):
                        return
                    with self.lock:
                        self.events.add(event_id)
                summary = copy.deepcopy(self.summary)
                summary["payload"]["sessionId"] = session
                if not self._post(client, "/webhooks/vss", summary):
                    return
                with self.lock:
                    self.summaries.add(session)

    @staticmethod
    def _post(client: httpx.Client, path: str, body: dict[str, Any]) -> bool:
        try:
            return client.post(path, json=body).status_code == 200
        except httpx.HTTPError:
            return False


@pytest.fixture
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ivrkit.db'}"
        return
    with fresh_schema() as (url, _schema):
        yield url


# Durability is the store's and the server's, whatever the tree: each store is killed under a
# different tree (the restaurant's three levels on PostgreSQL) to cover both.
@pytest.mark.parametrize(
    ("store_url", "tree"),
    [
        ("sqlite", "simple_ivr"),
        pytest.param("postgres", "restaurant", marks=pytest.mark.postgres),
    ],
    indirect=["store_url"],
)
def test_kill_9_under_load_loses_nothing_that_was_answered(
    store_url: str, tmp_path: Path, tree: str
) -> None:
    chance = random.Random(f"{tree}-{store_url[:8]}")
    answered_events: set[str] = set()
    answered_summaries: set[str] = set()
    for round_ in range(ROUNDS):
        # Each start after the first replays what the killed one spooled.
        serve = ServeProcess("--flow", tree, db=store_url, cwd=tmp_path).start()
        try:
            load = Load(serve.url, f"r{round_}-{uuid.uuid4().hex[:6]}")
            load.start()
            kill_after = chance.randint(*KILL_AFTER)
            deadline = time.monotonic() + 60
            while len(load.events) < kill_after and time.monotonic() < deadline:
                time.sleep(0.005)
            serve.kill()
            load.join()
        finally:
            serve.kill()
        assert len(load.events) >= kill_after, "too few events answered before the kill"
        answered_events |= load.events
        answered_summaries |= load.summaries
    # A restart replays whatever was spooled instead of committed.
    ServeProcess("--flow", tree, db=store_url, cwd=tmp_path).start().stop()
    store = open_store(store_url)
    try:
        missing_events = [e for e in answered_events if store.find_answered(e) is None]
        missing_summaries = [s for s in answered_summaries if store.summary(s) is None]
    finally:
        store.close()
    assert not missing_events, f"{len(missing_events)} answered events lost: {missing_events[:5]}"
    assert not missing_summaries, f"{len(missing_summaries)} summaries lost"
