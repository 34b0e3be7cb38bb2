"""``ivrkit simulator --state FILE``: the registered webhooks outlive a restart, the file is
written whole, and a damaged file is one line at start."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from ivrkit._cli.app import app as cli
from ivrkit._cli.common import run_app
from ivrkit.errors import ConfigError
from ivrkit.simulator import SimulatorConfig, create_simulator
from ivrkit.wire import WebhookType
from tests.asgi import InProcessServer

SUB = "acme_voice"
HOOKS = f"/api/v1/subaccounts/{SUB}/webhooks"


def _register(state: Path, kind: str, url: str, secret: str | None = None) -> None:
    body = {"type": kind, "url": url, "enabled": True}
    if secret is not None:
        body["httpAuthHeader"] = secret
    with InProcessServer(create_simulator(SimulatorConfig(state_file=state))) as server:
        assert server.client().post(HOOKS, json=body).status_code == 200


def _listed(state: Path) -> list[tuple[str, str, bool]]:
    with InProcessServer(create_simulator(SimulatorConfig(state_file=state))) as server:
        hooks = server.client().get(HOOKS).json()["webhooks"]
    return [(hook["type"], hook["url"], hook["httpAuthHeaderAvailable"]) for hook in hooks]


def test_registered_webhooks_are_there_after_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "simulator.json"
    _register(state, "VCA", "http://127.0.0.1:8080/webhooks/vca", secret="Basic c2VjcmV0")
    _register(state, "VSS", "http://127.0.0.1:8080/webhooks/vss")
    assert _listed(state) == [
        ("VCA", "http://127.0.0.1:8080/webhooks/vca", True),
        ("VSS", "http://127.0.0.1:8080/webhooks/vss", False),
    ]
    # The restarted platform delivers to them: an inbound call finds the subaccount by its VCA.
    restarted = create_simulator(SimulatorConfig(state_file=state))
    webhooks = restarted.state.simulator.webhooks
    assert webhooks.active(SUB, WebhookType.VCA) is not None
    assert webhooks.last_vca_subaccount == SUB
    # It holds a webhook's Authorization value: only its owner reads it.
    assert state.stat().st_mode & 0o777 == 0o600


def test_a_deleted_webhook_stays_deleted_and_a_reset_forgets_them_all(tmp_path: Path) -> None:
    state = tmp_path / "simulator.json"
    _register(state, "VCA", "http://127.0.0.1:8080/webhooks/vca")
    _register(state, "VSS", "http://127.0.0.1:8080/webhooks/vss")
    with InProcessServer(create_simulator(SimulatorConfig(state_file=state))) as server:
        assert server.client().delete(f"{HOOKS}/VSS").status_code == 200
    assert [kind for kind, _, _ in _listed(state)] == ["VCA"]
    with InProcessServer(create_simulator(SimulatorConfig(state_file=state))) as server:
        assert server.client().post("/sim/v1/reset").status_code in (200, 204)
    assert _listed(state) == []


def test_without_a_state_file_nothing_is_written_and_a_restart_starts_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with InProcessServer(create_simulator()) as server:
        body = {"type": "VCA", "url": "http://127.0.0.1:8080/webhooks/vca", "enabled": True}
        assert server.client().post(HOOKS, json=body).status_code == 200
    assert list(tmp_path.iterdir()) == []
    with InProcessServer(create_simulator()) as server:
        assert server.client().get(HOOKS).json()["webhooks"] == []


def test_a_failed_write_keeps_the_old_file_whole_and_the_webhook_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    state = tmp_path / "simulator.json"
    _register(state, "VCA", "http://old.example/vca")
    before = state.read_bytes()

    def full_disk(source: str, target: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    caplog.set_level(logging.WARNING, logger="ivrkit.simulator")
    with InProcessServer(create_simulator(SimulatorConfig(state_file=state))) as server:
        client = server.client()
        body = {"type": "VCA", "url": "http://new.example/vca", "enabled": True}
        assert client.post(HOOKS, json=body).status_code == 200
        assert client.get(HOOKS).json()["webhooks"][0]["url"] == "http://new.example/vca"
    assert state.read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["simulator.json"]
    assert "could not save the webhooks" in caplog.text and "No space left" in caplog.text


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"format": 1, "webhooks": ', "not JSON"),
        ("[]", '"format": 1'),
        ('{"format": 1}', "'webhooks' is missing"),
        ('{"format": 1, "webhooks": {"s": [{"type": "NOPE", "url": "http://x"}]}}', "NOPE"),
        ('{"format": 1, "webhooks": {"s": [{"type": "VCA", "url": 5}]}}', "no url"),
    ],
)
def test_a_damaged_state_file_is_refused_saying_what_to_do(
    tmp_path: Path, text: str, reason: str
) -> None:
    state = tmp_path / "simulator.json"
    state.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="is not a simulator state file") as refused:
        create_simulator(SimulatorConfig(state_file=state))
    assert reason in str(refused.value) and "delete it" in str(refused.value)
    assert state.read_text(encoding="utf-8") == text


def test_the_command_says_a_damaged_state_file_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "simulator.json"
    state.write_text("{not json", encoding="utf-8")
    assert run_app(cli, ["simulator", "--port", "0", "--state", str(state)]) == 1
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert f"{state} is not a simulator state file" in " ".join(captured.err.split())
    assert captured.out == ""
