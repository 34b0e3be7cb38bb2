"""Several workers: two on PostgreSQL never call a contact twice; a worker killed with
``kill -9`` mid-campaign leaves nobody uncalled and nobody called twice; SQLite runs one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ivrkit.errors import WorkerConflict
from ivrkit.harness import API_KEY, SUBACCOUNT
from tests.campaigns.conftest import Rig

pytestmark = pytest.mark.e2e

ALL_DAY = {"window": "00:00-24:00"}


def numbers(count: int) -> list[str]:
    return [f"+65912{n:05d}" for n in range(count)]


def csv_of(listed: list[str]) -> str:
    return "number,ticket\n" + "".join(f"{n},T{i}\n" for i, n in enumerate(listed))


def test_two_workers_share_a_campaign_and_call_each_contact_once(rig: Rig, backend: str) -> None:
    if backend == "sqlite":
        pytest.skip("several workers need PostgreSQL")
    listed = numbers(60)
    for number in listed:
        rig.phone(number, press=["1"])
    rig.create("pair", csv_of(listed), rate=200, max_concurrent=20, attempts=1, **ALL_DAY)
    runners = [rig.runner("pair", worker=f"w{n}") for n in range(2)]
    results: list[str] = []
    threads = [threading.Thread(target=lambda r=r: results.append(r.run().reason)) for r in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(results) == ["done", "done"]
    assert all(r.calls_placed > 0 for r in runners), [r.calls_placed for r in runners]
    assert rig.calls_by_number() == {number: 1 for number in listed}
    assert set(rig.outcomes("pair").values()) == {"resolved"}


def test_sqlite_refuses_a_second_worker_clearly(rig: Rig, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("PostgreSQL takes several workers")
    rig.create("solo", csv_of(numbers(1)), **ALL_DAY)
    rig.campaigns.join(rig.campaigns.get("solo"), "other", "elsewhere", 4242, 30)
    with pytest.raises(WorkerConflict, match="already run by worker other .pid 4242"):
        rig.runner("solo").run(stop_when_idle=True)


@pytest.mark.slow
def test_a_worker_killed_mid_campaign_leaves_nobody_uncalled_or_called_twice(
    rig: Rig, store_url: str
) -> None:
    listed = numbers(40)
    for number in listed:
        rig.phone(number, press=["1"])
    rig.create(
        "killed",
        csv_of(listed),
        rate=10,
        max_concurrent=5,
        attempts=1,
        placing_grace=3,
        worker_lease=2,
        claim_seconds=2,
        **ALL_DAY,
    )
    env = {
        **os.environ,
        "IVRKIT_API_KEY": API_KEY,
        "IVRKIT_SUBACCOUNT": SUBACCOUNT,
        "IVRKIT_API_BASE": rig.harness.platform_url,
        "IVRKIT_DB": store_url,
    }
    worker = subprocess.Popen(
        [str(Path(sys.executable).parent / "ivrkit"), "campaign", "run", "killed"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and sum(rig.calls_by_number().values()) < 8:
            assert worker.poll() is None, worker.stderr.read() if worker.stderr else ""
            time.sleep(0.02)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        if worker.stderr is not None:
            worker.stderr.close()
    called = sum(rig.calls_by_number().values())
    assert 8 <= called < len(listed), "the worker was not killed mid-campaign"
    time.sleep(2.5)  # its lease passes (SQLite lets one worker in)
    result = rig.runner("killed").run()
    assert result.reason == "done"
    assert rig.calls_by_number() == {number: 1 for number in listed}
    assert set(rig.outcomes("killed").values()) == {"resolved"}
