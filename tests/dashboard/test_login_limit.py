"""The login limit counts the connection's peer: X-Forwarded-For is believed only from the
proxies configured, and each server process keeps its own count (as docs/dashboard.md says)."""

from __future__ import annotations

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


def test_each_process_counts_its_own_failures(calls: Calls, store: Store) -> None:
    """Two workers are two apps: together they allow twice the attempts, never more."""
    settings = DashboardSettings(token=TOKEN, login_attempts=2, clock=lambda: calls.now)
    answers: list[int] = []
    for _ in range(2):
        with InProcessServer(standalone_app(store, settings)) as worker:
            client = worker.client(timeout=10.0)
            for _ in range(3):
                answers.append(client.post("/dashboard/login", data={"token": "x"}).status_code)
    assert answers == [401, 401, 429, 401, 401, 429]
