"""HTTP/1.1 POSTs of webhook bodies over kept-alive connections: the simulator's hot loop.

A simulated call sends three or four webhooks, so the cost of one POST decides how many calls
a core can drive. Each request here is one write of prepared bytes and one parse of the answer
with httptools (uvicorn's own HTTP parser, already a dependency), over an idle connection to the
same origin when there is one; the request line and headers of each (URL, headers) pair are
encoded once and kept, so a request costs one concatenation. Redirects are not followed (a 3xx is
a failed delivery, as any non-2xx). Library clients cost several times more CPU a request on this
path (measured: see the commit that added this module).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Sequence
from functools import lru_cache
from typing import cast
from urllib.parse import urlsplit

import httptools

__all__ = ["Headers", "Poster", "PostFailed"]

Headers = Sequence[tuple[str, str]]
"""Request headers as (name, value) pairs; a tuple, so that the prepared request head is kept."""


class PostFailed(Exception):
    """The request could not be sent or its answer not read (not a timeout, not an HTTP status)."""


class _Connection(asyncio.Protocol):
    """One connection; at most one request on it at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.open = True
        self._parser = httptools.HttpResponseParser(self)
        self._answer: asyncio.Future[tuple[int, bytes]] | None = None
        self._body: list[bytes] = []
        self._headers_done = False
        self._complete = False
        self._keep_alive = False
        self.received = False
        """Whether any byte of an answer came on this connection for the current request."""

    # -- asyncio.Protocol --------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self.received = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(PostFailed(f"invalid HTTP answer: {exc}"))
            self.close()

    def eof_received(self) -> bool:
        self.open = False
        if self._headers_done and not self._complete:  # a body that runs until the close
            self.on_message_complete()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        if self._headers_done and not self._complete:
            self.on_message_complete()
        self._fail(PostFailed(f"connection closed: {exc}" if exc else "connection closed"))

    # -- httptools callbacks -----------------------------------------------------------------

    def on_headers_complete(self) -> None:
        self._headers_done = True

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        self._complete = True
        self._keep_alive = self.open and self._parser.should_keep_alive()  # reset right after
        answer = self._answer
        if answer is not None and not answer.done():
            answer.set_result((self._parser.get_status_code(), b"".join(self._body)))

    # -- requests ----------------------------------------------------------------------------

    def _fail(self, error: Exception) -> None:
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(error)

    def send(self, request: bytes) -> asyncio.Future[tuple[int, bytes]]:
        assert self.transport is not None
        self._answer = asyncio.get_running_loop().create_future()
        self._body, self._headers_done, self._complete = [], False, False
        self._keep_alive = self.received = False
        self._parser = httptools.HttpResponseParser(self)
        self.transport.write(request)
        return self._answer

    @property
    def reusable(self) -> bool:
        return self.open and self._complete and self._keep_alive

    def close(self) -> None:
        self.open = False
        if self.transport is not None:
            self.transport.close()


class Poster:
    """POSTs to webhook URLs, keeping idle connections per origin for the next request."""

    def __init__(self) -> None:
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._tls: ssl.SSLContext | None = None

    async def post(
        self, url: str, content: bytes, headers: Headers, timeout: float
    ) -> tuple[int, bytes]:
        """(status, body) of the answer; TimeoutError past ``timeout`` seconds in all,
        PostFailed when the request cannot be made or answered, ValueError for a bad URL."""
        origin, head = _prepared(url, tuple(headers))
        request = b"%s%d\r\n\r\n%s" % (head, len(content), content)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        connection = self._take(origin)
        if connection is not None:
            try:
                return await self._exchange(origin, connection, request, deadline)
            except PostFailed:
                if connection.received:
                    raise
                # closed by the server while idle, before reading the request: once more, on a
                # new connection
        # Connecting is rare (connections are kept), so it may take asyncio's own timeout.
        async with asyncio.timeout_at(deadline):
            connection = await self._connect(origin)
        return await self._exchange(origin, connection, request, deadline)

    async def _exchange(
        self,
        origin: tuple[str, str, int],
        connection: _Connection,
        request: bytes,
        deadline: float,
    ) -> tuple[int, bytes]:
        # One timer that fails the answer, rather than a timeout scope that cancels the task:
        # half the work a request, and the same TimeoutError at the same moment.
        timer: asyncio.TimerHandle | None = None
        try:
            waiting = connection.send(request)
            timer = asyncio.get_running_loop().call_at(deadline, _expire, waiting)
            answer = await waiting
        except BaseException:
            connection.close()
            raise
        finally:
            if timer is not None:
                timer.cancel()
        if connection.reusable:
            self._idle.setdefault(origin, []).append(connection)
        else:
            connection.close()
        return answer

    def _take(self, origin: tuple[str, str, int]) -> _Connection | None:
        idle = self._idle.get(origin)
        while idle:
            connection = idle.pop()
            if connection.open and connection.transport and not connection.transport.is_closing():
                return connection
        return None

    async def _connect(self, origin: tuple[str, str, int]) -> _Connection:
        scheme, host, port = origin
        tls: ssl.SSLContext | None = None
        if scheme == "https":
            if self._tls is None:
                self._tls = ssl.create_default_context()
            tls = self._tls
        loop = asyncio.get_running_loop()
        try:
            _, connection = await loop.create_connection(_Connection, host, port, ssl=tls)
        except OSError as exc:
            raise PostFailed(f"{type(exc).__name__}: {exc}") from exc
        return connection

    def close(self) -> None:
        """Close every idle connection."""
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()


def _expire(waiting: asyncio.Future[tuple[int, bytes]]) -> None:
    if not waiting.done():
        waiting.set_exception(TimeoutError())


def _parse(url: str) -> tuple[tuple[str, str, int], str, str]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url}")
    port = parts.port or (443 if scheme == "https" else 80)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    default = (scheme == "http" and port == 80) or (scheme == "https" and port == 443)
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    host_header = host if default else f"{host}:{port}"
    return (scheme, parts.hostname, port), target, host_header


@lru_cache(maxsize=1024)
def _prepared(url: str, headers: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str, int], bytes]:
    """The origin of ``url`` and the request's head up to the value of Content-Length (header
    values were checked when the webhook was registered); a bad URL is not kept."""
    origin, target, host = _parse(url)
    lines = [f"POST {target} HTTP/1.1", f"Host: {host}"]
    lines.extend(f"{name}: {value}" for name, value in headers)
    lines.append("Content-Length: ")
    return origin, "\r\n".join(lines).encode("latin-1")
