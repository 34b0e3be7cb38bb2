"""`GET /metrics` over real HTTP: the counters move by exactly what was delivered, label values
stay in bounded sets, and several worker processes sharing a metrics directory are summed."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client import values as prometheus_values

from ivrkit._serving import BackgroundServer
from ivrkit.errors import ConfigError
from ivrkit.server import create_app
from ivrkit.server._metrics import (
    MAX_SERIES,
    MULTIPROC_ENV,
    ServerMetrics,
    forget_worker,
    prepare_metrics_dir,
)
from ivrkit.store import Store
from ivrkit.trees import load_tree
from tests.server.observing import call_action, samples, summary, value

WORKER = Path(__file__).with_name("metrics_worker.py")
ANSWERED = {"channel": "vca", "event_type": "CALL_ACTION", "outcome": "answered", "status": "200"}


@pytest.fixture()
def server(store: Store, tmp_path: Path) -> Iterator[BackgroundServer]:
    app = create_app(load_tree(), store=store, spool=tmp_path / "spool.jsonl")
    with BackgroundServer(app) as running:
        yield running


def scrape(client: httpx.Client) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return response.text


@pytest.mark.e2e
def test_the_counters_move_by_what_was_delivered(server: BackgroundServer) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        before = scrape(client)
        assert value(before, "ivrkit_deliveries_total", **ANSWERED) == 0
        for number, digits in enumerate(["9", "1", "2"]):
            event = call_action(f"e-{number}", digits, session_id=f"s-{number}", action_id="main")
            assert client.post("/webhooks/vca", json=event).status_code == 200
        repeat = call_action("e-1", "1", session_id="s-1", action_id="main")
        assert client.post("/webhooks/vca", json=repeat).status_code == 200
        assert client.post("/webhooks/vss", json=summary("s-1", "COMPLETED")).status_code == 200
        assert client.post("/webhooks/vss", json=summary("s-2", "NO_ANSWER")).status_code == 200
        assert client.post("/webhooks/vca", content=b"{not json").status_code == 400
        page = scrape(client)

    deliveries = "ivrkit_deliveries_total"
    assert value(page, deliveries, **ANSWERED) == 3
    assert value(page, deliveries, **{**ANSWERED, "outcome": "repeated"}) == 1
    vss = {"channel": "vss", "event_type": "SESSION_SUMMARY", "outcome": "summary", "status": "200"}
    assert value(page, deliveries, **vss) == 2
    bad = {"channel": "vca", "event_type": "none", "outcome": "bad-json", "status": "400"}
    assert value(page, deliveries, **bad) == 1
    assert value(page, "ivrkit_summaries_total", session_status="COMPLETED") == 1
    assert value(page, "ivrkit_summaries_total", session_status="NO_ANSWER") == 1
    # 9 repeats the menu, 1 hangs up, 2 transfers; the repeated eventId is no new visit.
    for node in ("main", "resolved", "agent"):
        assert value(page, "ivrkit_node_visits_total", tree="simple_ivr", node=node) == 1
    assert value(page, "ivrkit_answer_seconds_count", channel="vca") == 5
    assert value(page, "ivrkit_answer_seconds_count", channel="vss") == 2
    # Committed: three answers, two summaries, the bad body (the repeat was answered from memory).
    assert value(page, "ivrkit_commit_batch_size_sum") == 6
    assert value(page, "ivrkit_commit_seconds_count") == value(
        page, "ivrkit_commit_batch_size_count"
    )
    assert value(page, "ivrkit_commit_queue_depth") == 0


@pytest.mark.e2e
def test_concurrent_deliveries_are_counted_once_each(server: BackgroundServer) -> None:
    # One client shared by the threads (its pool holds a connection per thread in flight): a
    # client per delivery would cost a TLS context each, most of this test's CPU.
    with httpx.Client(base_url=server.url, timeout=10) as client:

        def post(number: int) -> int:
            event = call_action(f"c-{number}", "1", session_id=f"cs-{number}", action_id="main")
            return client.post("/webhooks/vca", json=event).status_code

        with ThreadPoolExecutor(max_workers=16) as pool:
            assert set(pool.map(post, range(64))) == {200}
        page = scrape(client)
    assert value(page, "ivrkit_deliveries_total", **ANSWERED) == 64
    assert value(page, "ivrkit_commit_batch_size_sum") == 64
    assert value(page, "ivrkit_commit_batch_size_count") <= 64


@pytest.mark.e2e
def test_strangers_cannot_grow_the_label_sets(server: BackgroundServer) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        for number in range(5):
            body = {"eventType": f"MADE_UP_{number}", "payload": {}}
            assert client.post(f"/webhooks/odd{number}", json=body).status_code == 200
        page = scrape(client)
    series = [key for key in samples(page) if key[0] == "ivrkit_deliveries_total"]
    assert [dict(labels) for _, labels in series] == [
        {"channel": "other", "event_type": "other", "outcome": "ignored", "status": "200"}
    ]
    assert value(page, "ivrkit_deliveries_total", **dict(series[0][1])) == 5


def test_prepare_metrics_dir_creates_empties_and_exports_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MULTIPROC_ENV, "restored-after-the-test")
    metrics_dir = tmp_path / "metrics"
    assert prepare_metrics_dir(metrics_dir) == metrics_dir.resolve()
    assert metrics_dir.is_dir()
    (metrics_dir / "counter_4242.db").write_bytes(b"left by a previous run")
    (metrics_dir / "README").write_text("not a metrics file")
    prepare_metrics_dir(metrics_dir)
    assert sorted(path.name for path in metrics_dir.iterdir()) == ["README"]
    assert os.environ[MULTIPROC_ENV] == str(metrics_dir.resolve())


def _start_worker(tmp_path: Path, name: str, metrics_dir: Path, mode: str) -> subprocess.Popen[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("IVRKIT_")}
    env.pop(MULTIPROC_ENV, None)
    if mode == "env":
        env[MULTIPROC_ENV] = str(metrics_dir)
    return subprocess.Popen(
        [sys.executable, str(WORKER), f"sqlite:///{tmp_path / name}.db", mode, str(metrics_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )


@pytest.mark.e2e
def test_workers_sharing_a_metrics_dir_are_summed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One worker finds PROMETHEUS_MULTIPROC_DIR set when it starts; the other imports
    prometheus-client first and is given the directory as create_app's metrics_dir."""
    monkeypatch.setenv(MULTIPROC_ENV, "restored-after-the-test")
    metrics_dir = prepare_metrics_dir(tmp_path / "metrics")
    workers = [
        _start_worker(tmp_path, "a", metrics_dir, "env"),
        _start_worker(tmp_path, "b", metrics_dir, "option"),
    ]
    try:
        urls = []
        for worker in workers:
            assert worker.stdout is not None
            urls.append(worker.stdout.readline().strip())
        assert all(url.startswith("http://127.0.0.1:") for url in urls), urls
        with httpx.Client() as client:
            for number in range(2):
                event = call_action(f"a-{number}", "1", session_id=f"a-{number}", action_id="main")
                assert client.post(urls[0] + "/webhooks/vca", json=event).status_code == 200
            for number in range(3):
                event = call_action(f"b-{number}", "2", session_id=f"b-{number}", action_id="main")
                assert client.post(urls[1] + "/webhooks/vca", json=event).status_code == 200
            assert client.post(urls[1] + "/webhooks/vss", json=summary("b-0")).status_code == 200
            pages = [client.get(url + "/metrics").text for url in urls]
    finally:
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.close()
        for worker in workers:
            worker.wait(timeout=30)
            assert worker.stdout is not None
            worker.stdout.close()
    for page in pages:  # either worker answers the scrape for both
        assert value(page, "ivrkit_deliveries_total", **ANSWERED) == 5
        assert value(page, "ivrkit_node_visits_total", tree="simple_ivr", node="resolved") == 2
        assert value(page, "ivrkit_node_visits_total", tree="simple_ivr", node="agent") == 3
        assert value(page, "ivrkit_summaries_total", session_status="COMPLETED") == 1
        assert value(page, "ivrkit_answer_seconds_count", channel="vca") == 5
        assert value(page, "ivrkit_commit_batch_size_sum") == 6
        assert value(page, "ivrkit_commit_queue_depth") == 0
    assert sorted(path.name.split("_")[0] for path in metrics_dir.glob("*.db")) == [
        "counter",
        "counter",
        "gauge",
        "gauge",
        "histogram",
        "histogram",
    ]
    # A supervisor drops the live gauges of a worker that exited; its counts stay.
    forget_worker(workers[0].pid, metrics_dir)
    assert not (metrics_dir / f"gauge_livesum_{workers[0].pid}.db").exists()
    assert (metrics_dir / f"gauge_livesum_{workers[1].pid}.db").exists()
    assert (metrics_dir / f"counter_{workers[0].pid}.db").exists()


def test_past_the_series_limit_new_label_values_count_as_other() -> None:
    metrics = ServerMetrics()
    for number in range(MAX_SERIES + 5):
        metrics.node_visit("tree", f"node-{number}")
    metrics.summary("SOMETHING_NEW")
    page = metrics.render().decode()
    visits = [key for key in samples(page) if key[0] == "ivrkit_node_visits_total"]
    assert len(visits) == MAX_SERIES + 1
    assert value(page, "ivrkit_node_visits_total", tree="other", node="other") == 5
    assert value(page, "ivrkit_node_visits_total", tree="tree", node="node-0") == 1
    assert value(page, "ivrkit_summaries_total", session_status="other") == 1


def test_a_metrics_dir_that_cannot_be_made_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigError, match="cannot use .* as the metrics directory"):
        prepare_metrics_dir(blocker / "metrics")


@pytest.mark.e2e
def test_metrics_that_cannot_be_recorded_cost_no_answer_and_no_commit(
    server: BackgroundServer,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """In multi-process mode every increment writes a file; a full disk must not reach the
    answers or the committer thread."""

    def full_disk(self: object, amount: float) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(prometheus_values.MutexValue, "inc", full_disk)
    with httpx.Client(base_url=server.url, timeout=10) as client:
        for number in range(3):
            event = call_action(f"f-{number}", "1", session_id=f"f-{number}", action_id="main")
            assert client.post("/webhooks/vca", json=event).status_code == 200
        assert client.post("/webhooks/vss", json=summary("f-0")).status_code == 200
    assert [d.event_id for d in store.deliveries() if d.event_id] == ["f-0", "f-1", "f-2"]
    assert store.summary("f-0") is not None
    failures = [r for r in caplog.records if r.getMessage().startswith("metrics cannot be")]
    assert len(failures) == 1
    assert "No space left on device" in failures[0].getMessage()
