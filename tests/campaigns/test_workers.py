"""Several workers: two on PostgreSQL never call a contact twice; a worker killed with
``kill -9`` mid-campaign leaves nobody uncalled and nobody called twice; SQLite runs one."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest

from ivrkit._harness import API_KEY, SUBACCOUNT
from ivrkit.campaigns._leases import Leases
from ivrkit.errors import WorkerConflict
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
    # Which worker places which call is not promised: a worker that keeps up with the rate
    # leaves nothing for the other. Together they place each contact once.
    assert sum(r.calls_placed for r in runners) == len(listed), [r.calls_placed for r in runners]
    assert rig.calls_by_number() == {number: 1 for number in listed}
    assert set(rig.outcomes("pair").values()) == {"resolved"}


def test_sqlite_refuses_a_second_worker_clearly(rig: Rig, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("PostgreSQL takes several workers")
    rig.create("solo", csv_of(numbers(1)), **ALL_DAY)
    Leases(rig.harness.store, rig.wall).join(
        rig.campaigns.get("solo"), "other", "elsewhere", 4242, 30
    )
    with pytest.raises(WorkerConflict, match="already run by worker other .pid 4242"):
        rig.runner("solo").run(stop_when_idle=True)


WORKER = """
import sys
from ivrkit.campaigns import CampaignStore, Runner
from ivrkit.client import VoiceClient
from ivrkit.store import open_store
from ivrkit.trees import load_tree

store_url, platform_url, api_key, subaccount, name = sys.argv[1:]
campaigns = CampaignStore(open_store(store_url))
tree = load_tree(campaigns.get(name).settings.flow)
with VoiceClient(api_key, subaccount, base_url=platform_url, max_retries=0) as client:
    Runner(campaigns, name, client, tree).run()
"""
"""What ``ivrkit campaign run`` does, without loading the whole command line (it starts twice
as fast)."""


@pytest.mark.slow
def test_a_worker_killed_mid_campaign_leaves_nobody_uncalled_or_called_twice(
    rig: Rig, store_url: str
) -> None:
    listed = numbers(40)
    for number in listed:
        rig.phone(number, press=["1"])
    # The default lease (30 s), claim (60 s) and placing grace (120 s): the test moves the
    # wall clock past them instead of waiting.
    rig.create("killed", csv_of(listed), rate=20, max_concurrent=5, attempts=1, **ALL_DAY)
    argv = [store_url, rig.harness.platform_url, API_KEY, SUBACCOUNT, "killed"]
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, *argv], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
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
    rig.wait_for_calls_to_end()
    rig.wall.advance(timedelta(seconds=121))
    result = rig.runner("killed").run()
    assert result.reason == "done"
    assert rig.calls_by_number() == {number: 1 for number in listed}
    assert set(rig.outcomes("killed").values()) == {"resolved"}
