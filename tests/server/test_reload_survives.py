"""A server started with --reload survives whatever a changed file contains or does to the
loader (an exception, a hang), logs one line and keeps serving the running tree; and when the
committer, the store or the watcher nevertheless stops, `/healthz` answers 503 with the reason
and `/readyz` takes the replica out of rotation."""

from __future__ import annotations

import copy
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ivrkit.server import _app as server_app
from ivrkit.server import create_app
from ivrkit.server._treeset import TreeSet
from ivrkit.store import Store
from ivrkit.trees import Tree, load_tree
from tests.asgi import InProcessServer
from tests.calendar_trees import open_or_closed, support_calendar
from tests.conftest import load_fixture

CALENDAR = support_calendar(extra="ical: [holidays.ics]\n")
TREE = open_or_closed()
GOOD_ICS = """\
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:1
DTSTART;VALUE=DATE:20261225
SUMMARY:Christmas
END:VEVENT
END:VCALENDAR
"""
EVERY_SECOND_ICS = GOOD_ICS.replace("SUMMARY:Christmas", "SUMMARY:Christmas\nRRULE:FREQ=SECONDLY")
"""The issue's calendar that expanded without end: the loader now refuses it with a reason."""


@pytest.fixture()
def tree_path(tmp_path: Path) -> Path:
    (tmp_path / "support.yaml").write_text(CALENDAR, encoding="utf-8")
    (tmp_path / "holidays.ics").write_text(GOOD_ICS, encoding="utf-8")
    path = tmp_path / "tree.yaml"
    path.write_text(TREE, encoding="utf-8")
    return path


def vca(event_id: str) -> dict[str, Any]:
    event = copy.deepcopy(load_fixture("vca_dtmf_eventdata.json"))
    event["payload"].pop("clientActionId")
    event["payload"].update(eventId=event_id, sessionId=f"s-{event_id}")
    return event


def touch(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    stamp = time.time() + 5  # a new modification time even on a coarse clock
    os.utime(path, (stamp, stamp))


def wait_for(condition: Callable[[], bool], seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def serve(store: Store, trees: TreeSet, tmp_path: Path) -> InProcessServer:
    app = create_app(trees, store=store, spool=tmp_path / "spool.jsonl", reload_interval=0.05)
    return InProcessServer(app)


def served(tree_path: Path, loader: Callable[[Path], Tree] = load_tree) -> TreeSet:
    return TreeSet([load_tree(tree_path)], paths=[tree_path], loader=loader)


def test_a_calendar_that_is_refused_leaves_the_server_serving(
    store: Store, tree_path: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    trees = served(tree_path)
    version = trees.default.version
    with serve(store, trees, tmp_path) as server, server.client() as http:
        with caplog.at_level(logging.WARNING, logger="ivrkit.server"):
            touch(tmp_path / "holidays.ics", EVERY_SECOND_ICS)
            assert wait_for(lambda: "kept the running 'line'" in caplog.text), caplog.text
        assert "repeats within a day" in caplog.text
        assert trees.default.version == version
        assert http.post("/webhooks/vca", json=vca("after-bad-ics")).status_code == 200
        assert server.app.pipeline.flush()
        assert store.find_answered("after-bad-ics") is not None
        health = http.get("/healthz")
        assert health.status_code == 200, health.json()
        assert health.json()["status"] == "ok"
        assert health.json()["committer"] == "running"
        assert http.get("/readyz").status_code == 200
        # and a good file afterwards is still picked up: the watcher lives on
        touch(tmp_path / "holidays.ics", GOOD_ICS.replace("20261225", "20261226"))
        assert wait_for(lambda: trees.default.version != version)


def test_a_loader_that_raises_anything_keeps_the_running_tree(
    store: Store, tree_path: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def exhausted(path: Path) -> Tree:
        raise MemoryError("expanding the calendar ran out of memory")

    trees = served(tree_path, exhausted)
    with serve(store, trees, tmp_path) as server, server.client() as http:
        with caplog.at_level(logging.WARNING, logger="ivrkit.server"):
            touch(tree_path, TREE)
            assert wait_for(lambda: "MemoryError" in caplog.text), caplog.text
        assert "kept the running 'line'" in caplog.text
        assert "Traceback" not in caplog.text
        assert http.post("/webhooks/vca", json=vca("after")).status_code == 200
        assert http.get("/healthz").json()["status"] == "ok"
        assert http.get("/readyz").status_code == 200


def test_a_reload_that_never_finishes_is_left_behind_and_said_so(
    store: Store, tree_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's FREQ=SECONDLY calendar expanded without end: the watcher stops waiting, the
    running tree is served, /healthz says a reload is stuck (degraded, still in rotation)."""
    from ivrkit.server import _reloading

    monkeypatch.setattr(_reloading, "RELOAD_TIMEOUT", 0.2)
    release = threading.Event()
    calls: list[Path] = []

    def endless(path: Path) -> Tree:
        calls.append(path)
        release.wait(30)
        return load_tree(path)

    trees = served(tree_path, endless)
    version = trees.default.version
    try:
        with serve(store, trees, tmp_path) as server, server.client() as http:
            touch(tmp_path / "holidays.ics", GOOD_ICS.replace("20261225", "20261226"))
            assert wait_for(lambda: "a tree reload has been running" in http.get("/healthz").text)
            health = http.get("/healthz")
            assert health.status_code == 200
            assert health.json()["status"] == "degraded"
            assert http.post("/webhooks/vca", json=vca("during")).status_code == 200
            assert server.app.pipeline.flush()
            assert store.find_answered("during") is not None
            assert trees.default.version == version
            assert len(calls) == 1  # no second load piles up behind the stuck one
            release.set()
            assert wait_for(lambda: trees.default.version != version)
            assert http.get("/healthz").json()["status"] == "ok"
    finally:
        release.set()


class Escaped(BaseException):
    """Something no `except Exception` catches."""


def _unhealthy(http: Any, reason: str) -> None:
    health = http.get("/healthz")
    assert health.status_code == 503, health.json()
    assert health.json()["status"] == "failed"
    assert any(reason in problem for problem in health.json()["problems"]), health.json()
    ready = http.get("/readyz")
    assert ready.status_code == 503, ready.json()
    assert reason in ready.json()["problem"]


def test_a_watcher_that_stops_is_503_on_healthz_and_readyz(
    store: Store, tree_path: Path, tmp_path: Path
) -> None:
    trees = served(tree_path)
    with serve(store, trees, tmp_path) as server, server.client() as http:
        watcher = server.app.watcher

        async def escape() -> None:
            raise Escaped("the watcher's own failure")

        watcher.reload_once = escape
        assert wait_for(lambda: watcher.failure is not None)
        _unhealthy(http, "the tree reload watcher stopped: Escaped: the watcher's own failure")
        # the store and the committer are untouched: deliveries are still kept
        assert http.post("/webhooks/vca", json=vca("after")).status_code == 200
        assert server.app.pipeline.flush()
        assert store.find_answered("after") is not None


def test_a_stopped_committer_is_503_on_healthz_and_readyz(
    store: Store, tree_path: Path, tmp_path: Path
) -> None:
    with serve(store, served(tree_path), tmp_path) as server, server.client() as http:
        assert http.get("/healthz").status_code == 200
        server.app.committer.stop()
        _unhealthy(http, "the committer has stopped")
        assert http.get("/healthz").json()["committer"] == "stopped"


def test_a_committer_thread_that_ends_is_503_on_healthz_and_readyz(
    store: Store, tree_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve(store, served(tree_path), tmp_path) as server, server.client() as http:
        committer = server.app.committer

        def broken(items: Any) -> None:
            raise Escaped("the committer's own failure")

        monkeypatch.setattr(committer, "_write", broken)
        assert http.post("/webhooks/vca", json=vca("killer")).status_code in (200, 503)
        assert wait_for(lambda: committer.failure() is not None)
        _unhealthy(http, "the committer thread has ended: Escaped: the committer's own failure")
        assert http.get("/healthz").json()["committer"] == "ended"
        monkeypatch.undo()  # the shutdown writes what is left


def test_a_projector_thread_that_ends_is_503_on_healthz_and_readyz(
    store: Store, tree_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve(store, served(tree_path), tmp_path) as server, server.client() as http:

        def broken(*args: Any, **kwargs: Any) -> int:
            raise Escaped("the projector's own failure")

        monkeypatch.setattr(store, "catch_up", broken)
        assert http.post("/webhooks/vca", json=vca("poke")).status_code == 200
        assert wait_for(lambda: server.app.committer.failure() is not None)
        _unhealthy(http, "the projector thread has ended")
        monkeypatch.undo()


def test_a_server_whose_lifespan_has_ended_is_503(
    store: Store, tree_path: Path, tmp_path: Path
) -> None:
    """What answers after the lifespan has closed the store (a request outliving shutdown)."""
    import anyio
    from starlette.requests import Request

    server = serve(store, served(tree_path), tmp_path)
    with server:
        pass
    app: server_app.WebhookApp = server.app
    request = Request({"type": "http", "method": "GET", "path": "/healthz", "headers": []})
    health = anyio.run(app.healthz, request)
    assert health.status_code == 503
    assert b"the server is stopping" in health.body
    assert anyio.run(app.readyz, request).status_code == 503


def test_a_store_that_fails_its_commits_is_503_until_it_commits_again(
    store: Store, tree_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ivrkit.errors import StoreError
    from ivrkit.server import _committer

    monkeypatch.setattr(_committer, "RETRY", 0.05)
    record_batch, record_vca = store.record_batch, store.record_vca

    def failing(*args: Any, **kwargs: Any) -> Any:
        raise StoreError("the disk is full")

    with serve(store, served(tree_path), tmp_path) as server, server.client() as http:
        monkeypatch.setattr(store, "record_batch", failing)
        monkeypatch.setattr(store, "record_vca", failing)
        assert http.post("/webhooks/vca", json=vca("spooled")).status_code == 200
        health = http.get("/healthz")
        assert health.status_code == 503, health.json()
        assert "has not committed since" in " ".join(health.json()["problems"])
        monkeypatch.setattr(store, "record_batch", record_batch)
        monkeypatch.setattr(store, "record_vca", record_vca)
        # no new delivery needed: the idle committer tries the spool again
        assert wait_for(lambda: http.get("/healthz").status_code == 200), http.get("/healthz")
        assert store.find_answered("spooled") is not None
