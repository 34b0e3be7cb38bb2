"""Group commit: many CALL_ACTION deliveries in one transaction behave like one by one."""

from __future__ import annotations

from ivrkit.store import Delivery, Store
from tests.store.helpers import later, vca_delivery, vca_event, vca_update


def test_a_batch_stores_every_new_event_in_order(store: Store) -> None:
    events = [vca_event(event_id=f"e-{i}", digits=str(i), timestamp=later(i)) for i in range(1, 6)]
    stored = store.record_vca_batch([(vca_delivery(e), vca_update(e)) for e in events])
    assert stored == 5
    session = store.session(events[0].payload.session_id)
    assert session is not None
    assert session.digits == ["1", "2", "3", "4", "5"]
    assert [d.event_id for d in store.deliveries(events[0].payload.session_id)] == [
        f"e-{i}" for i in range(1, 6)
    ]


def test_a_batch_skips_events_already_stored_and_repeats_within_it(store: Store) -> None:
    first = vca_event(event_id="e-1", digits="1")
    store.record_vca(vca_delivery(first, answer='{"first":1}'), vca_update(first))
    again = vca_event(event_id="e-1", digits="9")
    new = vca_event(event_id="e-2", digits="2")
    stored = store.record_vca_batch(
        [
            (vca_delivery(again, answer='{"again":1}'), vca_update(again)),
            (vca_delivery(new), vca_update(new)),
            (vca_delivery(new), vca_update(new)),
        ]
    )
    assert stored == 1
    session = store.session(first.payload.session_id)
    assert session is not None and session.digits == ["1", "2"]
    replay = store.find_answered("e-1")
    assert replay is not None and replay.answer == '{"first":1}'


def test_a_batch_keeps_deliveries_that_are_not_events(store: Store) -> None:
    from datetime import UTC, datetime

    junk = Delivery("vca", datetime.now(UTC), "{not json", {}, 400, None, "bad-json", "broken")
    assert store.record_vca_batch([(junk, None), (junk, None)]) == 2
    assert [d.outcome for d in store.deliveries()] == ["bad-json", "bad-json"]
