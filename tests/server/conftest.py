"""Helpers for the server tests: a client that waits for the writer after each request, of the
app served in this process (tests/asgi.py) or on a loopback port."""

from __future__ import annotations

from typing import Any

import httpx

from tests.asgi import InProcessServer, Server, Through

__all__ = ["InProcessServer", "SettledClient"]


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
