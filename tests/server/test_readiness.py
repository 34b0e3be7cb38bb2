"""`GET /readyz` over real HTTP: ready while the store answers and its schema is current,
503 with the reason otherwise."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ivrkit._serving import BackgroundServer
from ivrkit.server import _readiness as readiness
from ivrkit.server import create_app
from ivrkit.store import Store
from ivrkit.trees import load_tree


@pytest.fixture()
def server(store: Store, tmp_path: Path) -> Iterator[BackgroundServer]:
    app = create_app(load_tree(), store=store, spool=tmp_path / "spool.jsonl")
    with BackgroundServer(app) as running:
        yield running


@pytest.mark.e2e
def test_ready_while_the_store_answers(server: BackgroundServer) -> None:
    response = httpx.get(server.url + "/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "problem": None}


@pytest.mark.e2e
def test_not_ready_when_the_store_cannot_be_reached(server: BackgroundServer, store: Store) -> None:
    store.close()
    response = httpx.get(server.url + "/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not-ready"
    assert body["problem"].startswith("the store is unreachable: ")
    assert "closed" in body["problem"]
    assert httpx.get(server.url + "/healthz").status_code == 200  # alive, only not ready


@pytest.mark.e2e
def test_not_ready_when_the_schema_is_not_current(server: BackgroundServer, tmp_path: Path) -> None:
    """Another version downgraded the store under a running server: it leaves the rotation."""
    from ivrkit.store import _migrate as migrate

    migrate.downgrade(f"sqlite:///{tmp_path / 'ivrkit.db'}", "0001")
    response = httpx.get(server.url + "/readyz")
    assert response.status_code == 503
    assert "schema is at revision 0001" in response.json()["problem"]
    assert "ivrkit db upgrade" in response.json()["problem"]


@pytest.mark.e2e
def test_not_ready_when_the_store_does_not_answer_in_time(
    server: BackgroundServer, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    released = threading.Event()
    monkeypatch.setattr(store, "ping", lambda: released.wait(10))
    monkeypatch.setattr(readiness, "READY_TIMEOUT", 0.2)
    try:
        response = httpx.get(server.url + "/readyz", timeout=5)
    finally:
        released.set()
    assert response.status_code == 503
    assert response.json()["problem"] == "the store did not answer within 0.2 s"
