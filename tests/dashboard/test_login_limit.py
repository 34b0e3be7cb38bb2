"""The login limit counts the connection's peer: X-Forwarded-For is believed only from the
proxies configured, and the workers of one server share one count (as docs/dashboard.md says)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import anyio
import pytest

from ivrkit._http_protocol import TRUSTED_PROXIES_VARIABLE, server_config
from ivrkit.dashboard import DashboardSettings, standalone_app
from ivrkit.store import Store
from tests.asgi import InProcessServer
from tests.dashboard.conftest import TOKEN, Calls


def client_seen(headers: list[tuple[bytes, bytes]], peer: str) -> str:
    """The client address an app served by ivrkit's uvicorn configuration sees."""
    seen: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope["client"][0])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    config = server_config(app, host="127.0.0.1", port=0)
    config.load()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/dashboard/login",
        "raw_path": b"/dashboard/login",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": (peer, 40000),
        "server": ("127.0.0.1", 8080),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        pass

    anyio.run(config.loaded_app, scope, receive, send)
    return seen[0]


FORWARDED = [(b"x-forwarded-for", b"203.0.113.7")]


def test_forwarded_for_is_not_believed_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TRUSTED_PROXIES_VARIABLE, raising=False)
    assert client_seen(FORWARDED, "127.0.0.1") == "127.0.0.1"


def test_forwarded_for_is_believed_from_a_configured_proxy_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(TRUSTED_PROXIES_VARIABLE, "10.0.0.2")
    assert client_seen(FORWARDED, "10.0.0.2") == "203.0.113.7"
    assert client_seen(FORWARDED, "127.0.0.1") == "127.0.0.1"


def test_workers_given_one_folder_share_the_limit(
    calls: Calls, store: Store, tmp_path: Path
) -> None:
    """Two workers are two apps: given the folder their server shares, they allow the attempts
    of one process together, not twice as many."""
    settings = DashboardSettings(
        token=TOKEN, login_attempts=2, clock=lambda: calls.now, login_limit_dir=tmp_path
    )
    answers: list[int] = []
    with (
        InProcessServer(standalone_app(store, settings)) as first,
        InProcessServer(standalone_app(store, settings)) as second,
    ):
        for worker in (first, second, first, second):
            with worker.client(timeout=10.0) as client:
                answers.append(client.post("/dashboard/login", data={"token": "x"}).status_code)
        with second.client(timeout=10.0) as client:
            right = client.post("/dashboard/login", data={"token": TOKEN})
    assert answers == [401, 401, 429, 429]
    assert right.status_code == 429  # refused before the token is read, as in one process


def test_a_right_token_clears_the_shared_count(calls: Calls, store: Store, tmp_path: Path) -> None:
    settings = DashboardSettings(
        token=TOKEN, login_attempts=2, clock=lambda: calls.now, login_limit_dir=tmp_path
    )
    with (
        InProcessServer(standalone_app(store, settings)) as first,
        InProcessServer(standalone_app(store, settings)) as second,
    ):
        with first.client(timeout=10.0) as client:
            assert client.post("/dashboard/login", data={"token": "x"}).status_code == 401
        with second.client(timeout=10.0) as client:
            assert client.post("/dashboard/login", data={"token": TOKEN}).status_code == 303
        with first.client(timeout=10.0) as client:
            answers = [
                client.post("/dashboard/login", data={"token": "x"}).status_code for _ in range(3)
            ]
    assert answers == [401, 401, 429]


def test_an_unusable_shared_folder_falls_back_to_this_process(
    calls: Calls, store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A folder that cannot hold the file never locks anyone out nor answers 500: the process
    counts alone, and says so in one line."""
    missing = tmp_path / "gone"
    settings = DashboardSettings(
        token=TOKEN, login_attempts=2, clock=lambda: calls.now, login_limit_dir=missing
    )
    caplog.set_level(logging.WARNING, logger="ivrkit.dashboard")
    with InProcessServer(standalone_app(store, settings)) as worker:
        with worker.client(timeout=10.0) as client:
            answers = [
                client.post("/dashboard/login", data={"token": "x"}).status_code for _ in range(3)
            ]
    assert answers == [401, 401, 429]
    said = [r.getMessage() for r in caplog.records if "login limit" in r.getMessage()]
    assert len(said) == 1, said
    assert str(missing) in said[0]
