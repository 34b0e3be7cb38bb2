"""One server, several trees: chosen by path, by the session's tree, or by the number called;
trees reload from disk when they change; session variables persist between webhooks."""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from ivrkit._serving import BackgroundServer
from ivrkit.errors import StoreError, TreeError
from ivrkit.server import create_app
from ivrkit.server._treeset import TreeSet
from ivrkit.store import Store
from ivrkit.trees import Position, load_tree, parse_tree
from tests.conftest import load_fixture
from tests.server.conftest import InProcessServer, SettledClient

INBOUND_TREE = """\
name: hotline
virtual_numbers: ["+6568880000"]
entry: hello
nodes:
  hello:
    collect:
      prompt: Enter your 4-digit member number.
      variable: member
      min_digits: 4
      max_digits: 4
      next: thanks
  thanks:
    say: Thank you, member {member:digits}.
"""


@pytest.fixture()
def http(store: Store, tmp_path: Path) -> Iterator[httpx.Client]:
    trees = [load_tree(), load_tree("restaurant"), parse_tree(INBOUND_TREE)]
    app = create_app(trees, store=store, spool=tmp_path / "spool.jsonl")
    with InProcessServer(app) as running, SettledClient(running) as client:
        yield client


def vca(
    digits: str | None,
    *,
    event_id: str,
    session: str = "s-1",
    action_id: str | None = None,
    inbound_to: str | None = None,
) -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(load_fixture("vca_dtmf_eventdata.json"))
    payload = event["payload"]
    payload.pop("clientActionId")
    payload.update(
        eventId=event_id, sessionId=session, eventData={"dtmf": digits}, destination="+6512345678"
    )
    if action_id:
        payload["clientActionId"] = action_id
    if inbound_to:
        payload.update(
            callStatus="CALL_RECEIVED",
            callDirection="INBOUND",
            source="+6512345678",
            destination=inbound_to,
        )
        payload.pop("eventData")
    return event


def prompt_of(answer: dict[str, Any]) -> str:
    text: str = answer["callflow"][0]["params"].get("promptMessage") or answer["callflow"][0][
        "params"
    ].get("text")
    return text


def test_the_path_names_the_tree(http: httpx.Client) -> None:
    answer = http.post("/webhooks/vca/restaurant", json=vca("1", event_id="a")).json()
    assert prompt_of(answer).startswith("Press 1 to make a new reservation")
    default = http.post("/webhooks/vca", json=vca("9", event_id="b", session="s-2")).json()
    assert prompt_of(default).startswith("Sorry, we did not understand")


def test_an_outbound_session_keeps_the_tree_that_called(http: httpx.Client, store: Store) -> None:
    store.record_outbound_call(
        "s-9",
        at=datetime.now(UTC),
        customer="+6512345678",
        sub_account_id="acc",
        flow="restaurant",
        request_id=None,
    )
    answer = http.post("/webhooks/vca", json=vca("3", event_id="c", session="s-9")).json()
    assert prompt_of(answer).startswith("Our restaurant hours")


def test_an_inbound_call_starts_the_tree_of_the_number_called(
    http: httpx.Client, store: Store
) -> None:
    start = http.post(
        "/webhooks/vca", json=vca(None, event_id="d", session="in-1", inbound_to="+6568880000")
    ).json()
    assert Position.decode(start["clientActionId"]) == Position("hello")
    assert prompt_of(start) == "Enter your 4-digit member number."
    done = http.post(
        "/webhooks/vca", json=vca("4321", event_id="e", session="in-1", action_id="hello")
    ).json()
    assert prompt_of(done) == "Thank you, member 4 3 2 1."
    assert store.variables("in-1") == {"member": "4321"}
    assert store.session("in-1").flow == "hotline"


def test_an_unknown_tree_in_the_path_gets_the_default_and_a_note(
    http: httpx.Client, store: Store
) -> None:
    answer = http.post("/webhooks/vca/nosuch", json=vca("1", event_id="f", session="s-5"))
    assert answer.status_code == 200
    assert answer.json() == {"callflow": [{"action": "hangup"}]}
    assert "nosuch" in (store.deliveries("s-5")[0].note or "")


def test_a_changed_tree_file_is_reloaded_and_a_broken_one_is_not(tmp_path: Path) -> None:
    path = tmp_path / "hotline.yaml"
    path.write_text(INBOUND_TREE)
    trees = TreeSet([load_tree(path)], paths=[path], loader=load_tree)
    path.write_text(INBOUND_TREE.replace("4-digit member", "four digit member"))
    os.utime(path, (1, 1))
    (reloaded,) = trees.reload_changed()
    assert reloaded.startswith(f"reloaded 'hotline' from {path}: new calls get version ")
    prompt = trees.default.entry_callflow(None).callflow[0].params.prompt_message  # type: ignore[union-attr]
    assert prompt == "Enter your four digit member number."
    path.write_text(INBOUND_TREE.replace("next: thanks", "next: nowhere"))
    os.utime(path, (2, 2))
    (message,) = trees.reload_changed()
    assert message.startswith("kept the running 'hotline'")
    assert "nowhere" in message
    assert trees.default.spec.nodes["hello"].collect.next == "thanks"  # type: ignore[union-attr]


def test_two_trees_with_one_name_are_refused() -> None:
    with pytest.raises(Exception, match="named 'simple_ivr'"):
        TreeSet([load_tree(), load_tree()])


def test_a_broken_tree_file_fails_at_start(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(INBOUND_TREE.replace("next: thanks", "next: nowhere"))
    with pytest.raises(TreeError, match="nowhere"):
        load_tree(path)


def test_an_unrecorded_outbound_call_goes_to_the_tree_whose_caller_id_placed_it(
    http: httpx.Client,
) -> None:
    event = vca("3", event_id="g", session="s-unrecorded")
    event["payload"]["source"] = "+6561115888"  # the restaurant's caller ID
    answer = http.post("/webhooks/vca", json=event).json()
    assert prompt_of(answer).startswith("Our restaurant hours")


def test_trees_sharing_a_number_are_reported() -> None:
    clash = parse_tree(INBOUND_TREE.replace('["+6568880000"]', '["+6561115777"]'))
    trees = TreeSet([load_tree(), clash])
    assert trees.shared_numbers() == {"6561115777": ["simple_ivr", "hotline"]}


@pytest.mark.e2e
def test_an_event_the_store_refuses_on_the_variables_path_is_written_later(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tree with variables commits before answering; when the batch fails, the record is
    written on its own (else spooled) before the answer, variables included."""
    original = store.record_batch
    failures = iter([StoreError("database is locked")])

    def flaky(*args: Any, **kwargs: Any) -> Any:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return original(*args, **kwargs)

    monkeypatch.setattr(store, "record_batch", flaky)
    app = create_app(parse_tree(INBOUND_TREE), store=store, spool=tmp_path / "spool.jsonl")
    with BackgroundServer(app) as running, SettledClient(running) as client:
        event = vca("4321", event_id="v-1", session="in-9", action_id="hello")
        answer = client.post("/webhooks/vca", json=event).json()
        assert prompt_of(answer) == "Thank you, member 4 3 2 1."
    assert [d.event_id for d in store.deliveries("in-9")] == ["v-1"]
    assert store.variables("in-9") == {"member": "4321"}


MEMBER_TREE = """\
name: member
entry: ask
nodes:
  ask:
    collect:
      prompt: Enter your 4-digit member number.
      variable: member
      min_digits: 4
      max_digits: 4
      next: confirm
  confirm:
    menu:
      prompt: You entered {member:digits}. Press 1 to go on.
      routes: {"1": bye}
  bye:
    say: Goodbye, member {member}.
"""


@pytest.mark.e2e
def test_variables_queued_behind_an_answer_are_read_by_the_next_event(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An answer leaves only once its variables are committed, so the next event reads them,
    however slow the commit."""
    original_batch = store.record_batch

    def slow_batch(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.3)
        return original_batch(*args, **kwargs)

    monkeypatch.setattr(store, "record_batch", slow_batch)
    app = create_app(parse_tree(MEMBER_TREE), store=store, spool=tmp_path / "spool.jsonl")
    with BackgroundServer(app) as running, httpx.Client(base_url=running.url) as client:
        first = vca("4321", event_id="m-1", session="m", action_id="ask")
        assert prompt_of(client.post("/webhooks/vca", json=first).json()).startswith(
            "You entered 4 3 2 1."
        )
        second = vca("1", event_id="m-2", session="m", action_id="confirm")
        assert prompt_of(client.post("/webhooks/vca", json=second).json()) == (
            "Goodbye, member 4321."
        )
