"""`ivrkit serve` as a real child process on a free loopback port, for the tests whose subject is
the process (signals, kill -9, workers, sockets, memory); everything else serves the app in
process (tests/asgi.py). One owner for starting it, waiting until it answers and stopping it.

Its output (stdout and stderr) goes to a file in its folder, never to a pipe: a server that logs
a line per delivery under load would fill a pipe nobody reads and stall."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self

import httpx

from ivrkit._serving import Started, free_port

COMMAND = [sys.executable, "-c", "from ivrkit._cli import main; main()"]
"""The `ivrkit` command, as its console script runs it, with this interpreter."""

START_TIMEOUT = 90.0
"""Seconds `ivrkit serve` may take to answer /healthz (a loaded machine, --workers included)."""

POLL = 0.05
"""Seconds between two looks at something a test waits for."""


def loopback_client(**options: Any) -> httpx.Client:
    """An httpx client for plain HTTP on loopback. ``verify=False`` because no TLS is ever spoken
    here, and the default (loading the CA bundle) costs about 20 ms of CPU per client: a test
    that opens a client per connection, or polls with ``httpx.get``, spent seconds on it."""
    return httpx.Client(verify=False, **options)


def healthy(client: httpx.Client, url: str) -> bool:
    """Whether the server at ``url`` answers /healthz with 200 (no answer: not yet)."""
    try:
        return client.get(url + "/healthz").status_code == 200
    except httpx.HTTPError:
        return False


class ServeProcess(Started):
    """``ivrkit serve --host 127.0.0.1 --port <free> --db <db> *options`` in ``cwd``, with no
    IVRKIT_* setting but ``env``'s; ``start()`` returns once /healthz answers 200.

    ``new_session``: in a process group of its own, as a terminal starts it (to send a signal to
    the group, as Ctrl-C does)."""

    def __init__(
        self,
        *options: str,
        db: str,
        cwd: Path,
        port: int | None = None,
        host: str = "127.0.0.1",
        env: Mapping[str, str] | None = None,
        new_session: bool = False,
    ) -> None:
        self.port = port if port is not None else free_port()
        self.url = f"http://{host}:{self.port}"
        self.cwd = cwd
        self.log = cwd / f"serve-{self.port}.log"
        self._args = [*COMMAND, "serve", "--host", host, "--port", str(self.port), "--db", db]
        self._args += options
        self._env = {k: v for k, v in os.environ.items() if not k.startswith("IVRKIT_")}
        self._env.update(env or {})
        self._new_session = new_session
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def proc(self) -> subprocess.Popen[bytes]:
        assert self._proc is not None, "start the server first"
        return self._proc

    @property
    def pid(self) -> int:
        return self.proc.pid

    def start(self) -> Self:
        self.cwd.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:  # the child keeps its own copy of the descriptor
            self._proc = subprocess.Popen(
                self._args,
                cwd=self.cwd,
                env=self._env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=self._new_session,
            )
        deadline = time.monotonic() + START_TIMEOUT
        with loopback_client(timeout=2) as client:
            while time.monotonic() < deadline:
                if self._proc.poll() is not None:
                    raise AssertionError(
                        f"ivrkit serve exited with {self._proc.returncode} while starting:\n"
                        + self.output()
                    )
                if healthy(client, self.url):
                    return self
                time.sleep(POLL)
        self.kill()
        raise AssertionError(
            f"ivrkit serve did not start in {START_TIMEOUT:.0f} s:\n{self.output()}"
        )

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def output(self) -> str:
        """Everything the server wrote so far (stdout and stderr)."""
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def wait(self, timeout: float = 60) -> int:
        """Its exit status once it ends by itself (after a signal sent by the test)."""
        return self.proc.wait(timeout)

    def stop(self, how: signal.Signals = signal.SIGINT, timeout: float = 60) -> None:
        """Send ``how`` (Ctrl-C by default) and wait; killed if it does not end in time."""
        if not self.running():
            return
        self.proc.send_signal(how)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """``kill -9``, and reaped (no process left behind, no warning of one still running)."""
        if self.running():
            self.proc.kill()
        if self._proc is not None:
            self._proc.wait(10)
