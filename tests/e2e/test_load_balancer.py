"""A real load balancer: HAProxy in front of two `ivrkit serve` replicas on one PostgreSQL, the
simulator delivering through it at full speed. One replica is `kill -9`'d mid-load; retries land
on the other. From the simulator's own record of what was answered 200, every answered
CALL_ACTION and SESSION_SUMMARY is in the store exactly once, and no eventId got two answers.

Needs Debian's haproxy (`.ci/run` installs it) and IVRKIT_TEST_POSTGRES_URL."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ivrkit._serving import BackgroundServer, free_port
from ivrkit.client import VoiceClient
from ivrkit.simulator import SimulatorConfig, SimulatorControl, create_simulator
from ivrkit.simulator._calls.transcript import WebhookSent
from ivrkit.store import open_store
from ivrkit.trees import load_tree
from ivrkit.wire import WebhookType
from tests.postgres import fresh_schema
from tests.serve_process import POLL, ServeProcess, healthy, loopback_client

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.slow]

HAPROXY_CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "haproxy.cfg"
CALLS = 150
KILL_AFTER = 50
SECRET = "lb-secret"
PHONES = {"+6591200001": ["1"], "+6591200002": ["9", "1"], "+6591200003": ["2"]}


@pytest.fixture()
def postgres_url() -> Iterator[str]:
    if shutil.which("haproxy") is None:
        pytest.skip("haproxy is not installed (apt-get install haproxy; .ci/run does it)")
    with fresh_schema() as (url, _schema):
        yield url


def _replica(db: str, cwd: Path) -> ServeProcess:
    return ServeProcess("--webhook-secret", SECRET, db=db, cwd=cwd)


def _wait_ok(url: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    with loopback_client(timeout=2) as client:
        while time.monotonic() < deadline:
            if healthy(client, url):
                return
            time.sleep(POLL)
    raise AssertionError(f"{url} did not answer 200")


def _haproxy(tmp_path: Path, ports: list[int]) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    servers = "\n".join(f"    server replica{n} 127.0.0.1:{p}" for n, p in enumerate(ports))
    config = HAPROXY_CONFIG.read_text().format(
        bind=f"127.0.0.1:{port}", health_path="/readyz", servers=servers
    )
    path = tmp_path / "haproxy.cfg"
    path.write_text(config)
    check = subprocess.run(["haproxy", "-c", "-f", str(path)], capture_output=True, check=False)
    assert check.returncode == 0, check.stderr.decode() + check.stdout.decode()
    with (tmp_path / "haproxy.log").open("wb") as log:
        proc = subprocess.Popen(
            ["haproxy", "-db", "-f", str(path)], stdout=subprocess.DEVNULL, stderr=log
        )
    return f"http://127.0.0.1:{port}", proc


def test_haproxy_two_replicas_and_a_kill_9_lose_and_double_nothing(
    postgres_url: str, tmp_path: Path
) -> None:
    replicas = [_replica(postgres_url, tmp_path / f"replica{n}") for n in range(2)]
    simulator = create_simulator(
        SimulatorConfig(api_key="k", subaccount="acme", speed=None, retry_backoff=0.2)
    )
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for replica in replicas:
            replica.start()
        lb_url, lb = _haproxy(tmp_path, [replica.port for replica in replicas])
        processes.append(lb)
        _wait_ok(lb_url)
        with (
            BackgroundServer(simulator) as platform,
            SimulatorControl(platform.url) as control,
            VoiceClient("k", "acme", base_url=platform.url) as client,
        ):
            for number, keys in PHONES.items():
                control.set_phone(number, press=keys)
            for kind, path in ((WebhookType.VCA, "vca"), (WebhookType.VSS, "vss")):
                client.create_webhook(kind, f"{lb_url}/webhooks/{path}", http_auth_header=SECRET)
            tree = load_tree()
            numbers = list(PHONES)

            def place(n: int) -> str:
                if n == KILL_AFTER:
                    replicas[0].proc.send_signal(signal.SIGKILL)
                request = tree.initial_request(numbers[n % len(numbers)])
                return client.send_callflow(request).session_id

            with ThreadPoolExecutor(8) as pool:
                sessions = list(pool.map(place, range(CALLS)))
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                if all(info.state == "ended" for info in control.sessions()):
                    break
                time.sleep(0.2)
            views = [control.session(session_id) for session_id in sessions]
        assert replicas[0].proc.poll() == -signal.SIGKILL
        with loopback_client() as http:
            survivor = http.get(f"{replicas[1].url}/metrics").text
        answered_here = sum(
            float(line.rsplit(" ", 1)[1])
            for line in survivor.splitlines()
            if line.startswith("ivrkit_deliveries_total{") and 'channel="vca"' in line
        )
        assert answered_here > CALLS / 2, "the survivor's /metrics did not count its deliveries"
        answers: dict[str, set[str]] = defaultdict(set)
        summaries: set[str] = set()
        for view in views:
            assert view.state == "ended", f"{view.session_id} never ended"
            for entry in view.entries:
                if not isinstance(entry, WebhookSent) or entry.status != 200:
                    continue
                if entry.type == "VCA":
                    answers[entry.event_id].add(json.dumps(entry.answer, sort_keys=True))
                elif entry.type == "VSS":
                    summaries.add(view.session_id)
        assert len(answers) >= CALLS, "too few CALL_ACTIONs were answered to prove anything"
        doubled = {event: got for event, got in answers.items() if len(got) > 1}
        assert not doubled, f"eventIds answered differently: {list(doubled)[:3]}"
        # What the killed replica answered from its spool (a store slow under load) is in its
        # folder's spool file: it reaches the store when the replica is restarted there, as an
        # operator restarts a killed server.
        _replica(postgres_url, tmp_path / "replica0").start().stop()
        store = open_store(postgres_url)
        try:
            missing = [event for event in answers if store.find_answered(event) is None]
            assert not missing, f"{len(missing)} answered CALL_ACTIONs are not stored"
            lost = [session for session in summaries if store.summary(session) is None]
            assert not lost, f"{len(lost)} answered summaries are not stored"
            stored = {d.event_id for d in store.deliveries(limit=100_000) if d.event_id}
            kept = [d for d in store.deliveries(limit=100_000) if d.event_id in answers]
            assert len(kept) == len(stored & set(answers)), "an answered event stored twice"
        finally:
            store.close()
    finally:
        for replica in replicas:
            replica.stop(timeout=30)
        for proc in processes:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in processes:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)  # reaped, or its Popen warns of a process still running
