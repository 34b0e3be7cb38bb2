"""The webhook server over real HTTP on loopback: the guide's payloads, every bad input."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ivrkit._serving import BackgroundServer
from ivrkit.server import create_app
from ivrkit.store import Store
from ivrkit.trees import load_tree
from tests.conftest import load_fixture
from tests.server.conftest import InProcessServer, SettledClient

SECRET = "s3cret-header-value"
CUSTOMER = "+6512345678"


@pytest.fixture()
def server(store: Store, tmp_path: Path) -> Iterator[InProcessServer]:
    app = create_app(load_tree(), store=store, spool=tmp_path / "spool.jsonl")
    with InProcessServer(app) as running:
        yield running


@pytest.fixture()
def http(server: InProcessServer) -> Iterator[httpx.Client]:
    with SettledClient(server) as client:
        yield client


def vca_event(
    digits: str | None,
    *,
    legacy: bool = False,
    action_id: str | None = None,
    event_id: str = "e-1",
    session_id: str = "s-1",
) -> dict[str, Any]:
    """A guide CALL_ACTION for our customer, digits in either documented placement."""
    if legacy:
        event = copy.deepcopy(load_fixture("vca_dtmf_legacy_payload_dtmf.json"))
        event["payload"]["dtmf"] = digits
    else:
        event = copy.deepcopy(load_fixture("vca_dtmf_eventdata.json"))
        event["payload"]["eventData"] = {"dtmf": digits}
        event["payload"].pop("clientActionId")
    payload = event["payload"]
    payload.update(eventId=event_id, sessionId=session_id, destination=CUSTOMER)
    if action_id is not None:
        payload["clientActionId"] = action_id
    return event


@pytest.mark.parametrize("legacy", [False, True], ids=["eventData.dtmf", "payload.dtmf"])
def test_digit_1_hangs_up_as_the_guide_does(http: httpx.Client, legacy: bool) -> None:
    response = http.post("/webhooks/vca", json=vca_event("1", legacy=legacy))
    assert response.status_code == 200
    assert (
        response.json()["callflow"]
        == load_fixture("vca_response_simple_ivr_dtmf1_hangup.json")["callflow"]
    )


@pytest.mark.parametrize("legacy", [False, True], ids=["eventData.dtmf", "payload.dtmf"])
def test_digit_2_bridges_the_customer_to_the_agent(http: httpx.Client, legacy: bool) -> None:
    response = http.post("/webhooks/vca", json=vca_event("2", legacy=legacy))
    assert (
        response.json()["callflow"]
        == load_fixture("vca_response_simple_ivr_dtmf2_connect_call.json")["callflow"]
    )


@pytest.mark.parametrize("digits", ["9", None, "", "12"])
def test_anything_else_repeats_the_menu_with_the_guides_prompt(
    http: httpx.Client, digits: str | None
) -> None:
    body = http.post("/webhooks/vca", json=vca_event(digits)).json()
    assert (
        body["callflow"]
        == load_fixture("vca_response_simple_ivr_dtmf_other_repeat_menu.json")["callflow"]
    )
    assert body["clientActionId"] == f"main#1~{load_tree().version[:6]}"


def test_the_repeated_menu_still_routes_digits(http: httpx.Client) -> None:
    body = http.post("/webhooks/vca", json=vca_event("1", action_id="main#1")).json()
    assert body == {"callflow": [{"action": "hangup"}]}


def test_unknown_client_action_id_gets_the_entry_menu_and_is_recorded(
    http: httpx.Client, store: Store
) -> None:
    body = http.post("/webhooks/vca", json=vca_event("1", action_id="ivr1_level1")).json()
    prompt = body["callflow"][0]["params"]["promptMessage"]
    assert prompt.startswith("Dear customer"), "the digit must not be acted on"
    (delivery,) = store.deliveries("s-1")
    assert delivery.outcome == "stale-action-id"
    assert "ivr1_level1" in (delivery.note or "")


def test_a_repeated_event_id_gets_the_identical_answer_and_is_recorded_once(
    http: httpx.Client, store: Store
) -> None:
    first = http.post("/webhooks/vca", json=vca_event("2", event_id="dup"))
    again = http.post("/webhooks/vca", json=vca_event("1", event_id="dup"))
    assert again.status_code == 200
    assert again.content == first.content
    assert len(store.deliveries("s-1")) == 1
    assert store.session("s-1").digits == ["2"]


def test_sessions_record_digits_in_order_and_the_last_action(
    http: httpx.Client, store: Store
) -> None:
    http.post("/webhooks/vca", json=vca_event("9", event_id="a"))
    http.post("/webhooks/vca", json=vca_event("1", event_id="b", action_id="main#1"))
    session = store.session("s-1")
    assert session is not None
    assert session.digits == ["9", "1"]
    assert session.last_action == "HANGUP"
    assert session.status == "IN_PROGRESS"


def test_sessions_record_the_outcome_label_the_answer_reached(
    http: httpx.Client, store: Store
) -> None:
    http.post("/webhooks/vca", json=vca_event("9", event_id="a"))  # the menu again: no label
    session = store.session("s-1")
    assert session is not None and session.outcome_label is None
    http.post("/webhooks/vca", json=vca_event("2", event_id="b", action_id="main#1"))
    session = store.session("s-1")
    assert session is not None and session.outcome_label == "agent"  # no outcome until it ends


@pytest.mark.parametrize(
    "name",
    [
        "vss_ivr_scenario1_bridge_completed.json",
        "vss_vm_success.json",
        "vss_vm_failure_error_minus2004.json",
        "vss_nm_success_bridge.json",
        "vss_nm_failure_error_minus2004.json",
    ],
)
def test_session_summaries_are_stored_before_200(
    http: httpx.Client, store: Store, name: str
) -> None:
    summary = load_fixture(name)
    response = http.post("/webhooks/vss", json=summary)
    assert response.status_code == 200
    assert response.json() == {}
    stored = store.summary(summary["payload"]["sessionId"])
    assert stored is not None
    assert stored.session_status == summary["payload"]["sessionStatus"]
    assert len(stored.legs) == len(summary["payload"]["details"])


def test_malformed_json_is_400_and_kept(http: httpx.Client, store: Store) -> None:
    response = http.post(
        "/webhooks/vca",
        content=b'{"eventType": "CALL_ACTION",',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "malformed-json"
    (kept,) = store.deliveries()
    assert kept.outcome == "bad-json"
    assert kept.body == '{"eventType": "CALL_ACTION",'


def test_a_wrong_shape_is_400_naming_the_field(http: httpx.Client, store: Store) -> None:
    event = vca_event("1")
    event["payload"]["eventId"] = 12345
    response = http.post("/webhooks/vca", json=event)
    assert response.status_code == 400
    assert "eventId" in response.json()["field"]
    assert store.deliveries()[0].outcome == "bad-shape"


@pytest.mark.parametrize("body", [b"[]", b'"CALL_ACTION"', b"null", b"42"])
def test_json_that_is_not_an_object_is_400(http: httpx.Client, store: Store, body: bytes) -> None:
    response = http.post(
        "/webhooks/vca", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid-event"
    assert store.deliveries()[0].outcome == "bad-shape"


def test_a_body_over_64_kib_is_413(http: httpx.Client, store: Store) -> None:
    event = vca_event("1")
    event["padding"] = "x" * (64 * 1024)
    response = http.post("/webhooks/vca", json=event)
    assert response.status_code == 413
    assert store.deliveries()[0].outcome == "too-large"


@pytest.mark.e2e
def test_a_smaller_body_limit_is_the_one_reported(store: Store, tmp_path: Path) -> None:
    app = create_app(load_tree(), store=store, spool=tmp_path / "spool.jsonl", max_body=1024)
    with BackgroundServer(app) as running:
        response = httpx.post(running.url + "/webhooks/vca", json={"padding": "x" * 2000})
    assert response.status_code == 413
    assert response.json()["limit"] == 1024
    assert "over the 1024-byte limit" in response.json()["detail"]


def test_an_unknown_event_type_is_200_empty_and_recorded(http: httpx.Client, store: Store) -> None:
    response = http.post("/webhooks/vca", json={"eventType": "CALL_TELEPORTED", "payload": {}})
    assert response.status_code == 200
    assert response.json() == {}
    assert store.deliveries()[0].outcome == "ignored"


def test_call_status_events_are_recorded(http: httpx.Client, store: Store) -> None:
    event = load_fixture("vcs_call_status_call_received_simple_ivr.json")
    assert http.post("/webhooks/vcs", json=event).status_code == 200
    (kept,) = store.deliveries(event["payload"]["sessionId"])
    assert kept.channel == "vcs"


def test_healthz(http: httpx.Client) -> None:
    assert http.get("/healthz").json()["status"] == "ok"


@pytest.fixture()
def secured(store: Store, tmp_path: Path) -> Iterator[httpx.Client]:
    app = create_app(
        load_tree(), store=store, webhook_secret=SECRET, spool=tmp_path / "spool.jsonl"
    )
    with InProcessServer(app) as running, SettledClient(running) as client:
        yield client


@pytest.mark.parametrize("header", [None, "wrong", f"Bearer {SECRET}", SECRET.upper()])
def test_wrong_auth_is_401_and_answers_nothing(
    secured: httpx.Client, store: Store, header: str | None
) -> None:
    headers = {"authorization": header} if header is not None else {}
    response = secured.post("/webhooks/vca", json=vca_event("1"), headers=headers)
    assert response.status_code == 401
    assert "callflow" not in response.json()
    assert store.deliveries()[0].outcome == "unauthorized"
    assert store.session("s-1") is None


def test_the_configured_secret_is_accepted(secured: httpx.Client) -> None:
    response = secured.post("/webhooks/vca", json=vca_event("1"), headers={"authorization": SECRET})
    assert response.status_code == 200
    assert response.json()["callflow"] == [{"action": "hangup"}]


def test_an_internal_failure_answers_the_entry_menu_not_500(
    server: InProcessServer, http: httpx.Client, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(event: object) -> object:
        raise RuntimeError("tree exploded")

    pipeline_tree = server.app.state.tree  # type: ignore[attr-defined]
    monkeypatch.setattr(pipeline_tree, "answer", broken)
    response = http.post("/webhooks/vca", json=vca_event("1"))
    assert response.status_code == 200
    assert response.json()["callflow"][0]["params"]["promptMessage"].startswith("Dear customer")
    assert store.deliveries("s-1")[0].outcome == "fallback"


@pytest.mark.e2e
def test_a_summary_the_store_refuses_is_spooled_then_replayed(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = tmp_path / "spool.jsonl"
    summary = load_fixture("vss_ivr_scenario1_bridge_completed.json")

    def refuse(*args: object) -> bool:
        raise OSError("disk full")

    app = create_app(load_tree(), store=store, spool=spool)
    with monkeypatch.context() as patch:
        patch.setattr(store, "record_batch", refuse)
        patch.setattr(store, "record_summary", refuse)
        with BackgroundServer(app) as running:
            response = httpx.post(running.url + "/webhooks/vss", json=summary)
    assert response.status_code == 200
    assert json.loads(spool.read_text().splitlines()[0])["channel"] == "vss"
    assert store.summary(summary["payload"]["sessionId"]) is None
    with BackgroundServer(create_app(load_tree(), store=store, spool=spool)):
        pass  # start-up replays the spool
    assert store.summary(summary["payload"]["sessionId"]) is not None
    assert not spool.exists()


@pytest.mark.e2e
def test_a_summary_neither_store_nor_spool_can_keep_is_503_so_it_comes_again(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = load_fixture("vss_ivr_scenario1_bridge_completed.json")
    not_a_folder = tmp_path / "not-a-folder"
    not_a_folder.write_text("")
    spool = not_a_folder / "spool.jsonl"

    def refuse(*args: object) -> bool:
        raise OSError("disk full")

    app = create_app(load_tree(), store=store, spool=spool)
    with monkeypatch.context() as patch:
        patch.setattr(store, "record_batch", refuse)
        patch.setattr(store, "record_summary", refuse)
        with BackgroundServer(app) as running:
            response = httpx.post(running.url + "/webhooks/vss", json=summary)
    assert response.status_code == 503
    assert response.json()["error"] == "store-unavailable"


def test_an_unauthorized_body_is_kept_only_in_part(secured: httpx.Client, store: Store) -> None:
    event = vca_event("1")
    event["padding"] = "x" * 50_000
    assert secured.post("/webhooks/vca", json=event).status_code == 401
    (kept,) = store.deliveries()
    assert kept.outcome == "unauthorized"
    assert len(kept.body) == 1024


@pytest.mark.e2e
def test_a_secret_with_non_ascii_characters_matches_its_utf8_bytes(
    store: Store, tmp_path: Path
) -> None:
    secret = "clé-secrète"
    app = create_app(load_tree(), store=store, webhook_secret=secret, spool=tmp_path / "s.jsonl")
    with BackgroundServer(app) as running, SettledClient(running) as client:
        ok = client.post(
            "/webhooks/vca", json=vca_event("1"), headers=[("authorization", secret.encode())]
        )
        assert ok.status_code == 200
        refused = client.post(
            "/webhooks/vca",
            json=vca_event("1", event_id="e-2"),
            headers=[("authorization", b"cle-secrete")],
        )
        assert refused.status_code == 401
