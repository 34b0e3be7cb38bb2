"""How ivrkit's servers speak HTTP: uvicorn, with three things it lacks for a public endpoint.

- **A read deadline.** uvicorn closes idle keep-alive connections (``keep_alive`` seconds) but
  waits without end for a request that arrives slowly: 200 connections trickling header bytes
  stay open as long as their senders like. Here a request must arrive whole — headers and body —
  within ``read_timeout`` seconds of its first byte (or of the connection opening); otherwise the
  connection gets ``408 Request Timeout`` and is closed.
- **A cap on the request head.** uvicorn reads a request line and headers of any size (with
  httptools an 8 MB header is read whole before the app, and authentication, ever sees it; 40
  connections each sending 20 MB of one unfinished header took a server past a gigabyte). Here
  the request line and header block may take ``max_header_bytes`` (64 KiB) at most, counted
  before the parser sees them, for both of uvicorn's parsers; past it the connection gets
  ``431 Request Header Fields Too Large`` and closes. What the client still sends is read and
  dropped for a moment (so that it reads the answer rather than a reset), never kept.
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
MAX_HEADER_BYTES = 64 * 1024
"""Largest request line plus header block read (a platform delivery's is under 1 KiB)."""
LINGER = 2.0
"""Seconds a connection refused for its head is still read (and what it sends dropped) before
it closes: closing with unread data would reset it, and the client would miss the 431."""

_TIMEOUT_ANSWER = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 34\r\nconnection: close\r\n\r\nthe request did not arrive in time"
)


def _too_large_answer(limit: int) -> bytes:
    text = f"the request line and headers exceed {limit} bytes".encode()
    return (
        b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
        b"content-type: text/plain; charset=utf-8\r\n"
        b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(text), text)
    )


class _Cycle(Protocol):
    more_body: bool
    response_complete: bool
    response_started: bool
    keep_alive: bool


class _Deadlines:
    """Mixed into uvicorn's protocol classes (h11 or httptools)."""

    read_timeout: float = READ_TIMEOUT
    max_header_bytes: int = MAX_HEADER_BYTES
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    _read_deadline: asyncio.TimerHandle | None = None
    _head_bytes: int = 0
    """Bytes of the request head being read (since the last head was read whole)."""
    _head_tail: bytes = b""
    _refused: asyncio.TimerHandle | None = None
    """Set once the head was refused: the connection is drained until this closes it."""

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
        # Nothing answered on it yet, or a body cut short that the app has not answered.
        if cycle is None or cycle.response_complete or not cycle.response_started:
            self.transport.write(_TIMEOUT_ANSWER)
        self.transport.close()

    def _awaiting_head(self) -> bool:
        # Not reading a body: what arrives is a request head, the first one or the next one
        # (pipelined behind a response still being written, even one that never ends).
        cycle = self._cycle
        return cycle is None or not cycle.more_body

    def _head_too_large(self, data: bytes) -> bool:
        """Count ``data`` into the head being read; True once the head exceeds the cap."""
        tail = self._head_tail  # the end of the head may straddle two reads
        end = (tail + data[:3]).find(b"\r\n\r\n") if tail else -1
        if end >= 0:
            counted = end + 4 - len(tail)
        else:
            found = data.find(b"\r\n\r\n")
            counted = len(data) if found < 0 else found + 4
        self._head_bytes += counted
        self._head_tail = data[-3:] if len(data) >= 3 else (tail + data)[-3:]
        return self._head_bytes > self.max_header_bytes

    def _refuse_head(self) -> None:
        self._stop_watching()
        self.transport.write(_too_large_answer(self.max_header_bytes))
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self._refused = self.loop.call_later(LINGER, self.transport.close)

    def _stop_watching(self) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
            self._read_deadline = None

    # The protocol's own callbacks, each extended; the base protocol class follows in the MRO.
    def connection_made(self, transport: asyncio.Transport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._watch_reading()

    def data_received(self, data: bytes) -> None:
        if self._refused is not None:
            return  # dropped: the connection closes after LINGER
        if self._awaiting_head() and self._head_too_large(data):
            self._refuse_head()
            return
        cycle = self._cycle
        super().data_received(data)  # type: ignore[misc]
        if self._cycle is not cycle:  # a head was read whole: count the next one from zero
            self._head_bytes = 0
            self._head_tail = b""
        self._watch_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_watching()
        if self._refused is not None:
            self._refused.cancel()
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


def protocol_class(
    read_timeout: float = READ_TIMEOUT,
    max_header_bytes: int = MAX_HEADER_BYTES,
    *,
    parser: str | None = None,
) -> type[Any]:
    """uvicorn's fastest available HTTP protocol (or the one named: "h11", "httptools"), with
    the read deadline, the cap on the request head, and half-close."""
    classes = _protocol_classes()
    if parser is not None:
        classes = [c for c in classes if c.__name__.lower().startswith(parser.lower())]
        if not classes:
            raise ValueError(f"no HTTP parser {parser!r} here: 'h11', or 'httptools' if installed")
    base = classes[0]
    options = {"read_timeout": read_timeout, "max_header_bytes": max_header_bytes}
    return type(base.__name__, (base,), options)


TRUSTED_PROXIES_VARIABLE = "IVRKIT_TRUSTED_PROXIES"
"""Addresses of the reverse proxies whose X-Forwarded-For / -Proto a server believes (comma
separated, as uvicorn's ``forwarded_allow_ips``); unset: none, the peer is the client."""


def trusted_proxies() -> str:
    return os.environ.get(TRUSTED_PROXIES_VARIABLE, "").strip()


READ_TIMEOUT_VARIABLE = "IVRKIT_READ_TIMEOUT"
"""How `ivrkit serve --workers` tells its worker processes the read deadline."""
MAX_HEADER_BYTES_VARIABLE = "IVRKIT_MAX_HEADER_BYTES"
"""How `ivrkit serve --workers` tells its worker processes the cap on the request head."""


def _worker_read_timeout() -> float:
    try:
        return float(os.environ.get(READ_TIMEOUT_VARIABLE, READ_TIMEOUT))
    except ValueError:
        return READ_TIMEOUT


def _worker_max_header_bytes() -> int:
    try:
        return int(os.environ.get(MAX_HEADER_BYTES_VARIABLE, MAX_HEADER_BYTES))
    except ValueError:
        return MAX_HEADER_BYTES


WorkerProtocol = protocol_class(_worker_read_timeout(), _worker_max_header_bytes())
"""The protocol worker processes import by name (``ivrkit._http_protocol:WorkerProtocol``)."""


def server_config(
    app: Any,
    *,
    host: str,
    port: int,
    read_timeout: float = READ_TIMEOUT,
    max_header_bytes: int = MAX_HEADER_BYTES,
    keep_alive: float = KEEP_ALIVE,
    log_level: str = "warning",
    access_log: bool = False,
    worker_protocol: bool = False,
    parser: str | None = None,
    **options: Any,
) -> uvicorn.Config:
    """The uvicorn configuration every ivrkit server runs with (``parser`` names uvicorn's
    HTTP parser, "h11" or "httptools"; the fastest by default). Worker processes (``workers``
    in ``options``) import the protocol by name, with the read deadline and the cap on the
    request head from the environment. Forwarded headers are believed only from
    :data:`TRUSTED_PROXIES_VARIABLE`'s addresses."""
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
        http=http or protocol_class(read_timeout, max_header_bytes, parser=parser),
        loop="auto",
        timeout_keep_alive=int(max(1, keep_alive)),
        # h11 refuses a head past its own limit (16 KiB by default) with a 400: let ours decide.
        h11_max_incomplete_event_size=max_header_bytes + 1,
        log_level=log_level,
        access_log=access_log,
        **options,
    )
