"""The store's session filter by outcome is the SQL form of :func:`ivrkit._outcomes.derive`: on
every mix of status, label and digits, both name the same sessions, and the records the store
reads back carry the same outcome."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from ivrkit import _outcomes as outcomes
from ivrkit.dashboard._browse import Browser, SessionQuery
from ivrkit.store import IN_PROGRESS, Store
from ivrkit.store import _schema as schema

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
STATUSES = [IN_PROGRESS, "COMPLETED", "BUSY", "NO_ANSWER", "FAILED", "CANCELED", "ERROR"]
LABELS = [None, "", "resolved", "agent", "busy", "hung-up"]
"""No label, an empty one, ordinary ones, and labels that are also derived outcomes' names."""
DIGITS: list[list[str]] = [[], [""], ["7"], ["", "1"]]
ASKED = [*outcomes.DERIVED, "resolved", "agent", "nobody-has-this"]


def fill(store: Store) -> dict[str, str | None]:
    """One session per case; what :func:`outcomes.derive` says of each, by session id."""
    expected: dict[str, str | None] = {}
    sessions: list[dict[str, object]] = []
    digits: list[dict[str, object]] = []
    cases = itertools.product(STATUSES, LABELS, DIGITS)
    for index, (status, label, pressed) in enumerate(cases):
        session_id = f"s{index:03d}"
        at = T0 + timedelta(seconds=index)
        sessions.append(
            {"session_id": session_id, "status": status, "outcome": label, "started_at": at}
            | {"updated_at": at}
        )
        digits += [{"session_id": session_id, "digits": key, "at": at} for key in pressed]
        expected[session_id] = outcomes.derive(status, label, digits=pressed)
    with store.transaction() as conn:
        conn.execute(insert(schema.sessions), sessions)
        conn.execute(insert(schema.session_digits), digits)
    return expected


def test_the_sql_filter_and_the_python_rule_agree(store: Store) -> None:
    expected = fill(store)
    browser = Browser(store)
    for outcome in ASKED:
        found = browser.all_sessions(SessionQuery(outcome=outcome))
        wanted = {sid for sid, derived in expected.items() if derived == outcome}
        assert {record.session_id for record in found} == wanted, outcome
    every = browser.all_sessions(SessionQuery())
    assert {record.session_id: record.outcome for record in every} == expected
    assert all(record.outcome is None for record in every if record.status == IN_PROGRESS)
