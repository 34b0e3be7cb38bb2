"""Sessions the webhook server itself recorded, replayed: the callers are read from the path
steps it wrote, and the replay hears the server's own answers, byte for byte (a prompt with
accents and a dash included, which JSON may write escaped or not)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from ivrkit.replay import replay_store
from ivrkit.replay._behaviour import behaviour_of
from ivrkit.replay._platform import run_replay
from ivrkit.replay._recorded import recorded_sessions
from ivrkit.server import create_app
from ivrkit.store import Store, open_store
from ivrkit.store import _schema as schema
from ivrkit.trees import Tree, parse_tree
from ivrkit.trees._loader import builtin_path
from tests.server.test_webhooks import vca_event
from tests.store.helpers import summary_event

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
CALLS = [["1"], ["2"], ["9", "1"], [None, "1"], ["7"]]
"""What each caller entered at each capture (None: nothing)."""


def accented(**replace: str) -> Tree:
    text = builtin_path("simple_ivr").read_text(encoding="utf-8")
    text = text.replace("Sorry, we did not", "Désolé — ¿qué? We did not")
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    return parse_tree(text)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path / 'ivrkit.db'}")
    try:
        yield opened
    finally:
        opened.close()


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def serve(tree: Tree, store: Store, spool: Path) -> list[list[bytes]]:
    """Play ``CALLS`` through the webhook server as the platform would: each CALL_ACTION with
    the clientActionId of the answer before, until an answer no longer asks for digits (then
    the bridge ends once, for the agent), and a summary. Returns each call's answer bodies."""
    app = create_app(tree, store=store, spool=spool)

    async def run() -> list[list[bytes]]:
        bodies: list[list[bytes]] = []
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ivr") as client:
            for number, entries in enumerate(CALLS):
                session, start = f"served-{number}", T0 + timedelta(minutes=number)
                answers: list[bytes] = []
                action_id: str | None = None
                pending: list[str | None] = list(entries)
                while True:
                    digits = pending.pop(0) if pending else None
                    event: dict[str, Any] = vca_event(
                        digits,
                        action_id=action_id,
                        event_id=f"{session}-{len(answers)}",
                        session_id=session,
                    )
                    at = start + timedelta(seconds=10 * (len(answers) + 1))
                    event["payload"]["timestamp"] = _iso(at)
                    response = await client.post("/webhooks/vca", json=event)
                    assert response.status_code == 200
                    answers.append(response.content)
                    answer = response.json()
                    action_id = answer.get("clientActionId")
                    last = answer["callflow"][-1]["action"]
                    if last == "sayAndCapture" and pending:
                        continue
                    if last == "makeCall" and len(answers) < 3:
                        continue  # the agent hangs up: the platform asks once more
                    break
                end = start + timedelta(seconds=10 * (len(answers) + 1))
                summary = summary_event(
                    "vss_vm_success.json",
                    sessionId=session,
                    sessionStatus="COMPLETED",
                    startTime=_iso(start),
                    endTime=_iso(end),
                )
                response = await client.post("/webhooks/vss", json=summary.to_wire())
                assert response.status_code == 200
                bodies.append(answers)
        return bodies

    try:
        return asyncio.run(run())
    finally:
        app.state.pipeline.committer.stop()


def test_callers_come_from_the_path_steps_the_server_wrote(store: Store, tmp_path: Path) -> None:
    serve(accented(), store, tmp_path / "spool.jsonl")
    recorded = recorded_sessions(store)
    assert [len(r.steps) for r in recorded] == [1, 2, 2, 2, 1]
    assert all(not r.exchanges for r in recorded), "no raw body is read when steps exist"
    callers = [behaviour_of(r) for r in recorded]
    assert [c.entries for c in callers] == [("1",), ("2",), ("9", "1"), ("", "1"), ("7",)]
    assert [c.path for c in callers] == [
        ("(entry)", "resolved"),
        ("(entry)", "agent", "(hangup)"),
        ("(entry)", "main#1", "resolved"),
        ("(entry)", "main#1", "resolved"),
        ("(entry)", "main"),
    ]
    assert all(c.trusted for c in callers)


def test_the_replay_hears_the_servers_answers_byte_for_byte(store: Store, tmp_path: Path) -> None:
    tree = accented()
    served = serve(tree, store, tmp_path / "spool.jsonl")
    assert any("Désolé —".encode() in answer for answers in served for answer in answers)
    recorded = recorded_sessions(store)
    replayed = run_replay(tree, [behaviour_of(r) for r in recorded])
    assert [list(r.answers) for r in replayed] == served
    assert [r.outcome for r in replayed] == [r.record.outcome for r in recorded]


def test_an_untrusted_outcome_is_compared_with_a_replay_of_the_version_that_answered(
    store: Store, tmp_path: Path
) -> None:
    """A session answered by the server's fallback: its recorded outcome says what the failure
    made of the call, so the old side of the comparison is the kept version, replayed."""
    tree = accented()
    serve(tree, store, tmp_path / "spool.jsonl")
    with store.transaction() as conn:
        conn.execute(
            update(schema.deliveries)
            .where(schema.deliveries.c.session_id == "served-0")
            .values(outcome="fallback")
        )
        conn.execute(
            update(schema.sessions)
            .where(schema.sessions.c.session_id == "served-0")
            .values(outcome="weird")
        )
    report = replay_store(store, tree)
    assert report.changed == 0, "the kept version, replayed, ends as the same tree does"
    with store.transaction() as conn:
        conn.execute(update(schema.deliveries).values(outcome="answered"))
    report = replay_store(store, tree)
    assert [(c.session_id, c.old, c.new) for c in report.changes] == [
        ("served-0", "weird", "resolved")
    ]
