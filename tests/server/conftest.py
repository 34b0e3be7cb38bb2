"""Helpers for the server tests: a new SQLite store per test, and a client that waits for the
writer after each request, of the app served in this process (tests/asgi.py) or on a loopback
port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ivrkit.store import Store, open_store
from tests.asgi import InProcessServer, Server, Through

__all__ = ["InProcessServer", "SettledClient"]


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    """A new SQLite store in the test's folder, closed after the test."""
    opened = open_store(f"sqlite:///{tmp_path / 'ivrkit.db'}")
    yield opened
    opened.close()


class SettledClient(httpx.Client):
    """An HTTP client that, after each request, waits for the server's writer to store what
    the request told it (events are recorded just behind their answer)."""

    def __init__(self, server: Server, **kwargs: Any) -> None:
        if isinstance(server, InProcessServer):
            kwargs.setdefault("transport", Through(server))
        super().__init__(base_url=server.url, timeout=10, **kwargs)
        self._pipeline = server.app.state.pipeline

    def request(self, *args: Any, **kwargs: Any) -> httpx.Response:
        response = super().request(*args, **kwargs)
        assert self._pipeline.flush(), "the writer did not settle"
        return response
