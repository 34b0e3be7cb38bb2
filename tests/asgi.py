"""An ASGI app served in this process, without a socket: its lifespan run as uvicorn runs it, each
request handed to it through ``httpx.ASGITransport`` on an event loop of its own (a thread), so
synchronous tests and clients use it as they would a server on a loopback port.

Real sockets (:class:`ivrkit._serving.BackgroundServer`, marked ``e2e``) only where the socket is
the subject: timeouts, slow clients, connection handling, other processes.
"""

from __future__ import annotations

import math
from contextlib import ExitStack
from typing import Any, Self

import anyio
import anyio.abc
import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal

from ivrkit._serving import BackgroundServer, Started

Message = dict[str, Any]


class InProcessServer(Started):
    """``with InProcessServer(app) as server:`` — ``server.url``, ``server.client()``."""

    url = "http://127.0.0.1"

    def __init__(self, app: Any, *, client: tuple[str, int] = ("127.0.0.1", 40000)) -> None:
        self.app = app
        # Like uvicorn: an exception the app lets escape is a 500 answer, not raised here.
        self._transport = httpx.ASGITransport(app, raise_app_exceptions=False, client=client)
        self._stack = ExitStack()
        self._portal: BlockingPortal | None = None
        self._stopping: anyio.Event | None = None

    def start(self) -> Self:
        self._portal = self._stack.enter_context(start_blocking_portal())
        self._stopping = self._portal.call(anyio.Event)
        lifespan, _ = self._portal.start_task(self._lifespan)
        self._stack.callback(lifespan.result, 30)
        self._stack.callback(self._portal.call, self._stopping.set)
        return self

    def stop(self) -> None:
        self._stack.close()
        self._portal = None

    def send(self, request: httpx.Request) -> httpx.Response:
        """Hand one request to the app and wait for its whole answer."""
        if self._portal is None:
            raise RuntimeError("the in-process server is not started")
        return self._portal.call(self._send, request)

    def client(self, **options: Any) -> httpx.Client:
        """A synchronous HTTP client of this server."""
        return httpx.Client(base_url=self.url, transport=Through(self), **options)

    async def _send(self, request: httpx.Request) -> httpx.Response:
        response = await self._transport.handle_async_request(request)
        body = await response.aread()
        return httpx.Response(
            response.status_code, headers=response.headers, content=body, request=request
        )

    async def _lifespan(self, *, task_status: anyio.abc.TaskStatus[None]) -> None:
        assert self._stopping is not None
        to_app, app_receives = anyio.create_memory_object_stream[Message](math.inf)
        app_sends, from_app = anyio.create_memory_object_stream[Message](math.inf)
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}}
        async with to_app, app_receives, app_sends, from_app, anyio.create_task_group() as group:
            group.start_soon(self.app, scope, app_receives.receive, app_sends.send)
            await to_app.send({"type": "lifespan.startup"})
            answer = await from_app.receive()
            if answer["type"] != "lifespan.startup.complete":
                raise RuntimeError(f"the app did not start: {answer.get('message', answer)}")
            task_status.started()
            await self._stopping.wait()
            await to_app.send({"type": "lifespan.shutdown"})
            answer = await from_app.receive()
            if answer["type"] != "lifespan.shutdown.complete":
                raise RuntimeError(f"the app did not stop cleanly: {answer.get('message')}")


class Through(httpx.BaseTransport):
    """A synchronous transport into an :class:`InProcessServer`."""

    def __init__(self, server: InProcessServer) -> None:
        self._server = server

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._server.send(request)


Server = InProcessServer | BackgroundServer
