"""Group commit: many CALL_ACTION deliveries in one transaction behave like one by one."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from ivrkit.errors import StoreError
from ivrkit.store import Delivery, Store, SummaryWrite, VcaWrite
from tests.store.helpers import later, vca_delivery, vca_event, vca_update


def test_a_batch_stores_every_new_event_in_order(store: Store) -> None:
    events = [vca_event(event_id=f"e-{i}", digits=str(i), timestamp=later(i)) for i in range(1, 6)]
    stored = store.record_vca_batch(
        [VcaWrite(delivery=vca_delivery(e), update=vca_update(e)) for e in events]
    )
    assert [fresh for _, fresh in stored] == [True] * 5
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
            VcaWrite(delivery=vca_delivery(again, answer='{"again":1}'), update=vca_update(again)),
            VcaWrite(delivery=vca_delivery(new, answer='{"new":1}'), update=vca_update(new)),
            VcaWrite(delivery=vca_delivery(new, answer='{"twin":1}'), update=vca_update(new)),
        ]
    )
    # The repeat gets the first answer back, whether the first was stored before or in the batch.
    assert [(d.answer, fresh) for d, fresh in stored] == [
        ('{"first":1}', False),
        ('{"new":1}', True),
        ('{"new":1}', False),
    ]
    session = store.session(first.payload.session_id)
    assert session is not None and session.digits == ["1", "2"]
    replay = store.find_answered("e-1")
    assert replay is not None and replay.answer == '{"first":1}'


def test_a_batch_stores_the_variables_of_new_events_only(store: Store) -> None:
    first = vca_event(event_id="e-1", session_id="s-v", digits="1")
    store.record_vca(vca_delivery(first), vca_update(first), {"lang": "en"})
    again = vca_event(event_id="e-1", session_id="s-v", digits="1")
    new = vca_event(event_id="e-2", session_id="s-v", digits="2")
    store.record_vca_batch(
        [
            VcaWrite(
                delivery=vca_delivery(again), update=vca_update(again), variables={"lang": "x"}
            ),
            VcaWrite(delivery=vca_delivery(new), update=vca_update(new), variables={"pin": "42"}),
        ]
    )
    assert store.variables("s-v") == {"lang": "en", "pin": "42"}


def test_a_batch_keeps_deliveries_that_are_not_events(store: Store) -> None:
    junk = Delivery(
        channel="vca",
        received_at=datetime.now(UTC),
        body="{not json",
        headers={},
        http_status=400,
        answer=None,
        outcome="bad-json",
        note="broken",
    )
    stored = store.record_vca_batch([VcaWrite(delivery=junk), VcaWrite(delivery=junk)])
    assert [fresh for _, fresh in stored] == [True, True]
    assert [d.outcome for d in store.deliveries()] == ["bad-json", "bad-json"]


def test_batches_share_a_kept_connection_until_one_fails(store: Store, backend: str) -> None:
    """On PostgreSQL the group commit's batches skip the pool's checkout and its ping on a
    connection kept between them; a failed batch drops it, so the next starts on a fresh one,
    and closing the store closes it. SQLite keeps none (its connections' page caches would
    empty each other's)."""

    def batch(event_id: str, channel: str = "vca") -> list[VcaWrite | SummaryWrite]:
        event = vca_event(event_id=event_id)
        delivery = replace(vca_delivery(event), channel=channel)
        return [VcaWrite(delivery=delivery, update=vca_update(event))]

    store.record_batch(batch("e-1"))
    kept = store._kept
    if backend == "sqlite":
        assert kept is None
        return
    assert kept is not None
    store.record_batch(batch("e-2"))
    assert store._kept is kept

    with pytest.raises(StoreError):
        store.record_batch(batch("e-3", channel=None))  # type: ignore[arg-type]
    assert kept.closed and store._kept is None

    store.record_batch(batch("e-4"))
    again = store._kept
    assert again is not None and again is not kept
    assert [d.event_id for d in store.deliveries(vca_event().payload.session_id)] == [
        "e-1",
        "e-2",
        "e-4",
    ]
    store.close()
    assert again.closed
