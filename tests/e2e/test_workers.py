"""Several processes behind one store: `ivrkit serve --workers 2` shares one port, and separate
replicas share one database. A repeated eventId that lands on another process gets the
byte-identical answer and is recorded once. `kill -9` of the process supervising the workers
stops them with it, so the port is free for the next `ivrkit serve` (it failed with "Address
already in use").

The tests that only use a `--workers 2` server share one (starting one is three interpreters);
the kill -9 test takes it for itself, and a test after it would get a new one."""

from __future__ import annotations

import copy
import os
import signal
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from ivrkit._serving import check_bind
from ivrkit.store import open_store
from tests.conftest import load_fixture
from tests.postgres import fresh_schema
from tests.serve_process import POLL, ServeProcess, loopback_client

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TOKEN = "a-long-test-token"


class SharedWorkers:
    """One `ivrkit serve --workers 2` (the restaurant tree, a dashboard token) for the tests that
    only use it; :meth:`take` hands it to a test that ends it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.db = f"sqlite:///{folder / 'ivrkit.db'}"
        self._serve: ServeProcess | None = None

    def get(self) -> ServeProcess:
        if self._serve is None or not self._serve.running():
            self._serve = ServeProcess(
                *("--workers", "2", "--flow", "restaurant", "--dashboard-token", TOKEN),
                db=self.db,
                cwd=self.folder,
            ).start()
        return self._serve

    def take(self) -> ServeProcess:
        serve, self._serve = self.get(), None
        return serve

    def stop(self) -> None:
        if self._serve is not None:
            self._serve.stop()


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedWorkers]:
    workers = SharedWorkers(tmp_path_factory.mktemp("workers"))
    try:
        yield workers
    finally:
        workers.stop()


def worker_pid(url: str) -> int:
    """The pid of the worker that answers a new connection."""
    with loopback_client(base_url=url) as client:  # a new connection each time
        return int(client.get("/healthz").json()["pid"])


def worker_pids(url: str) -> set[int]:
    """Both workers' pids, asking on new connections until two answered (or a minute passed)."""
    pids: set[int] = set()
    deadline = time.monotonic() + 60
    with ThreadPoolExecutor(16) as pool:
        while len(pids) < 2 and time.monotonic() < deadline:
            pids |= set(pool.map(lambda _: worker_pid(url), range(16)))
    return pids


def event(event_id: str, session: str, digits: str = "1") -> dict[str, Any]:
    body = copy.deepcopy(load_fixture("vca_dtmf_eventdata.json"))
    body["payload"].pop("clientActionId")
    body["payload"].update(eventId=event_id, sessionId=session, eventData={"dtmf": digits})
    return body


@pytest.mark.xdist_group("serve-workers")
def test_two_workers_share_the_port_and_answer_repeats_alike(shared: SharedWorkers) -> None:
    serve = shared.get()
    pids = worker_pids(serve.url)
    assert len(pids) == 2, f"only worker(s) {pids} answered"

    def post(_: int) -> bytes:
        with loopback_client(base_url=serve.url) as client:  # a new connection each time
            response = client.post("/webhooks/vca", json=event("same", "s-1"))
            assert response.status_code == 200
            return response.content

    with ThreadPoolExecutor(16) as pool:
        answers = set(pool.map(post, range(64)))
    assert len(answers) == 1, "a repeated eventId got different answers"
    assert "Traceback" not in serve.output(), serve.output()
    store = open_store(shared.db)
    try:  # the answer leaves once its record is committed: it is there while the server runs
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
    first = ServeProcess("--flow", "restaurant", db=shared_db, cwd=tmp_path / "a")
    second = ServeProcess("--flow", "restaurant", db=shared_db, cwd=tmp_path / "b")
    try:
        first.start()
        second.start()
        with loopback_client() as client:
            answers = [
                client.post(f"{url}/webhooks/vca", json=event(f"e-{n}", "s-r", str(n % 3 + 1)))
                for n in range(20)
                for url in (first.url, second.url)  # each event twice, once on each replica
            ]
    finally:
        first.stop()
        second.stop()
    outputs = first.output() + second.output()
    assert "Traceback" not in outputs, outputs
    assert all(a.status_code == 200 for a in answers)
    for n in range(20):
        assert answers[2 * n].content == answers[2 * n + 1].content, f"e-{n} answered twice"
    store = open_store(shared_db)
    try:
        assert [d.event_id for d in store.deliveries("s-r")] == [f"e-{n}" for n in range(20)]
    finally:
        store.close()


@pytest.mark.xdist_group("serve-workers")
def test_two_workers_share_the_login_limit(shared: SharedWorkers) -> None:
    """Five wrong tokens a minute from one address, whichever worker each connection lands on."""
    serve = shared.get()

    def wrong_login(_: int) -> tuple[int, int]:
        with loopback_client(base_url=serve.url) as client:  # a new connection each time
            worker = int(client.get("/healthz").json()["pid"])
            answer = client.post("/dashboard/login", data={"token": "wrong"})
            return worker, answer.status_code

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(wrong_login, range(40)))
    with loopback_client(base_url=serve.url) as client:
        right = client.post("/dashboard/login", data={"token": TOKEN})
    statuses = [status for _, status in answers]
    assert len({worker for worker, _ in answers}) == 2, "one worker took every connection"
    assert statuses.count(401) == 5 and statuses.count(429) == 35, statuses
    assert right.status_code == 429
    output = serve.output()
    assert "Traceback" not in output and "login limit" not in output, output


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in state  # a zombie no longer serves


@pytest.mark.xdist_group("serve-workers")
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_workers_die_with_their_killed_parent_and_the_port_is_free_again(
    shared: SharedWorkers,
) -> None:
    master = shared.take()
    workers: set[int] = set()
    try:
        workers = worker_pids(master.url)
        assert len(workers) == 2 and master.pid not in workers
        master.kill()
        deadline = time.monotonic() + 30
        while any(map(running, workers)) and time.monotonic() < deadline:
            time.sleep(POLL)
        assert not any(map(running, workers)), "workers outlived their parent"
        # What the next `ivrkit serve` on the port does first: its own check, then uvicorn's
        # bind and listen (the "Address already in use" a surviving worker caused).
        check_bind("127.0.0.1", master.port, command="serve")
        with socket.socket() as again:
            again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            again.bind(("127.0.0.1", master.port))
            again.listen()
    finally:
        for pid in workers:  # only the workers this test started, if they outlived the test
            if running(pid):
                os.kill(pid, signal.SIGKILL)
        master.kill()
