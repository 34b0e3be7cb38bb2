"""`ivrkit serve --reload` as a real process, fed calendar files its loader refuses: a
FREQ=SECONDLY rule (once expanded without end: +21 MB/s until MemoryError, which stopped the
store) and a rule that never moves on (INTERVAL=0). Each is one log line; the running tree is
served, /healthz stays ok, the memory stays where it was, and a good file afterwards is
reloaded. (The 9999-12-30 calendar that once raised "year 10008 is out of range" now loads: see
tests/calendars/test_ical_bounds.py.)"""

from __future__ import annotations

import copy
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import load_fixture
from tests.serve_process import POLL, ServeProcess, loopback_client
from tests.server.test_reload_survives import CALENDAR, GOOD_ICS, TREE

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SECONDLY_ICS = GOOD_ICS.replace("SUMMARY:Christmas", "SUMMARY:Every second\nRRULE:FREQ=SECONDLY")
STANDING_STILL_ICS = GOOD_ICS.replace(
    "SUMMARY:Christmas", "SUMMARY:Still\nRRULE:FREQ=DAILY;INTERVAL=0"
)
GROWTH_BOUND = 100 * 1024
"""KiB the server's peak memory may grow while it meets the files."""


def wait_for(condition: Callable[[], bool], seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(POLL)
    return False


def peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    stamp = time.time() + 5
    os.utime(path, (stamp, stamp))


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_hostile_calendars_on_reload_leave_the_server_serving(tmp_path: Path) -> None:
    (tmp_path / "support.yaml").write_text(CALENDAR, encoding="utf-8")
    ics = tmp_path / "holidays.ics"
    ics.write_text(GOOD_ICS, encoding="utf-8")
    tree = tmp_path / "tree.yaml"
    tree.write_text(TREE, encoding="utf-8")
    serve = ServeProcess(
        *("--reload", "--flow", str(tree), "--no-dashboard"),
        db=f"sqlite:///{tmp_path / 'ivrkit.db'}",
        cwd=tmp_path,
    )
    http = loopback_client(base_url=serve.url)
    try:
        serve.start()
        version = http.get("/healthz").json()["versions"]["line"]
        before = peak_kib(serve.pid)
        for n, (text, words) in enumerate(
            [(SECONDLY_ICS, "repeats within a day"), (STANDING_STILL_ICS, "INTERVAL")], start=1
        ):
            write(ics, text)
            assert wait_for(lambda n=n: serve.output().count("kept the running 'line'") == n), (
                serve.output()
            )
            assert words in serve.output()
            health = http.get("/healthz").json()
            assert (health["status"], health["committer"]) == ("ok", "running"), health
            assert health["versions"]["line"] == version
            event = copy.deepcopy(load_fixture("vca_dtmf_eventdata.json"))
            event["payload"].pop("clientActionId")
            event["payload"].update(eventId=f"after-{n}", sessionId=f"s-{n}")
            assert http.post("/webhooks/vca", json=event).status_code == 200
        growth = peak_kib(serve.pid) - before
        assert growth < GROWTH_BOUND, f"the server grew by {growth >> 10} MiB"
        write(ics, GOOD_ICS.replace("20261225", "20261226"))
        assert wait_for(lambda: "reloaded 'line'" in serve.output()), serve.output()
        assert http.get("/healthz").json()["versions"]["line"] != version
    finally:
        serve.stop(signal.SIGTERM, timeout=30)
        http.close()
    assert "Traceback" not in serve.output()
