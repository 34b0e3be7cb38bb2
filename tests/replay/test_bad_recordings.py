"""A recorded session the replay cannot play is reported and skipped; the other sessions are
replayed. Without a secret (the default) anyone can record one: here a session id as long as the
platform allows, with digits "abc", which the replay's own event ids cannot carry."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from ivrkit.replay import replay_store
from ivrkit.server import create_app
from ivrkit.store import Store
from ivrkit.trees import load_tree
from tests.cli.run import ivrkit
from tests.replay.test_served import CALLS, accented, serve, store  # noqa: F401
from tests.server.test_webhooks import vca_event
from tests.store.helpers import summary_event

LONG = "s" * 250


def record_hostile_session(into: Store, spool: Path) -> None:
    app = create_app(load_tree(), store=into, spool=spool)

    async def run() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ivr") as client:
            event = vca_event("abc", event_id="hostile-1", session_id=LONG)
            event["payload"]["timestamp"] = "2026-03-02T01:30:00Z"
            assert (await client.post("/webhooks/vca", json=event)).status_code == 200
            summary = summary_event(
                "vss_vm_success.json",
                sessionId=LONG,
                sessionStatus="COMPLETED",
                startTime="2026-03-02T01:29:50Z",
                endTime="2026-03-02T01:30:10Z",
            )
            assert (await client.post("/webhooks/vss", json=summary.to_wire())).status_code == 200

    try:
        asyncio.run(run())
    finally:
        app.state.pipeline.committer.stop()


def test_a_session_the_replay_cannot_play_is_reported_and_skipped(
    store: Store,  # noqa: F811
    tmp_path: Path,
) -> None:
    serve(accented(), store, tmp_path / "spool.jsonl")
    record_hostile_session(store, tmp_path / "spool2.jsonl")
    report = replay_store(store, load_tree())
    assert report.sessions == len(CALLS)
    assert [sid for sid, _ in report.skipped] == [LONG]
    assert report.skipped[0][1].startswith("cannot be replayed:")
    db = f"sqlite:///{tmp_path / 'ivrkit.db'}"
    ran = ivrkit("replay", "--db", db, "--flow", "simple_ivr", "--since", "2026-03-01", columns=400)
    assert "Traceback" not in ran.stderr
    assert ran.returncode == 0, ran.stderr
    assert f"{len(CALLS)} recorded sessions replayed" in ran.stdout
    assert f"{LONG}: skipped, cannot be replayed" in ran.stdout
    as_json = ivrkit(
        "replay", "--db", db, "--flow", "simple_ivr", "--since", "2026-03-01", "--json"
    )
    assert '"skipped"' in as_json.stdout and LONG in as_json.stdout
