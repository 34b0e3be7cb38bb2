"""Every example payload of the vendor parses into its model and serialises back unchanged."""

from __future__ import annotations

import pytest

from ivrkit import wire
from tests.conftest import FIXTURES, fixture_names, load_fixture

NOT_PAYLOADS = {
    # Abbreviated fragments from a prose sketch, not real payload shapes (fixtures/README.md).
    "api_intro_lifecycle_fragments.json",
}

MODEL_BY_PREFIX: list[tuple[str, type[wire.WireModel]]] = [
    ("request_", wire.SendCallflowRequest),
    ("oas_request_", wire.SendCallflowRequest),
    ("vca_response_", wire.Callflow),
    ("api_response_", wire.SendCallflowResponse),
    ("oas_api_response_", wire.SendCallflowResponse),
    ("webhook_config_create_", wire.WebhookCreateRequest),
    ("oas_webhook_create_request", wire.WebhookCreateRequest),
    ("webhook_config_list_", wire.WebhookListResponse),
    ("oas_webhook_list_", wire.WebhookListResponse),
    ("oas_webhook_create_response", wire.WebhookListResponse),
    ("oas_webhook_delete_", wire.WebhookDeleteResponse),
    ("oas_speech_profiles_", wire.SpeechProfilesResponse),
    ("recording_push_config_", wire.RecordingPushConfig),
    ("recording_push_config_request", wire.RecordingPushConfigRequest),
    ("oas_recording_push_config_", wire.RecordingPushConfig),
    ("oas_recording_push_config_create_request", wire.RecordingPushConfigRequest),
    ("recordings_status_", wire.RecordingsResponse),
    ("oas_recording_item_", wire.Recording),
    ("oas_log_export_404", wire.LogExportError),
    ("oas_log_export_", wire.LogExportJob),
    ("oas_log_export_start", wire.LogExportStarted),
]


def _model_for(name: str) -> type[wire.WireModel] | None:
    best: tuple[int, type[wire.WireModel]] | None = None
    for prefix, model in MODEL_BY_PREFIX:
        if name.startswith(prefix) and (best is None or len(prefix) > best[0]):
            best = (len(prefix), model)
    return best[1] if best else None


def test_the_fixture_folder_is_there() -> None:
    assert len(fixture_names()) > 80, f"fixtures not found at {FIXTURES}"


@pytest.mark.parametrize(
    "name",
    [
        n
        for n in fixture_names()
        if n not in NOT_PAYLOADS
        and not n.startswith("action_")
        and n != "oas_playfile_legacy_example.json"
    ],
)
def test_fixture_round_trips(name: str) -> None:
    data = load_fixture(name)
    if name.startswith(("vca_dtmf", "vca_call_received", "vcs_", "vss_", "vru_", "vnu_")):
        parsed: wire.WireModel = wire.parse_event(data)
    else:
        model = _model_for(name)
        assert model is not None, f"no model is mapped for {name}"
        parsed = model.from_wire(data)
    assert parsed.to_wire() == data


@pytest.mark.parametrize("name", fixture_names("action_"))
def test_single_action_fixtures_round_trip(name: str) -> None:
    data = load_fixture(name)
    parsed = wire.Callflow.from_wire({"callflow": [data]})
    assert parsed.to_wire()["callflow"][0] == data


def test_legacy_playfile_example_is_not_an_action() -> None:
    """The OAS attaches a flat {destination, fileUrl, repetition} example to playFile; it is not
    a valid action object, and the strict model says so by naming the field."""
    data = load_fixture("oas_playfile_legacy_example.json")
    with pytest.raises(Exception, match="action"):
        wire.Callflow.from_wire({"callflow": [data]})
