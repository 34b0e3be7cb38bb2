"""How ivrkit's servers speak HTTP: uvicorn, with two things it lacks for a public endpoint.

- **A read deadline.** uvicorn closes idle keep-alive connections (``keep_alive`` seconds) but
  waits without end for a request that arrives slowly: 200 connections trickling header bytes
  stay open as long as their senders like. Here a request must arrive whole — headers and body —
  within ``read_timeout`` seconds of its first byte (or of the connection opening); otherwise the
  connection gets ``408 Request Timeout`` and is closed.
- **Half-closed connections.** A client may send its request and then shut down its sending
  side. asyncio then closes the transport, and the answer (for a summary already stored) never
  reaches the client. Here the connection stays open for the answer, and closes after it.

A reverse proxy in front (HAProxy, nginx) should still enforce its own limits: see the README.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
from typing import Any, Protocol

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

READ_TIMEOUT = 10.0
"""Seconds a whole request (headers and body) may take to arrive."""
KEEP_ALIVE = 5.0
"""Seconds an idle keep-alive connection is kept open."""

_TIMEOUT_ANSWER = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 34\r\nconnection: close\r\n\r\nthe request did not arrive in time"
)


class _Cycle(Protocol):
    more_body: bool
    response_complete: bool
    keep_alive: bool


class _Deadlines:
    """Mixed into uvicorn's protocol classes (h11 or httptools)."""

    read_timeout: float = READ_TIMEOUT
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    _read_deadline: asyncio.TimerHandle | None = None

    @property
    def _cycle(self) -> _Cycle | None:
        cycle: _Cycle | None = getattr(self, "cycle", None)
        return cycle

    def _request_arrived(self) -> bool:
        cycle = self._cycle
        return cycle is not None and not cycle.more_body and not cycle.response_complete

    def _watch_reading(self) -> None:
        if self._request_arrived():
            if self._read_deadline is not None:
                self._read_deadline.cancel()
                self._read_deadline = None
        elif self._read_deadline is None:
            self._read_deadline = self.loop.call_later(self.read_timeout, self._read_timed_out)

    def _read_timed_out(self) -> None:
        self._read_deadline = None
        if self._request_arrived() or self.transport.is_closing():
            return
        cycle = self._cycle
        if cycle is None or cycle.response_complete:  # nothing was answered on it yet
            self.transport.write(_TIMEOUT_ANSWER)
        self.transport.close()

    def _stop_watching(self) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
            self._read_deadline = None

    # The protocol's own callbacks, each extended; the base protocol class follows in the MRO.
    def connection_made(self, transport: asyncio.Transport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._watch_reading()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)  # type: ignore[misc]
        self._watch_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_watching()
        super().connection_lost(exc)  # type: ignore[misc]

    def eof_received(self) -> bool:
        return self._half_closed()

    def _half_closed(self) -> bool:
        """On EOF: True keeps the transport open to write the answer of a request in progress."""
        cycle = self._cycle
        if cycle is not None and not cycle.response_complete and not cycle.more_body:
            cycle.keep_alive = False  # close once the answer is written
            return True
        return False


# The mixin's transport type and eof_received's bool narrow uvicorn's signatures, as asyncio's
# own protocols allow (eof_received returning True keeps the transport open).
class H11WithDeadlines(_Deadlines, H11Protocol):  # type: ignore[misc]
    """uvicorn's h11 protocol with the read deadline and half-close."""


def _protocol_classes() -> list[type[Any]]:
    classes: list[type[Any]] = [H11WithDeadlines]
    if importlib.util.find_spec("httptools") is not None:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

        class HttpToolsWithDeadlines(_Deadlines, HttpToolsProtocol):  # type: ignore[misc]
            """uvicorn's httptools protocol with the read deadline and half-close."""

        classes.insert(0, HttpToolsWithDeadlines)
    return classes


def protocol_class(read_timeout: float = READ_TIMEOUT) -> type[Any]:
    """uvicorn's fastest available HTTP protocol, with the read deadline and half-close."""
    base = _protocol_classes()[0]
    return type(base.__name__, (base,), {"read_timeout": read_timeout})


TRUSTED_PROXIES_VARIABLE = "IVRKIT_TRUSTED_PROXIES"
"""Addresses of the reverse proxies whose X-Forwarded-For / -Proto a server believes (comma
separated, as uvicorn's ``forwarded_allow_ips``); unset: none, the peer is the client."""


def trusted_proxies() -> str:
    return os.environ.get(TRUSTED_PROXIES_VARIABLE, "").strip()


READ_TIMEOUT_VARIABLE = "IVRKIT_READ_TIMEOUT"
"""How `ivrkit serve --workers` tells its worker processes the read deadline."""


def _worker_read_timeout() -> float:
    try:
        return float(os.environ.get(READ_TIMEOUT_VARIABLE, READ_TIMEOUT))
    except ValueError:
        return READ_TIMEOUT


WorkerProtocol = protocol_class(_worker_read_timeout())
"""The protocol worker processes import by name (``ivrkit._http_protocol:WorkerProtocol``)."""


def server_config(
    app: Any,
    *,
    host: str,
    port: int,
    read_timeout: float = READ_TIMEOUT,
    keep_alive: float = KEEP_ALIVE,
    log_level: str = "warning",
    access_log: bool = False,
    worker_protocol: bool = False,
    **options: Any,
) -> uvicorn.Config:
    """The uvicorn configuration every ivrkit server runs with. Worker processes (``workers``
    in ``options``) import the protocol by name, with the read deadline from the environment.
    Forwarded headers are believed only from :data:`TRUSTED_PROXIES_VARIABLE`'s addresses."""
    http: Any = "ivrkit._http_protocol:WorkerProtocol" if worker_protocol else None
    # uvicorn believes X-Forwarded-For from 127.0.0.1 unless told otherwise: anything on this
    # machine could then pose as any client (and escape the dashboard's login limit).
    proxies = trusted_proxies()
    options.setdefault("proxy_headers", bool(proxies))
    options.setdefault("forwarded_allow_ips", proxies or None)
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=http or protocol_class(read_timeout),
        loop="auto",
        timeout_keep_alive=int(max(1, keep_alive)),
        log_level=log_level,
        access_log=access_log,
        **options,
    )
