"""Campaigns through the simulator over HTTP and the webhook server, on a real store."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ivrkit.campaigns.model import ACTIVE, DONE
from tests.campaigns.conftest import MONDAY_10_SG, Rig

pytestmark = pytest.mark.e2e

RESOLVES, AGENT, BUSY_ONCE, DNC, NEW_YORK, NEVER = (
    "+6591230001",
    "+6591230002",
    "+6591230003",
    "+6591230004",
    "+12125550123",
    "+6591230005",
)


def test_a_campaign_calls_each_contact_in_its_window_retries_and_ends_with_outcomes(
    rig: Rig,
) -> None:
    rig.phone(RESOLVES, press=["1"])
    rig.phone(AGENT, press=["2"])
    rig.phone(BUSY_ONCE, answer="busy")
    rig.phone(NEW_YORK, press=["1"])
    rig.phone(NEVER, answer="no-answer")
    csv = "number,name\n" + "".join(
        f"{n},c{i}\n" for i, n in enumerate([RESOLVES, AGENT, BUSY_ONCE, DNC, NEW_YORK, NEVER])
    )
    rig.create("spring", csv, dnc=(DNC,), attempts=2)

    first = rig.runner("spring").run(stop_when_idle=True)
    assert first.reason == "idle" and first.state == ACTIVE
    report = {row.number: row for row in rig.campaigns.report(rig.campaigns.get("spring"))}
    assert report[RESOLVES].outcome == "resolved"
    assert report[AGENT].outcome == "agent"
    assert report[DNC].outcome == "do-not-call" and report[DNC].attempts == []
    assert report[NEW_YORK].attempts == []  # 21:00 in New York: it waits
    assert report[NEW_YORK].state == "pending"
    assert [a.outcome for a in report[BUSY_ONCE].attempts] == ["busy"]
    assert report[BUSY_ONCE].state == "pending"  # retried in 30 minutes (plus jitter)

    rig.phone(BUSY_ONCE, press=["1"])
    rig.clock.advance(timedelta(minutes=20))  # not yet: 30 min + 10 % jitter
    rig.runner("spring").run(stop_when_idle=True)
    assert len(rig.campaigns.report(rig.campaigns.get("spring"))[2].attempts) == 1
    rig.clock.advance(timedelta(minutes=20))
    rig.runner("spring").run(stop_when_idle=True)

    rig.clock.set(MONDAY_10_SG + timedelta(hours=12, minutes=30))  # 09:30 in New York
    done = rig.runner("spring").run(stop_when_idle=True)
    assert done.reason == "done" and done.state == DONE
    assert rig.outcomes("spring") == {
        RESOLVES: "resolved",
        AGENT: "agent",
        BUSY_ONCE: "resolved",
        DNC: "do-not-call",
        NEW_YORK: "resolved",
        NEVER: "no-answer",
    }
    calls = rig.calls_by_number()
    assert calls[RESOLVES] == 1 and calls[AGENT] == 1 and calls[NEW_YORK] == 1
    assert calls[BUSY_ONCE] == 2 and calls[NEVER] == 2  # --attempts 2
    assert calls[DNC] == 0
    (agent_row,) = [
        r for r in rig.campaigns.report(rig.campaigns.get("spring")) if r.number == AGENT
    ]
    session = rig.harness.store.session(agent_row.attempts[0].session_id or "")
    assert (
        session is not None and session.client_request_id == agent_row.attempts[0].client_request_id
    )
