"""Ctrl-C stops `ivrkit serve` quietly under load: the terminal sends SIGINT to every process of
its group (the server and, with --workers, its worker processes), and nothing but a clean stop
may show."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest

from ivrkit.store import open_store
from tests.serve_process import POLL, ServeProcess, loopback_client

pytestmark = pytest.mark.e2e


def event(n: int) -> bytes:
    payload = {
        "eventId": f"e-{n}",
        "callId": f"c-{n}",
        "sessionId": f"s-{n % 7}",
        "subAccountId": "acc",
        "callStatus": "ACTION_COMPLETED",
        "callDirection": "OUTBOUND",
        "callType": "PSTN",
        "source": "+6568888888",
        "destination": "+6598888888",
        "eventData": {"dtmf": "1"},
        "timestamp": "2024-05-16T04:12:11.217Z",
        "clientActionId": "main",
    }
    body = {"namespace": "VOICE", "eventType": "CALL_ACTION", "payload": payload}
    return json.dumps(body).encode()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_ctrl_c_under_load_stops_without_a_traceback(tmp_path: Path, workers: str) -> None:
    db = f"sqlite:///{tmp_path / 'serve.db'}"
    # A group of its own, as a terminal gives it.
    server = ServeProcess("--workers", workers, db=db, cwd=tmp_path, new_session=True)
    answered: list[int] = []
    stop = threading.Event()

    def load(worker: int) -> None:
        with loopback_client(base_url=server.url, timeout=5) as client:
            for n in range(400):  # bounded: the loop ends even if the server never stops
                if stop.is_set():
                    return
                try:
                    response = client.post(
                        "/webhooks/vca",
                        content=event(worker * 1000 + n),
                        headers={"Content-Type": "application/json"},
                    )
                except httpx.HTTPError:
                    continue
                if response.status_code == 200:
                    answered.append(worker * 1000 + n)

    clients = [threading.Thread(target=load, args=(k,)) for k in range(12)]
    try:
        server.start()
        for client in clients:
            client.start()
        while len(answered) < 50 and any(c.is_alive() for c in clients):
            time.sleep(POLL)
        os.killpg(server.pid, signal.SIGINT)  # what Ctrl-C does
        returncode = server.wait(60)
    finally:
        stop.set()
        server.kill()
        for client in clients:
            if client.is_alive():
                client.join(timeout=30)
    output = server.output()
    assert "Traceback" not in output, output
    assert "KeyboardInterrupt" not in output, output
    assert "ERROR" not in output, output
    assert returncode in (0, 130), output
    store = open_store(db)
    try:
        stored = {row.event_id for row in store.deliveries(limit=100_000)}
    finally:
        store.close()
    assert {f"e-{n}" for n in answered} <= stored, "every answered event is stored"
