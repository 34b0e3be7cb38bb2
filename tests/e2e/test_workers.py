"""Several processes behind one store: `ivrkit serve --workers 2` shares one port, and separate
replicas share one database. A repeated eventId that lands on another process gets the
byte-identical answer and is recorded once."""

from __future__ import annotations

import copy
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from ivrkit._serving import free_port
from ivrkit.store import open_store
from tests.conftest import load_fixture
from tests.postgres import fresh_schema

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def serve(db: str, cwd: Path, *args: str) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("IVRKIT_")}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from ivrkit._cli import main; main()", "serve"]
        + ["--port", str(port), "--db", db, *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[0].decode()
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return url, proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("serve did not start")


def stop(proc: subprocess.Popen[bytes]) -> str:
    proc.send_signal(signal.SIGINT)
    return proc.communicate(timeout=60)[0].decode()


def event(event_id: str, session: str, digits: str = "1") -> dict[str, Any]:
    body = copy.deepcopy(load_fixture("vca_dtmf_eventdata.json"))
    body["payload"].pop("clientActionId")
    body["payload"].update(eventId=event_id, sessionId=session, eventData={"dtmf": digits})
    return body


def test_two_workers_share_the_port_and_answer_repeats_alike(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'ivrkit.db'}"
    url, proc = serve(db, tmp_path, "--workers", "2", "--flow", "restaurant")
    try:

        def pid(_: int) -> int:
            with httpx.Client(base_url=url) as client:  # a new connection each time
                return int(client.get("/healthz").json()["pid"])

        pids: set[int] = set()
        deadline = time.monotonic() + 60
        with ThreadPoolExecutor(16) as pool:
            while len(pids) < 2 and time.monotonic() < deadline:
                pids |= set(pool.map(pid, range(64)))
        assert len(pids) == 2, f"only worker(s) {pids} answered"

        def post(_: int) -> bytes:
            with httpx.Client(base_url=url) as client:
                response = client.post("/webhooks/vca", json=event("same", "s-1"))
                assert response.status_code == 200
                return response.content

        with ThreadPoolExecutor(16) as pool:
            answers = set(pool.map(post, range(64)))
        assert len(answers) == 1, "a repeated eventId got different answers"
    finally:
        output = stop(proc)
    assert "Traceback" not in output, output
    store = open_store(db)
    try:
        assert [d.event_id for d in store.deliveries("s-1")] == ["same"]
    finally:
        store.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shared_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared.db'}"
        return
    with fresh_schema() as (url, _schema):
        yield url


def test_a_repeat_on_another_replica_gets_the_first_answer(shared_db: str, tmp_path: Path) -> None:
    """The restaurant tree answers the first event from the session's language variable; the
    repeat reaches the other replica, which has never seen the event: it answers from the store,
    byte for byte, and records nothing."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first_url, first = serve(shared_db, tmp_path / "a", "--flow", "restaurant")
    second_url, second = serve(shared_db, tmp_path / "b", "--flow", "restaurant")
    try:
        with httpx.Client() as client:
            answers = [
                client.post(f"{url}/webhooks/vca", json=event(f"e-{n}", "s-r", str(n % 3 + 1)))
                for n in range(20)
                for url in (first_url, second_url)  # each event twice, once on each replica
            ]
    finally:
        outputs = stop(first) + stop(second)
    assert "Traceback" not in outputs, outputs
    assert all(a.status_code == 200 for a in answers)
    for n in range(20):
        assert answers[2 * n].content == answers[2 * n + 1].content, f"e-{n} answered twice"
    store = open_store(shared_db)
    try:
        assert [d.event_id for d in store.deliveries("s-r")] == [f"e-{n}" for n in range(20)]
    finally:
        store.close()


def test_two_workers_share_the_login_limit(tmp_path: Path) -> None:
    """Five wrong tokens a minute from one address, whichever worker each connection lands on."""
    db = f"sqlite:///{tmp_path / 'ivrkit.db'}"
    url, proc = serve(db, tmp_path, "--workers", "2", "--dashboard-token", "a-long-test-token")
    try:

        def wrong_login(_: int) -> tuple[int, int]:
            with httpx.Client(base_url=url) as client:  # a new connection each time
                worker = int(client.get("/healthz").json()["pid"])
                answer = client.post("/dashboard/login", data={"token": "wrong"})
                return worker, answer.status_code

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(wrong_login, range(40)))
        with httpx.Client(base_url=url) as client:
            right = client.post("/dashboard/login", data={"token": "a-long-test-token"})
    finally:
        output = stop(proc)
    statuses = [status for _, status in answers]
    assert len({worker for worker, _ in answers}) == 2, "one worker took every connection"
    assert statuses.count(401) == 5 and statuses.count(429) == 35, statuses
    assert right.status_code == 429
    assert "Traceback" not in output and "login limit" not in output, output
