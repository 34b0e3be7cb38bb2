"""The benchmark's traffic looks like production's: what `make bench` sends to every server."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import traffic

from ivrkit import wire


def deliveries(count: int, thread: int = 1) -> list[traffic.Delivery]:
    model = traffic.Traffic("run1", thread)
    return [model.next() for _ in range(count)]


def test_every_call_has_its_own_session_numbers_and_event_ids() -> None:
    sent = deliveries(5_000)
    events = [json.loads(d.body) for d in sent]
    vca = [e["payload"] for e in events if e["eventType"] == "CALL_ACTION"]
    assert len({p["eventId"] for p in vca}) == len(vca)
    by_session: dict[str, set[tuple[str, str]]] = {}
    for d, e in zip(sent, events, strict=True):
        p = e["payload"]
        source = p["source"] if d.kind == "vca" else p["details"]["callA"]["source"]
        destination = p["destination"] if d.kind == "vca" else p["details"]["callA"]["destination"]
        by_session.setdefault(p["sessionId"], set()).add((source, destination))
    assert all(len(numbers) == 1 for numbers in by_session.values())  # one call, one pair
    pairs = [next(iter(numbers)) for numbers in by_session.values()]
    assert len({caller for caller, _ in pairs}) == len(pairs)
    assert len({customer for _, customer in pairs}) == len(pairs)
    assert all(e["payload"]["sessionId"].startswith("run1-") for e in events)


def test_the_bodies_are_valid_platform_events() -> None:
    for d in deliveries(40):
        if d.kind == "vca":
            event = wire.CallActionEvent.model_validate_json(d.body)
            assert event.payload.event_data is not None
            assert event.payload.event_data.dtmf == d.digits
        else:
            wire.SessionSummaryEvent.model_validate_json(d.body)


def test_keys_and_summaries_come_in_the_mix_of_real_calls() -> None:
    sent = deliveries(19 * 400)
    kinds = Counter(d.kind for d in sent)
    assert 0.35 < kinds["vss"] / len(sent) < 0.5  # one summary per call of 1-2 key presses
    keys = Counter(d.digits for d in sent if d.kind == "vca")
    assert set(keys) == {"1", "2", "3", "9"}
    assert keys["1"] > keys["3"] > 0 and keys["2"] > keys["9"] > 0


def test_a_call_ends_with_its_summary_and_its_events_are_spread_out() -> None:
    sent = deliveries(3_000)
    seen: dict[str, list[int]] = {}
    for index, d in enumerate(sent):
        seen.setdefault(d.session, []).append(index)
    ended = [s for s in seen if sent[seen[s][-1]].kind == "vss"]
    assert len(ended) > 100
    for session in ended:
        positions = seen[session]
        assert [sent[i].kind for i in positions].count("vss") == 1
        gaps = [b - a for a, b in zip(positions, positions[1:], strict=False)]
        assert all(gap >= traffic.ACTIVE for gap in gaps)


def test_generator_threads_never_share_ids_or_numbers() -> None:
    first, second = deliveries(500, thread=1), deliveries(500, thread=2)
    assert not {d.session for d in first} & {d.session for d in second}
    numbers = {traffic.numbers(1, n) for n in range(300)}
    assert not numbers & {traffic.numbers(2, n) for n in range(300)}


def test_wrk_gets_the_same_scripts(tmp_path: Path) -> None:
    env = traffic.wrk_environment("r", tmp_path)
    scripts = [tuple(s.split(",")) for s in env["WRK_SCRIPTS"].split(";")]
    assert tuple(scripts) == traffic.SCRIPTS
    assert int(env["WRK_ACTIVE"]) == traffic.ACTIVE
