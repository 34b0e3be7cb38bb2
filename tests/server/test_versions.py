"""Versioned trees over real HTTP: a call keeps the version it started on through a reload, a
restart and another replica on the same store; an unknown or tampered version gets the entry
menu, recorded with a note; each delivery and session records the versions that answered."""

from __future__ import annotations

import copy
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ivrkit.server import create_app
from ivrkit.server._spool import Spool, spooled_delivery
from ivrkit.server._treeset import TreeSet
from ivrkit.store import Delivery, SessionUpdate, Store, VcaWrite, open_store
from ivrkit.store._versions import TreeVersions
from ivrkit.trees import HookCall, Position, Tree, builtin_path, load_tree, parse_tree
from ivrkit.trees._position import ActionId
from tests.conftest import load_fixture
from tests.server.conftest import InProcessServer, SettledClient

OLD = builtin_path("simple_ivr").read_text(encoding="utf-8")
NEW = OLD.replace('"2": agent', '"2": resolved\n        "3": agent')
"""The simple IVR after a change: key 2 now hangs up, the agent moved to key 3."""
HANGUP = {"callflow": [{"action": "hangup"}]}


def vca(digits: str | None, *, event_id: str, session: str, action_id: str | None = None) -> Any:
    event: dict[str, Any] = copy.deepcopy(load_fixture("vca_dtmf_eventdata.json"))
    payload = event["payload"]
    payload.pop("clientActionId")
    payload.update(
        eventId=event_id, sessionId=session, eventData={"dtmf": digits}, destination="+6512345678"
    )
    if action_id is not None:
        payload["clientActionId"] = action_id
    return event


def first_action(answer: dict[str, Any]) -> str:
    return str(answer["callflow"][0]["action"])


@pytest.fixture()
def flow(tmp_path: Path) -> Path:
    path = tmp_path / "simple_ivr.yaml"
    path.write_text(OLD, encoding="utf-8")
    return path


def change(path: Path, text: str, stamp: int) -> None:
    path.write_text(text, encoding="utf-8")
    os.utime(path, (stamp, stamp))


def serve(trees: TreeSet | Tree, store: Store, tmp_path: Path) -> InProcessServer:
    return InProcessServer(create_app(trees, store=store, spool=tmp_path / "spool.jsonl"))


def test_a_call_that_reloads_between_two_keys_keeps_its_route_and_new_calls_get_the_new_one(
    store: Store, flow: Path, tmp_path: Path
) -> None:
    trees = TreeSet([load_tree(flow)], paths=[flow], loader=load_tree)
    old = trees.default
    with serve(trees, store, tmp_path) as server, SettledClient(server) as http:
        retry = http.post("/webhooks/vca", json=vca("9", event_id="a1", session="call-1")).json()
        action = ActionId.decode(retry["clientActionId"])
        assert action == ActionId(Position("main", 1), old.version[:6])

        change(flow, NEW, 1)
        (message,) = trees.reload_changed()
        new = trees.default
        assert new.version != old.version
        assert f"new calls get version {new.version}" in message
        assert http.get("/healthz").json()["versions"] == {"simple_ivr": new.version}

        agent = http.post(
            "/webhooks/vca",
            json=vca("2", event_id="a2", session="call-1", action_id=retry["clientActionId"]),
        ).json()
        assert first_action(agent) == "makeCall", "key 2 of the menu the caller heard: the agent"
        fresh = http.post("/webhooks/vca", json=vca("2", event_id="b1", session="call-2")).json()
        assert fresh == HANGUP, "a new call gets the new tree: key 2 now hangs up"
        menu = http.post("/webhooks/vca", json=vca("9", event_id="b2", session="call-3")).json()
        assert ActionId.decode(menu["clientActionId"]) == ActionId(
            Position("main", 1), new.version[:6]
        )

    assert [d.version for d in store.deliveries("call-1")] == [old.version, old.version]
    assert [d.version for d in store.deliveries("call-2")] == [new.version]
    one, two = store.session("call-1"), store.session("call-2")
    assert one is not None and two is not None
    assert (one.first_version, one.last_version) == (old.version, old.version)
    assert (two.first_version, two.last_version) == (new.version, new.version)
    assert one.outcome_label == "agent" and two.outcome_label == "resolved"
    kept = TreeVersions(store).kept("simple_ivr")
    assert [v.version for v in kept] == [old.version, new.version]


def test_a_restarted_server_answers_a_call_on_a_version_it_no_longer_serves(
    store: Store, flow: Path, tmp_path: Path
) -> None:
    with serve(load_tree(flow), store, tmp_path) as before, SettledClient(before) as http:
        retry = http.post("/webhooks/vca", json=vca("9", event_id="r1", session="call")).json()
    change(flow, NEW, 1)
    restarted = load_tree(flow)
    with serve(restarted, store, tmp_path) as after, SettledClient(after) as http:
        agent = http.post(
            "/webhooks/vca",
            json=vca("2", event_id="r2", session="call", action_id=retry["clientActionId"]),
        ).json()
    assert first_action(agent) == "makeCall"
    session = store.session("call")
    assert session is not None and session.first_version == session.last_version
    assert session.last_version != restarted.version


def test_a_replica_that_knows_only_the_new_tree_answers_the_old_version_from_the_store(
    flow: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    with open_store(url) as first_store, open_store(url) as second_store:
        old_server = serve(load_tree(flow), first_store, tmp_path)
        new_server = serve(parse_tree(NEW, source="new.yaml"), second_store, tmp_path)
        with old_server as one, new_server as two:
            with SettledClient(one) as http:
                retry = http.post(
                    "/webhooks/vca", json=vca("9", event_id="p1", session="call")
                ).json()
            with SettledClient(two) as http:
                agent = http.post(
                    "/webhooks/vca",
                    json=vca("2", event_id="p2", session="call", action_id=retry["clientActionId"]),
                ).json()
                again = http.post(
                    "/webhooks/vca",
                    json=vca("2", event_id="p3", session="other", action_id="main"),
                ).json()
        assert first_action(agent) == "makeCall", "the old version's key 2, read from the store"
        assert again == HANGUP, "an id without a version means the replica's current version"
        versions = [d.version for d in second_store.deliveries("call")]
        assert versions[0] == versions[1] == load_tree(flow).version


def test_an_unknown_version_gets_the_entry_menu_with_a_note_and_the_session_shows_both(
    store: Store, flow: Path, tmp_path: Path
) -> None:
    old = load_tree(flow)
    with serve(old, store, tmp_path) as server, SettledClient(server) as http:
        http.post("/webhooks/vca", json=vca("9", event_id="u1", session="call"))
    change(flow, NEW, 1)
    new = load_tree(flow)
    unknown = "main#1~0123ab"
    assert not old.version.startswith("0123ab") and not new.version.startswith("0123ab")
    with serve(new, store, tmp_path) as server, SettledClient(server) as http:
        answer = http.post(
            "/webhooks/vca", json=vca("1", event_id="u2", session="call", action_id=unknown)
        ).json()
    assert answer["callflow"][0]["params"]["promptMessage"].startswith("Dear customer"), (
        "the digit is not acted on: the entry menu of the current version plays"
    )
    assert ActionId.decode(answer["clientActionId"]) == ActionId(Position("main"), new.version_tag)
    delivery = store.deliveries("call")[-1]
    assert delivery.outcome == "stale-action-id"
    assert "version 0123ab" in (delivery.note or "") and "not known" in (delivery.note or "")
    assert [d.version for d in store.deliveries("call")] == [old.version, new.version]
    session = store.session("call")
    assert session is not None
    assert (session.first_version, session.last_version) == (old.version, new.version)


@pytest.mark.parametrize(
    "action_id",
    [
        "main~" + "a" * 11,  # a tag longer than any version
        "main~ABCDEF",  # not lowercase hex
        "main~",  # a mark without a tag
        "main~abc",  # shorter than any tag
        "main#1~abcdef~abcdef",
        "main" + "#1" * 40,
        "m" * 70 + "~abcdef",  # longer than any id ivrkit writes
        "x" * 20_000,
    ],
)
def test_a_tampered_or_oversized_client_action_id_gets_the_entry_menu_with_a_short_note(
    store: Store, tmp_path: Path, action_id: str
) -> None:
    with serve(load_tree(), store, tmp_path) as server, SettledClient(server) as http:
        response = http.post(
            "/webhooks/vca", json=vca("1", event_id="t1", session="t", action_id=action_id)
        )
    assert response.status_code == 200
    assert response.json()["callflow"][0]["params"]["promptMessage"].startswith("Dear customer")
    (delivery,) = store.deliveries("t")
    assert delivery.outcome == "stale-action-id"
    assert delivery.note is not None and len(delivery.note) < 300


HOOKED = """\
name: hooked
entry: main
nodes:
  main:
    menu:
      prompt: Press one.
      routes: {"1": check}
  check:
    hook:
      python: lookup
      routes: {ok: good}
      default: bad
  good:
    say: Found you.
  bad:
    say: Not found.
"""


def test_python_hooks_apply_to_every_version(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "hooked.yaml"
    path.write_text(HOOKED, encoding="utf-8")
    tree = load_tree(path)
    asked: list[str | None] = []

    @tree.hook("lookup")
    def lookup(call: HookCall) -> str:
        asked.append(call.session_id)
        return "ok"

    trees = TreeSet([tree], paths=[path], loader=load_tree)
    with serve(trees, store, tmp_path) as server, SettledClient(server) as http:
        menu = http.post("/webhooks/vca", json=vca(None, event_id="h0", session="old")).json()
        change(path, HOOKED.replace("Found you.", "Welcome back."), 1)
        trees.reload_changed()
        old = http.post(
            "/webhooks/vca",
            json=vca("1", event_id="h1", session="old", action_id=menu["clientActionId"]),
        ).json()
        new = http.post("/webhooks/vca", json=vca("1", event_id="h2", session="new")).json()
    assert old["callflow"][0]["params"]["text"] == "Found you."
    assert new["callflow"][0]["params"]["text"] == "Welcome back."
    assert asked == ["old", "new"]


def test_a_version_read_back_from_the_store_answers_with_the_current_trees_hooks(
    store: Store, tmp_path: Path
) -> None:
    old = parse_tree(HOOKED)
    with serve(old, store, tmp_path) as server, SettledClient(server) as http:
        menu = http.post("/webhooks/vca", json=vca(None, event_id="k0", session="s")).json()
    current = parse_tree(HOOKED.replace("Found you.", "Welcome back."))

    @current.hook("lookup")
    def lookup(call: HookCall) -> str:
        return "ok"

    with serve(current, store, tmp_path) as server, SettledClient(server) as http:
        answer = http.post(
            "/webhooks/vca",
            json=vca("1", event_id="k1", session="s", action_id=menu["clientActionId"]),
        ).json()
    assert answer["callflow"][0]["params"]["text"] == "Found you."


def test_reloading_an_unchanged_tree_keeps_the_running_version(flow: Path) -> None:
    trees = TreeSet([load_tree(flow)], paths=[flow], loader=load_tree)
    running = trees.default
    change(flow, OLD + "\n# a comment\n", 1)
    (message,) = trees.reload_changed()
    assert trees.default is running
    assert "unchanged" in message


def test_the_answer_cache_never_mixes_versions(store: Store, flow: Path, tmp_path: Path) -> None:
    """Two versions of a tree without variables answer one event differently, both cached."""
    trees = TreeSet([load_tree(flow)], paths=[flow], loader=load_tree)
    with serve(trees, store, tmp_path) as server, SettledClient(server) as http:
        old_id = http.post("/webhooks/vca", json=vca("9", event_id="c0", session="x")).json()[
            "clientActionId"
        ]
        change(flow, NEW, 1)
        trees.reload_changed()
        new_id = http.post("/webhooks/vca", json=vca("9", event_id="c1", session="y")).json()[
            "clientActionId"
        ]
        answers = [
            http.post(
                "/webhooks/vca",
                json=vca("2", event_id=f"c{n}{i}", session=f"z{n}{i}", action_id=action_id),
            ).json()
            for i in range(2)
            for n, action_id in enumerate([old_id, new_id])
        ]
    assert [first_action(answer) for answer in answers] == ["makeCall", "hangup"] * 2


def test_a_spooled_delivery_keeps_the_version_that_answered_it(tmp_path: Path) -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    delivery = Delivery(
        channel="vca",
        received_at=at,
        body="{}",
        headers={},
        http_status=200,
        answer="{}",
        outcome="answered",
        event_id="e",
        session_id="s",
        version="3fa9c1d2e4",
    )
    update = SessionUpdate(session_id="s", at=at, version="3fa9c1d2e4")
    spool = Spool(tmp_path / "spool.jsonl")
    spool.append_delivery(delivery, VcaWrite(delivery=delivery, update=update))
    lines: list[Any] = []
    spool.replay(lines.append)
    (line,) = lines
    replayed, replayed_update = spooled_delivery(line, "replayed")
    assert replayed.version == "3fa9c1d2e4"
    assert replayed_update is not None and replayed_update.version == "3fa9c1d2e4"
