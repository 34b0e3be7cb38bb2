"""Ctrl-C stops `ivrkit serve` quietly under load: the terminal sends SIGINT to every process of
its group (the server and, with --workers, its worker processes), and nothing but a clean stop
may show."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from ivrkit.store import open_store

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
    port = free_port()
    db = f"sqlite:///{tmp_path / 'serve.db'}"
    server = subprocess.Popen(
        [sys.executable, "-c", "from ivrkit._cli import main; main()", "serve"]
        + ["--port", str(port), "--db", db, "--workers", workers],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # a group of its own, as a terminal gives it
    )
    base = f"http://127.0.0.1:{port}"
    answered: list[int] = []
    stop = threading.Event()

    def load(worker: int) -> None:
        with httpx.Client(timeout=5) as client:
            for n in range(400):  # bounded: the loop ends even if the server never stops
                if stop.is_set():
                    return
                try:
                    response = client.post(
                        base + "/webhooks/vca",
                        content=event(worker * 1000 + n),
                        headers={"Content-Type": "application/json"},
                    )
                except httpx.HTTPError:
                    continue
                if response.status_code == 200:
                    answered.append(worker * 1000 + n)

    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail("the server did not start")
        workers = [threading.Thread(target=load, args=(k,)) for k in range(12)]
        for worker in workers:
            worker.start()
        while len(answered) < 50 and any(w.is_alive() for w in workers):
            time.sleep(0.05)
        os.killpg(server.pid, signal.SIGINT)  # what Ctrl-C does
        _, err = server.communicate(timeout=60)
    finally:
        stop.set()
        if server.poll() is None:
            server.kill()
            server.communicate()
    for worker in workers:
        worker.join(timeout=30)
    stderr = err.decode(errors="replace")
    assert "Traceback" not in stderr, stderr
    assert "KeyboardInterrupt" not in stderr, stderr
    assert "ERROR" not in stderr, stderr
    assert server.returncode in (0, 130), stderr
    store = open_store(db)
    try:
        stored = {row.event_id for row in store.deliveries(limit=100_000)}
    finally:
        store.close()
    assert {f"e-{n}" for n in answered} <= stored, "every answered event is stored"
