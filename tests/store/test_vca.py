"""Recording CALL_ACTION deliveries: idempotency on eventId, digits, and the session they build."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from ivrkit.store import IN_PROGRESS, Delivery, Store
from tests.store.helpers import T0, later, vca_delivery, vca_event, vca_update


def test_a_new_event_is_stored_with_an_id_and_opens_the_session(store: Store) -> None:
    event = vca_event(timestamp=T0)
    stored, fresh = store.record_vca(vca_delivery(event), vca_update(event))

    assert fresh is True
    assert stored.id is not None
    assert stored == replace(vca_delivery(event), id=stored.id, received_at=stored.received_at)
    session = store.session(event.payload.session_id)
    assert session is not None
    assert session.status == IN_PROGRESS
    assert session.direction == "OUTBOUND"
    assert session.sub_account_id == "account_x"
    assert session.customer == "+6598888888"
    assert session.flow == "simple_ivr"
    assert session.node == "main"
    assert session.last_action == "SAY_AND_CAPTURE"
    assert session.digits == ["1"]
    assert session.started_at == T0
    assert session.ended_at is None
    assert session.duration_seconds is None


def test_a_repeated_event_stores_nothing_and_returns_the_first_answer(store: Store) -> None:
    event = vca_event()
    first, fresh = store.record_vca(vca_delivery(event, answer='{"first":1}'), vca_update(event))
    again, fresh_again = store.record_vca(
        vca_delivery(event, answer='{"second":2}'), vca_update(event, node="other")
    )

    assert (fresh, fresh_again) == (True, False)
    assert again == first
    assert again.answer == '{"first":1}'
    assert store.find_answered(event.payload.event_id) == first
    assert [d.id for d in store.deliveries()] == [first.id]
    session = store.session(event.payload.session_id)
    assert session is not None
    assert session.digits == ["1"]
    assert session.node == "main"


def test_find_answered_is_none_for_an_unknown_event(store: Store) -> None:
    store.record_vca(vca_delivery(vca_event()), None)
    assert store.find_answered("no-such-event") is None


def test_concurrent_identical_deliveries_store_exactly_one(store: Store) -> None:
    event = vca_event(event_id="race-event", session_id="race-session")
    callers = 12
    barrier = threading.Barrier(callers)

    def deliver(n: int) -> tuple[Delivery, bool]:
        barrier.wait()
        return store.record_vca(vca_delivery(event, answer=f'{{"n":{n}}}'), vca_update(event))

    with ThreadPoolExecutor(callers) as pool:
        results = list(pool.map(deliver, range(callers)))

    winners = [stored for stored, fresh in results if fresh]
    assert len(winners) == 1
    assert all(stored == winners[0] for stored, _ in results)
    assert len({stored.answer for stored, _ in results}) == 1
    assert [d.id for d in store.deliveries("race-session")] == [winners[0].id]
    session = store.session("race-session")
    assert session is not None
    assert session.digits == ["1"]


def test_deliveries_without_event_id_are_never_deduplicated(store: Store) -> None:
    event = vca_event()
    delivery = replace(vca_delivery(event), event_id=None)
    one, fresh_one = store.record_vca(delivery, None)
    two, fresh_two = store.record_vca(delivery, None)
    assert fresh_one and fresh_two
    assert one.id != two.id


def test_other_deliveries_with_the_same_event_id_do_not_block_the_answer(store: Store) -> None:
    event = vca_event()
    rejected = replace(vca_delivery(event), http_status=401, answer=None, outcome="unauthorized")
    store.record_delivery(rejected)

    stored, fresh = store.record_vca(vca_delivery(event), vca_update(event))
    assert fresh is True
    assert store.find_answered(event.payload.event_id) == stored


def test_digits_keep_their_arrival_order_and_skip_no_input(store: Store) -> None:
    pressed = ["1", None, "2", "", "#", "10", "1", None, "*9#"]
    for n, digits in enumerate(pressed):
        event = vca_event(event_id=f"e{n}", session_id="s1", digits=digits, timestamp=later(n))
        store.record_vca(vca_delivery(event), vca_update(event))

    session = store.session("s1")
    assert session is not None
    assert session.digits == ["1", "2", "#", "10", "1", "*9#"]


def test_legacy_dtmf_placement_reaches_the_session(store: Store) -> None:
    event = vca_event("vca_dtmf_legacy_payload_dtmf.json")
    store.record_vca(vca_delivery(event), vca_update(event))
    session = store.session(event.payload.session_id)
    assert session is not None
    assert session.digits == ["3"]


def test_the_latest_answer_moves_the_node_and_the_first_event_fixes_the_parties(
    store: Store,
) -> None:
    received = vca_event("vca_call_received_number_masking.json", timestamp=later(5))
    store.record_vca(vca_delivery(received), vca_update(received, node="menu", flow="shop"))
    sid = received.payload.session_id
    follow_up = vca_event(event_id="second", session_id=sid, digits="2", timestamp=later(20))
    store.record_vca(
        vca_delivery(follow_up),
        replace(vca_update(follow_up, node="agent", last_action="MAKE_CALL"), customer="+1999"),
    )
    no_node = vca_event(event_id="third", session_id=sid, digits=None, timestamp=later(30))
    store.record_vca(
        vca_delivery(no_node), vca_update(no_node, node=None, last_action=None, flow=None)
    )

    session = store.session(sid)
    assert session is not None
    assert session.direction == "INBOUND"
    assert session.customer == "+65123456789"
    assert session.node == "agent"
    assert session.last_action == "MAKE_CALL"
    assert session.flow == "simple_ivr"
    assert session.started_at == later(5)
    assert session.digits == ["2"]


def test_an_earlier_event_arriving_late_moves_the_start_back(store: Store) -> None:
    late = vca_event(event_id="b", session_id="s", timestamp=later(10))
    early = vca_event(event_id="a", session_id="s", timestamp=later(2))
    store.record_vca(vca_delivery(late), vca_update(late))
    store.record_vca(vca_delivery(early), vca_update(early))
    session = store.session("s")
    assert session is not None
    assert session.started_at == later(2)


def test_a_delivery_without_session_id_takes_the_update_s(store: Store) -> None:
    event = vca_event()
    stored, _ = store.record_vca(replace(vca_delivery(event), session_id=None), vca_update(event))
    assert stored.session_id == event.payload.session_id
    assert [d.id for d in store.deliveries(event.payload.session_id)] == [stored.id]
