"""Run an ASGI app (webhook server, simulator) with uvicorn on a loopback port in a background
thread: how the demo, the testing kit and the end-to-end tests start real servers."""

from __future__ import annotations

import errno
import socket
import threading
import time
from types import TracebackType
from typing import Self

import uvicorn
from starlette.types import ASGIApp

from ivrkit._http_protocol import MAX_HEADER_BYTES, READ_TIMEOUT, server_config
from ivrkit.errors import ConfigError, IvrkitError


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def check_bind(host: str, port: int, *, command: str) -> None:
    """Raise :class:`ConfigError`, in one line, when ``host``:``port`` cannot be listened on (a
    port in use, an address this machine does not have, a name that does not resolve): what
    ``serve``, ``dashboard`` and ``simulator`` (``command``) check before they say they serve,
    rather than leave uvicorn's own error and exit."""
    bare = host.removeprefix("[").removesuffix("]")
    where = f"[{bare}]:{port}" if ":" in bare else f"{bare}:{port}"
    try:
        found = socket.getaddrinfo(bare, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = found[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(
                f"cannot listen on {where}: the port is in use (another `ivrkit serve`, "
                f"`ivrkit dashboard` or `ivrkit simulator`?); give `ivrkit {command}` another "
                "one with --port"
            ) from exc
        reason = exc.strerror or str(exc)
        raise ConfigError(
            f"cannot listen on {where}: {reason} "
            "(--host takes an address of this machine, e.g. 127.0.0.1, 0.0.0.0, ::1)"
        ) from exc


class BackgroundServer:
    """An ASGI app served over real HTTP on 127.0.0.1 until the context ends.

    >>> with BackgroundServer(app) as server:
    ...     httpx.get(server.url + "/healthz")
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        log_level: str = "warning",
        start_timeout: float = 10.0,
        read_timeout: float = READ_TIMEOUT,
        max_header_bytes: int = MAX_HEADER_BYTES,
        parser: str | None = None,
    ) -> None:
        self.app = app
        self.host = host
        self.port = port if port else free_port(host)
        self._start_timeout = start_timeout
        config = server_config(
            app,
            host=self.host,
            port=self.port,
            log_level=log_level,
            lifespan="on",
            timeout_graceful_shutdown=2,
            read_timeout=read_timeout,
            max_header_bytes=max_header_bytes,
            parser=parser,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, name=f"ivrkit-server-{self.port}", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> Self:
        self._thread.start()
        deadline = time.monotonic() + self._start_timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise IvrkitError(f"the server on {self.url} stopped while starting")
            if time.monotonic() > deadline:
                self.stop()
                raise IvrkitError(f"the server on {self.url} did not start in time")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=self._start_timeout)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
