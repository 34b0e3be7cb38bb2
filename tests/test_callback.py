"""place_callback: the one way `ivrkit call`, the ivr fixture and `ivrkit demo` place a call."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivrkit._callback import place_callback
from ivrkit._serving import BackgroundServer
from ivrkit.client import VoiceClient
from ivrkit.errors import ApiError
from ivrkit.server import create_app
from ivrkit.simulator import SimulatorConfig, create_simulator
from ivrkit.store import open_store
from ivrkit.trees import load_tree

API_KEY = "callback-key"
SUBACCOUNT = "callback-sub"


@pytest.mark.e2e
def test_the_callback_is_placed_and_recorded(tmp_path: Path) -> None:
    tree = load_tree("simple_ivr")
    store = open_store(f"sqlite:///{tmp_path / 'ivrkit.db'}")
    simulator = create_simulator(SimulatorConfig(api_key=API_KEY, subaccount=SUBACCOUNT))
    backend = create_app(tree, store=store, spool=tmp_path / "spool.jsonl")
    try:
        with (
            BackgroundServer(simulator) as platform,
            BackgroundServer(backend) as webhooks,
            VoiceClient(API_KEY, SUBACCOUNT, base_url=platform.url) as client,
        ):
            client.create_webhook("VCA", f"{webhooks.url}/webhooks/vca")
            response = place_callback(
                client, tree, "+6512345678", store=store, client_request_id="order-17"
            )
        assert response.session_id
        record = store.session(response.session_id)
        assert record is not None
        assert record.direction == "OUTBOUND"
        assert record.customer == "+6512345678"
        assert record.sub_account_id == SUBACCOUNT
        assert record.flow == tree.name
        assert record.client_request_id == "order-17"
        assert record.request_id == response.call_flow_request_id
    finally:
        store.close()


@pytest.mark.e2e
def test_a_refused_callback_records_nothing(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'ivrkit.db'}")
    simulator = create_simulator(SimulatorConfig(api_key=API_KEY, subaccount=SUBACCOUNT))
    try:
        with (
            BackgroundServer(simulator) as platform,
            VoiceClient("wrong-key", SUBACCOUNT, base_url=platform.url) as client,
            pytest.raises(ApiError),
        ):
            place_callback(client, load_tree("simple_ivr"), "+6512345678", store=store)
        assert store.sessions() == []
    finally:
        store.close()
