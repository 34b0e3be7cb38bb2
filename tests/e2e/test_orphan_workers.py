"""`kill -9` of the process supervising `ivrkit serve --workers 2`: its workers stop with it,
so the next `ivrkit serve` on the same port starts (it failed with "Address already in use")."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from ivrkit._serving import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def start(db: str, cwd: Path, port: int, *args: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IVRKIT_")}
    return subprocess.Popen(
        [sys.executable, "-c", "from ivrkit._cli import main; main()", "serve"]
        + ["--port", str(port), "--db", db, *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def healthy(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"serve exited with {proc.returncode}"
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("serve did not start")


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in state  # a zombie no longer serves


def worker_pids(url: str) -> set[int]:
    def pid(_: int) -> int:
        with httpx.Client(base_url=url) as client:  # a new connection each time
            return int(client.get("/healthz").json()["pid"])

    pids: set[int] = set()
    deadline = time.monotonic() + 60
    with ThreadPoolExecutor(8) as pool:
        while len(pids) < 2 and time.monotonic() < deadline:
            pids |= set(pool.map(pid, range(32)))
    return pids


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_workers_die_with_their_killed_parent_and_the_port_is_free_again(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'ivrkit.db'}"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    master = start(db, tmp_path, port, "--workers", "2")
    workers: set[int] = set()
    again: subprocess.Popen[bytes] | None = None
    try:
        healthy(url, master)
        workers = worker_pids(url)
        assert len(workers) == 2 and master.pid not in workers
        master.send_signal(signal.SIGKILL)
        master.wait(10)
        deadline = time.monotonic() + 30
        while any(map(running, workers)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(map(running, workers)), "workers outlived their parent"
        again = start(db, tmp_path, port)
        healthy(url, again)
    finally:
        for pid in workers:  # only the workers this test started, if they outlived the test
            if running(pid):
                os.kill(pid, signal.SIGKILL)
        for proc in (master, again):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(10)
