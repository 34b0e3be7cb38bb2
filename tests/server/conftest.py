"""Helpers for the server tests."""

from __future__ import annotations

from typing import Any

import httpx

from ivrkit._serving import BackgroundServer


class SettledClient(httpx.Client):
    """An HTTP client that, after each request, waits for the server's writer to store what
    the request told it (events are recorded just behind their answer)."""

    def __init__(self, server: BackgroundServer, **kwargs: Any) -> None:
        super().__init__(base_url=server.url, timeout=10, **kwargs)
        self._pipeline = server.app.state.pipeline  # type: ignore[attr-defined]

    def request(self, *args: Any, **kwargs: Any) -> httpx.Response:
        response = super().request(*args, **kwargs)
        assert self._pipeline.flush(), "the writer did not settle"
        return response
