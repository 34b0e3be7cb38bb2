"""A flood of oversized, unfinished request heads against a real `ivrkit serve` process: each
connection is refused with 431 after the cap (64 KiB), so 40 connections each sending 20 MB of
one header leave the server's memory where it was (it had grown past a gigabyte)."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

from tests.serve_process import ServeProcess

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CONNECTIONS = 40
HEADER_BYTES = 20 * 1024 * 1024
GROWTH_BOUND = 64 * 1024 * 1024
"""What the flood may add to the server's peak memory (it added about 900 MB without a cap)."""


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak resident size) of a process, in KiB."""
    found: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return found


def flood(port: int, answers: list[bytes]) -> None:
    """One connection sending 20 MB of one header that never ends; keeps what it was answered."""
    block = b"f" * 65536
    deadline = time.monotonic() + 60
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(10)
        try:
            sock.sendall(b"POST /webhooks/vca HTTP/1.1\r\nhost: 127.0.0.1\r\nx-flood: ")
            for _ in range(HEADER_BYTES // len(block)):
                if time.monotonic() > deadline:
                    break
                sock.sendall(block)
        except OSError:
            pass  # refused and closed: expected
        try:
            answers.append(sock.recv(4096))
        except OSError:
            answers.append(b"")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_40_unfinished_20_mb_headers_leave_the_memory_where_it_was(tmp_path: Path) -> None:
    with ServeProcess(db=f"sqlite:///{tmp_path / 'ivrkit.db'}", cwd=tmp_path) as serve:
        before = memory_kib(serve.pid)
        answers: list[bytes] = []
        senders = [
            threading.Thread(target=flood, args=(serve.port, answers)) for _ in range(CONNECTIONS)
        ]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join(90)
        after = memory_kib(serve.pid)
    growth = (after["VmHWM"] - before["VmRSS"]) * 1024
    print(
        f"\nserver RSS before the flood {before['VmRSS'] / 1024:.0f} MiB, peak during it "
        f"{after['VmHWM'] / 1024:.0f} MiB ({CONNECTIONS} x {HEADER_BYTES >> 20} MiB headers)"
    )
    assert growth < GROWTH_BOUND, f"the flood grew the server by {growth >> 20} MiB"
    refused = [a for a in answers if a.startswith(b"HTTP/1.1 431 ")]
    assert len(refused) >= CONNECTIONS // 2, answers[:3]
