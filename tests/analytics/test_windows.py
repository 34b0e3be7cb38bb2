"""Windows, their edges, and the filters: flow, version, campaign, customer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from ivrkit.analytics import Analytics, Filters, Window
from ivrkit.errors import AnalyticsError
from ivrkit.store import Store
from ivrkit.store import _schema as schema
from ivrkit.trees import load_tree, parse_tree
from tests.analytics.calls import T0, Recorder


def test_last_reads_spans_and_today() -> None:
    now = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    assert Window.last("7d", now=now) == Window(now - timedelta(days=7), now)
    assert Window.last("24h", now=now).since == now - timedelta(hours=24)
    assert Window.last("30m", now=now).since == now - timedelta(minutes=30)
    assert Window.last("2w", now=now).since == now - timedelta(weeks=2)
    assert Window.last("today", now=now) == Window(datetime(2026, 3, 2, tzinfo=UTC), now)
    with pytest.raises(AnalyticsError, match="is not a time"):
        Window.last("a week", now=now)
    with pytest.raises(AnalyticsError, match="before it starts"):
        Window(now, now - timedelta(seconds=1))


def test_a_window_holds_the_sessions_started_in_it_to_the_second(store: Store) -> None:
    calls = Recorder(store, load_tree("simple_ivr"))
    starts = [
        T0 - timedelta(seconds=1),
        T0,
        T0 + timedelta(minutes=7),
        T0 + timedelta(hours=1, minutes=13),
        T0 + timedelta(days=1, hours=2),
        T0 + timedelta(days=2, minutes=59, seconds=59),
        T0 + timedelta(days=2, hours=1),
    ]
    for number, start in enumerate(starts):
        calls.outbound(f"s{number}", ["1"], start=start)
    since, until = T0, T0 + timedelta(days=2, hours=1)
    counters = Analytics(store)
    raw = Analytics(store, use_counters=False)
    # Whole days, whole hours, whole 10 minutes and odd seconds at the edges.
    for window in (
        Window(since, until),
        Window(since + timedelta(seconds=1), until - timedelta(seconds=1)),
        Window(since + timedelta(minutes=5), until - timedelta(minutes=1)),
        Window(since - timedelta(hours=9, minutes=3), until + timedelta(days=3)),
    ):
        expected = sum(1 for start in starts if window.since <= start < window.until)
        assert counters.overview(window).sessions == expected, window
        assert raw.overview(window).sessions == expected, window
        assert counters.funnel("simple_ivr", window) == raw.funnel("simple_ivr", window)


def test_filters_by_flow_and_version(store: Store) -> None:
    tree = load_tree("simple_ivr")
    changed = parse_tree(
        tree.spec.model_dump_json(by_alias=True, exclude_none=True).replace("press one", "press 1")
    )
    assert changed.version != tree.version and changed.name == tree.name
    Recorder(store, tree).outbound("old", ["1"])
    Recorder(store, changed).outbound("new-1", ["2"])
    Recorder(store, changed).outbound("new-2", ["2"])
    window = Window(T0, T0 + timedelta(hours=1))
    analytics = Analytics(store)
    assert analytics.overview(window, Filters(flow="simple_ivr")).sessions == 3
    assert analytics.overview(window, Filters(flow="other")).sessions == 0
    newer = analytics.overview(window, Filters(version=changed.version))
    assert (newer.sessions, newer.transferred) == (2, 2)
    older = analytics.funnel("simple_ivr", window, Filters(version=tree.version))
    assert older.nodes["main"].keys == {"1": 1}


def test_filters_by_customer_and_campaign(store: Store) -> None:
    calls = Recorder(store, load_tree("simple_ivr"))
    calls.outbound("alice-1", ["1"], customer="6591110001", client_request_id="att-1")
    calls.outbound("alice-2", ["2"], customer="6591110001")
    calls.outbound("bob", ["2"], customer="6591110002", client_request_id="att-2")
    with store.transaction() as conn:
        campaign = conn.execute(
            insert(schema.campaigns).returning(schema.campaigns.c.id),
            {
                "name": "spring",
                "state": "running",
                "flow": "simple_ivr",
                "settings": {},
                "created_at": T0,
                "current_rate": 1.0,
            },
        ).scalar_one()
        for line, (number, request) in enumerate(
            [("6591110001", "att-1"), ("6591110002", "att-2")]
        ):
            contact = conn.execute(
                insert(schema.campaign_contacts).returning(schema.campaign_contacts.c.id),
                {
                    "campaign_id": campaign,
                    "line": line,
                    "number": number,
                    "variables": {},
                    "timezones": "UTC",
                    "state": "done",
                    "due_at": T0,
                    "attempts": 1,
                    "updated_at": T0,
                },
            ).scalar_one()
            conn.execute(
                insert(schema.campaign_attempts),
                {
                    "contact_id": contact,
                    "number": 1,
                    "client_request_id": request,
                    "state": "ended",
                    "placed_at": T0,
                },
            )
    window = Window(T0, T0 + timedelta(hours=1))
    analytics = Analytics(store)
    alice = analytics.overview(window, Filters(customer="+6591110001"))
    assert (alice.sessions, alice.contained, alice.transferred) == (2, 1, 1)
    spring = analytics.overview(window, Filters(campaign="spring"))
    assert (spring.sessions, spring.contained, spring.transferred) == (2, 1, 1)
    both = analytics.funnel("simple_ivr", window, Filters(campaign="spring", customer="6591110002"))
    assert both.nodes["main"].keys == {"2": 1}
    assert analytics.overview(window, Filters(campaign="autumn")).sessions == 0
