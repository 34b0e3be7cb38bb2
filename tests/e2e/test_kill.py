"""`kill -9` of the webhook server at a random instant under load loses nothing it answered:
every CALL_ACTION and every SESSION_SUMMARY that got 200 is in the store after a restart
(straight from its commit, or from the fsync'd spool the restart replays). Repeated at several
random instants (seeded, so a failure can be replayed), on SQLite and on PostgreSQL."""

from __future__ import annotations

import copy
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ivrkit._serving import free_port
from ivrkit.store import open_store
from tests.conftest import load_fixture
from tests.postgres import fresh_schema

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROUNDS = 2
CLIENTS = 8
SESSIONS_PER_CLIENT = 400


def _serve(db: str, workdir: Path, port: int, tree: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IVRKIT_")}
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from ivrkit._cli import main; main()",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--db",
            db,
            "--flow",
            tree,
        ],
        cwd=workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the server stopped while starting"
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise AssertionError("the server did not start")


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
        with httpx.Client(base_url=self.url, timeout=10) as client:
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
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        proc = _serve(store_url, tmp_path, port, tree)
        try:
            _wait_up(url, proc)
            load = Load(url, f"r{round_}-{uuid.uuid4().hex[:6]}")
            load.start()
            deadline = time.monotonic() + 60
            while len(load.events) < 50 and time.monotonic() < deadline:
                time.sleep(0.01)  # under load first, whatever the machine's speed
            time.sleep(chance.uniform(0.0, 0.5))
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            load.join()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        assert load.events, "no event was answered before the kill: the test proved nothing"
        answered_events |= load.events
        answered_summaries |= load.summaries
    # A restart replays whatever was spooled instead of committed.
    port = free_port()
    proc = _serve(store_url, tmp_path, port, tree)
    try:
        _wait_up(f"http://127.0.0.1:{port}", proc)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)
    store = open_store(store_url)
    try:
        missing_events = [e for e in answered_events if store.find_answered(e) is None]
        missing_summaries = [s for s in answered_summaries if store.summary(s) is None]
    finally:
        store.close()
    assert not missing_events, f"{len(missing_events)} answered events lost: {missing_events[:5]}"
    assert not missing_summaries, f"{len(missing_summaries)} summaries lost"
