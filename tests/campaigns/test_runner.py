"""One worker's round: what its senders finished is recorded, whenever they finish, and the
webhook server's event log is left for the server to project."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import Future

import pytest

from ivrkit.campaigns._runner import Sent
from tests.campaigns.conftest import Rig

NUMBERS = ["+6591200001", "+6591200002"]


class FinishesWhileLookedAt(Future[Sent]):
    """A sender's future that is still running when first asked, and done from then on: its
    sender finished while the worker was sorting its senders."""

    def __init__(self, sent: Sent) -> None:
        super().__init__()
        self._sent = sent

    def done(self) -> bool:
        if not super().done():
            self.set_result(self._sent)
            return False
        return True


def test_a_call_whose_sender_finishes_while_the_worker_collects_is_recorded(
    rig: Rig, backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip("the worker's own bookkeeping: one store is enough")
    for number in NUMBERS:
        rig.phone(number, press=["1"])
    rig.create("race", "number\n" + "\n".join(NUMBERS) + "\n", attempts=1, window="00:00-24:00")
    runner = rig.runner("race")
    campaign = rig.campaigns.get("race")
    claimed = runner.claims.claim(campaign, runner.worker, rig.clock.now())
    started = runner.attempts.start(campaign, claimed, runner.worker)
    assert len(started) == 2
    sent = [runner._place_at_slot(campaign, contact, rid) for contact, rid in started]
    finished: Future[Sent] = Future()
    finished.set_result(sent[0])
    (first, first_id), (second, second_id) = started
    runner._pending = [
        (first, first_id, finished),
        (second, second_id, FinishesWhileLookedAt(sent[1])),
    ]

    runner.collect(campaign)  # the second sender is still running when the worker looks
    runner.collect(campaign)  # and done at the next round

    assert runner.calls_placed == 2
    attempts = {a.session_id: a for row in rig.campaigns.report(campaign) for a in row.attempts}
    assert set(attempts) == {sent[0][0], sent[1][0]}
    noted = rig.harness.store.session(sent[1][0] or "")
    assert noted is not None and noted.client_request_id == second_id


def test_a_worker_leaves_projecting_the_log_to_the_webhook_server(
    rig: Rig, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A worker that caught the projections up at every call and every round did the server's
    # projecting, taking the lock its appends wait for, and pushed a loaded server behind (the
    # platform ends a call whose CALL_ACTION is not answered in time: -2002, outcome "error").
    if backend != "sqlite":
        pytest.skip("the worker's reads of the store: one store is enough")
    listed = [f"+65912{n:05d}" for n in range(40)]
    for number in listed:
        rig.phone(number, press=["1"])
    csv = "number\n" + "\n".join(listed) + "\n"
    rig.create("many", csv, attempts=1, rate=1000, max_concurrent=40, window="00:00-24:00")
    store = rig.harness.store
    looked: Counter[str] = Counter()
    behind = store.behind

    def counted() -> bool:
        looked[threading.current_thread().name.split("_")[0]] += 1
        return behind()

    monkeypatch.setattr(store, "behind", counted)
    result = rig.runner("many").run(stop_when_idle=True)
    assert (result.reason, result.calls_placed) == ("done", len(listed))
    # Once a second while settling, and while idle; never per call from the senders.
    assert looked["ivrkit-campaign"] == 0 and looked["MainThread"] < len(listed) // 4, looked
