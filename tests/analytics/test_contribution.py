"""A session's path counted: the histogram buckets, the medians read from them, and one
session's contribution to the counters."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ivrkit.analytics._buckets import (
    BASE_SECONDS,
    LAST_BUCKET,
    bucket,
    bucket_seconds,
    median_seconds,
)
from ivrkit.analytics._contribution import END, SessionFacts, Step, contribution
from ivrkit.store import IN_PROGRESS
from ivrkit.store._records import CALL_PLACED

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@given(st.floats(min_value=BASE_SECONDS, max_value=100_000, allow_nan=False))
def test_a_bucket_stands_for_its_times_within_10_percent(seconds: float) -> None:
    index = bucket(seconds)
    assert 1 <= index < LAST_BUCKET
    assert abs(bucket_seconds(index) - seconds) / seconds < 0.1


def test_buckets_grow_with_time_and_have_ends() -> None:
    assert bucket(-3) == bucket(0) == bucket(BASE_SECONDS / 2) == 0
    assert bucket(1) < bucket(2) < bucket(60) < bucket(3600)
    assert bucket(1e12) == LAST_BUCKET


def test_the_median_is_the_lower_middle_bucket() -> None:
    assert median_seconds({}) is None
    assert median_seconds({-1: 5}) is None  # unknown times only
    two, ten = bucket(2), bucket(10)
    assert median_seconds({two: 2, ten: 1}) == round(bucket_seconds(two), 3)
    assert median_seconds({two: 1, ten: 1}) == round(bucket_seconds(two), 3)
    assert median_seconds({two: 1, ten: 2, -1: 9}) == round(bucket_seconds(ten), 3)


def _step(
    seconds: float,
    heard: str | None,
    route: str | None,
    led_to: str | None,
    passed: str,
    *,
    digits: str | None = None,
    value: str | None = None,
    more: list[list[str | None]] | None = None,
    label: str | None = None,
) -> Step:
    return Step.from_row(
        {
            "session_id": "s",
            "at": T0 + timedelta(seconds=seconds),
            "flow": "f",
            "version": "v1",
            "heard": heard,
            "replay": 0,
            "digits": digits,
            "route": route,
            "route_value": value,
            "led_to": led_to,
            "passed": passed,
            "more_routes": json.dumps(more) if more else None,
            "label": label,
            "label_transfer": 0,
        }
    )


def _session(status: str = "COMPLETED", label: str | None = None, end: float = 30) -> SessionFacts:
    return SessionFacts(
        session_id="s",
        status=status,
        flow="f",
        started_at=T0,
        ended_at=T0 + timedelta(seconds=end),
        label=label,
        updated_at=T0 + timedelta(seconds=end),
    )


def test_one_session_counts_visits_routes_times_and_its_path() -> None:
    steps = [
        _step(10, "main", "invalid", "main", "main", digits="9"),
        _step(0, None, CALL_PLACED, None, "hello main"),  # stored late: counted first
        _step(
            20,
            "main",
            "key",
            "check",
            "check menu2",
            digits="1",
            value="1",
            more=[["check", "case", "menu2", "menu2"]],
        ),
    ]
    item = contribution(_session(), steps)
    assert item is not None
    assert (item.category, item.outcome, item.flow, item.version) == (
        "abandoned",
        "hung-up",
        "f",
        "v1",
    )
    nodes = item.nodes
    assert nodes[("main", "visit", "")] == 2 and nodes[("main", "reached", "")] == 1
    assert nodes[("main", "retry", "")] == 1 and nodes[("main", "invalid", "")] == 1
    assert nodes[("main", "key", "1")] == 1 and nodes[("main", "next", "check")] == 1
    assert nodes[("check", "route", "case")] == 1 and nodes[("check", "next", "menu2")] == 1
    assert nodes[("menu2", "next", END)] == 1 and nodes[("menu2", "dropped", "")] == 1
    # Waited at main from the start (0 s) to the first event (10 s), then 10 s again; at
    # menu2 from 20 s to the end (30 s). Nodes passed through are not timed.
    assert nodes[("main", "time", str(bucket(10)))] == 2
    assert nodes[("menu2", "time", str(bucket(10)))] == 1
    assert not any(key[0] in ("hello", "check") and key[1] == "time" for key in nodes)
    assert item.path == "hello main check menu2"
    assert item.path_bucket == bucket(30)


def test_in_progress_counts_nodes_but_no_ending() -> None:
    steps = [
        _step(0, None, CALL_PLACED, None, "main"),
        _step(5, "main", "key", "agent", "agent", digits="2", value="2", label="agent"),
    ]
    item = contribution(_session(status=IN_PROGRESS, label="agent"), steps)
    assert item is not None and (item.category, item.outcome, item.path) == (
        "in_progress",
        "",
        None,
    )
    assert item.nodes[("agent", "reached", "")] == 1
    assert ("agent", "next", END) not in item.nodes
    stale = contribution(_session(status=IN_PROGRESS, label="agent"), steps, stale=True)
    assert stale is not None and (stale.category, stale.outcome) == ("transferred", "agent")
    assert stale.path_bucket == bucket(5)  # the label was reached 5 s after the start


def test_a_call_nobody_answered_never_reached_the_entry() -> None:
    item = contribution(_session(status="BUSY"), [_step(0, None, CALL_PLACED, None, "main")])
    assert item is not None and (item.category, item.outcome, item.path) == ("failed", "busy", "")
    assert dict(item.nodes) == {}


def test_a_session_with_no_known_start_belongs_to_no_window() -> None:
    session = SessionFacts("s", "COMPLETED", "f", None, None, None, T0)
    assert contribution(session, []) is None


def test_without_the_walk_a_session_still_counts_its_start_outcome_and_category() -> None:
    placed = _step(0, None, CALL_PLACED, None, "main")
    cases = [
        (_session(), [placed, _step(10, "main", "invalid", "main", "main", digits="9")]),
        (_session(status="BUSY"), [placed]),  # its version comes from the steps it heard
        (_session(status=IN_PROGRESS, label="agent"), [placed]),
    ]
    for session, steps in cases:
        for stale in (False, True):
            full = contribution(session, steps, stale=stale)
            short = contribution(session, steps, stale=stale, walked=False)
            assert full is not None and short is not None
            assert (short.flow, short.version, short.started_at) == (
                full.flow,
                full.version,
                full.started_at,
            )
            assert (short.category, short.outcome) == (full.category, full.outcome)
            assert (dict(short.nodes), short.path) == ({}, None)
