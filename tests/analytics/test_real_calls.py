"""Calls through the simulated platform and the real webhook server: the demo's three calls give
the right funnel, and the counters folded as summaries arrived equal a rebuild and a raw count."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from ivrkit._demo import SCENARIOS
from ivrkit._harness import IvrHarness
from ivrkit.analytics import Analytics, Window, rebuild
from ivrkit.store import Store
from ivrkit.store import _schema as schema
from ivrkit.trees import load_tree
from tests.analytics.test_rebuild import counter_rows

pytestmark = pytest.mark.e2e

CUSTOMER = "+6512345678"
AGENT = "+6561115777"


@pytest.fixture
def ivr(store_url: str) -> Iterator[IvrHarness]:
    with IvrHarness(load_tree("simple_ivr"), store_url=store_url) as harness:
        yield harness


def _span(store: Store) -> tuple[Window, datetime]:
    """A window around every recorded session, and the store's last write (as "now")."""
    s = schema.sessions.c
    with store.transaction() as conn:
        first, last, written = conn.execute(
            select(func.min(s.started_at), func.max(s.started_at), func.max(s.updated_at))
        ).one()
    return Window(first - timedelta(minutes=3), last + timedelta(minutes=3)), written


def test_the_demo_calls_give_the_simple_ivr_funnel(ivr: IvrHarness) -> None:
    ivr.phone(AGENT, hangup_after=600)
    for scenario in SCENARIOS:  # presses 1; 2; 9 then 1
        call = ivr.call(CUSTOMER, press=scenario.presses, hangup_after=40)
        call.expect_summary(status="COMPLETED")
    window, now = _span(ivr.store)
    analytics = Analytics(ivr.store, clock=lambda: now)
    overview = analytics.overview(window)
    assert (overview.sessions, overview.contained, overview.transferred) == (3, 2, 1)
    assert (overview.abandoned, overview.failed, overview.in_progress) == (0, 0, 0)
    nodes = analytics.funnel("simple_ivr", window).nodes
    main = nodes["main"]
    assert (main.reached, main.visits, main.keys) == (3, 4, {"1": 2, "2": 1})
    assert (main.invalid, main.retries, main.dropped) == (1, 1, 0)
    assert main.next == {"agent": 1, "main": 1, "resolved": 2}
    assert (nodes["resolved"].reached, nodes["resolved"].next) == (2, {"(end)": 2})
    assert (nodes["agent"].reached, nodes["agent"].next) == (1, {"(end)": 1})
    paths = analytics.paths("simple_ivr", window)
    assert [(p.nodes, p.sessions) for p in paths] == [
        (("main", "resolved"), 2),
        (("main", "agent"), 1),
    ]
    # Every answer's latency was stored with its delivery.
    answered = [d for d in ivr.store.deliveries() if d.outcome == "answered"]
    assert len(answered) == 4
    assert all(d.latency_ms is not None and d.latency_ms >= 0 for d in answered)


def test_counters_folded_by_real_summaries_equal_a_rebuild_and_a_raw_count(
    ivr: IvrHarness,
) -> None:
    ivr.phone(AGENT, hangup_after=20)
    plans: list[list[str]] = [["1"], ["2"], ["9", "1"], ["9", "9", "2"], ["", "1"]]
    for presses in plans:
        ivr.call(CUSTOMER, press=presses, hangup_after=60).expect_summary()
    ivr.call("+6512340000", answer="busy").expect_summary(status="BUSY")
    open_call = ivr.call("+6512349999")  # stepped: waits at the menu, no summary yet
    open_call.expect_prompt("Dear customer")
    window, now = _span(ivr.store)
    counted = Analytics(ivr.store, clock=lambda: now)
    raw = Analytics(ivr.store, clock=lambda: now, use_counters=False)
    report = counted.report("simple_ivr", window)
    assert report.overview.sessions == 7 and report.overview.in_progress == 1
    assert report == raw.report("simple_ivr", window)
    folded = counter_rows(ivr.store)
    result = rebuild(ivr.store)
    assert result.sessions == 6
    assert counter_rows(ivr.store) == folded
    assert counted.report("simple_ivr", window) == report
    open_call.hang_up()
