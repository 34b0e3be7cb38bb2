"""A 429 (with Retry-After) and a full trunk (-2010) slow the campaign down; the contact is
retried, not failed, and not charged an attempt."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from sqlalchemy import select

from ivrkit._harness import API_KEY, SUBACCOUNT
from ivrkit.campaigns import CampaignStore
from ivrkit.client import VoiceClient
from ivrkit.store import _schema as schema
from tests.campaigns.conftest import Rig

pytestmark = pytest.mark.e2e

NUMBERS = [f"+659123{n:04d}" for n in range(6)]
CSV = "number\n" + "\n".join(NUMBERS) + "\n"


class RateLimitingTransport(httpx.BaseTransport):
    """The simulator behind a limit: the first ``refusals`` Send Callflow requests get 429."""

    def __init__(self, refusals: int, retry_after: str = "1") -> None:
        self._inner = httpx.HTTPTransport()
        self.refusals = refusals
        self.retry_after = retry_after
        self.refused_at: list[float] = []
        self.sent_at: list[float] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/callflows"):
            if len(self.refused_at) < self.refusals:
                self.refused_at.append(time.monotonic())
                return httpx.Response(
                    429,
                    headers={"Retry-After": self.retry_after},
                    json={"statusCode": 429, "statusMessage": "Too Many Requests"},
                )
            self.sent_at.append(time.monotonic())
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def test_a_429_holds_the_campaign_for_retry_after_and_retries_the_contact(rig: Rig) -> None:
    for number in NUMBERS:
        rig.phone(number, press=["1"])
    rig.create("limited", CSV, attempts=1)
    transport = RateLimitingTransport(refusals=2, retry_after="1")
    client = VoiceClient(
        API_KEY, SUBACCOUNT, base_url=rig.harness.platform_url, max_retries=0, transport=transport
    )
    rig.clients.append(client)
    result = rig.runner("limited", client).run(stop_when_idle=True)
    assert result.reason == "done"
    assert set(rig.outcomes("limited").values()) == {"resolved"}  # attempts=1: none was charged
    assert len(transport.refused_at) == 2
    # Nothing was sent for Retry-After (1 s) after the first refusal. (A request already on its
    # way when that 429 came may be refused in turn: on a loaded machine its 429 can reach the
    # runner after the first hold has ended, so the last refusal is no fixed mark.)
    assert transport.sent_at[0] - transport.refused_at[0] >= 0.9
    report = rig.campaigns.report(rig.campaigns.get("limited"))
    refused = [a for row in report for a in row.attempts if (a.note or "").startswith("429:")]
    assert len(refused) == 2 and all(a.state == "not-placed" for a in refused)
    assert rig.calls_by_number() == {number: 1 for number in NUMBERS}


def test_a_full_trunk_is_retried_without_charging_an_attempt(rig: Rig) -> None:
    for number in NUMBERS:
        rig.phone(number, press=["1"])
    rig.create("trunk", CSV, attempts=1)
    rig.harness.control.change_settings(trunk_capacity=0)
    runner = rig.runner("trunk")
    outcome: list[str] = []
    worker = threading.Thread(target=lambda: outcome.append(runner.run().reason), daemon=True)
    worker.start()
    campaigns = CampaignStore(rig.harness.store)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        rows = campaigns.report(campaigns.get("trunk"))
        if sum(1 for r in rows for a in r.attempts if a.error_code == -2010) >= 3:
            break
        time.sleep(0.05)
    rig.harness.control.change_settings(trunk_capacity=None)
    worker.join(30)
    assert outcome == ["done"]
    rows = campaigns.report(campaigns.get("trunk"))
    assert {row.outcome for row in rows} == {"resolved"}
    full = [a for row in rows for a in row.attempts if a.error_code == -2010]
    assert len(full) >= 3 and all(a.outcome == "error" for a in full)


def test_a_webhook_the_platform_gave_up_on_holds_the_campaign(rig: Rig) -> None:
    # Every try of the first CALL_ACTION comes back too late: the platform ends the call with
    # -2002, as it does when the webhook server falls behind under load.
    rig.phone(NUMBERS[0], press=["1"])
    rig.create("behind", "number\n" + NUMBERS[0] + "\n", attempts=1, rate=50)
    rig.harness.control.inject_faults(late_answers=3)
    result = rig.runner("behind").run(stop_when_idle=True)
    assert result.reason == "done"
    [row] = rig.campaigns.report(rig.campaigns.get("behind"))
    assert [(a.status, a.error_code) for a in row.attempts] == [("ERROR", -2002)]
    with rig.harness.store.reading() as conn:
        held = conn.execute(
            select(schema.campaigns.c.current_rate, schema.campaigns.c.hold_until).where(
                schema.campaigns.c.name == "behind"
            )
        ).one()
    assert held.current_rate == 25.0 and held.hold_until is not None
