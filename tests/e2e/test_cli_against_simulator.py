"""The command line against the simulator, as a person with a real account would use it:
register the webhooks, place the callback, list what happened."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ivrkit._cli import app
from ivrkit._serving import BackgroundServer, free_port
from ivrkit.server import create_app
from ivrkit.simulator import (
    SimulatorConfig,
    SimulatorControl,
    SimulatorControlError,
    create_simulator,
)
from ivrkit.store import open_store
from ivrkit.trees import load_tree
from tests.cli.run import ivrkit

pytestmark = pytest.mark.e2e
# Rich fits usage errors to the terminal: a fixed width keeps option names unbroken whatever
# terminal the suite runs in.
runner = CliRunner(env={"COLUMNS": "200"})


def test_register_call_and_list_sessions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = f"sqlite:///{tmp_path / 'ivrkit.db'}"
    store = open_store(db)
    simulator = create_simulator(SimulatorConfig(api_key="k-123", subaccount="acme"))
    server = create_app(
        load_tree(), store=store, webhook_secret="hook-secret", spool=tmp_path / "spool.jsonl"
    )
    try:
        with (
            BackgroundServer(simulator) as platform,
            BackgroundServer(server) as backend,
            SimulatorControl(platform.url) as control,
        ):
            for key, value in {
                "IVRKIT_API_KEY": "k-123",
                "IVRKIT_SUBACCOUNT": "acme",
                "IVRKIT_API_BASE": platform.url,
                "IVRKIT_DB": db,
                "IVRKIT_WEBHOOK_SECRET": "hook-secret",
            }.items():
                monkeypatch.setenv(key, value)
            registered = runner.invoke(app, ["webhooks", "register", "--url", backend.url])
            assert registered.exit_code == 0, registered.output
            listed = runner.invoke(app, ["webhooks", "list", "--json"])
            hooks = {h["type"]: h for h in json.loads(listed.output)["webhooks"]}
            assert hooks["VCA"]["url"] == f"{backend.url}/webhooks/vca"
            assert hooks["VCA"]["httpAuthHeaderAvailable"] is True

            control.set_phone("+6512345678", press=["1"])
            placed = runner.invoke(
                app, ["call", "+6512345678", "--json", "--client-request-id", "ticket-7"]
            )
            assert placed.exit_code == 0, placed.output
            session_id = json.loads(placed.output)["sessionId"]
            control.wait_for_end(session_id, timeout=10)

            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                rows = json.loads(runner.invoke(app, ["sessions", "--json"]).output)
                if rows and rows[0]["status"] != "IN_PROGRESS":
                    break
                time.sleep(0.05)
            (row,) = rows
            assert row["sessionId"] == session_id
            assert (row["status"], row["lastAction"], row["digits"]) == (
                "COMPLETED",
                "HANGUP",
                ["1"],
            )

            deleted = runner.invoke(app, ["webhooks", "delete", "VCA"])
            assert deleted.exit_code == 0
            assert (
                "VCA"
                not in json.loads(runner.invoke(app, ["webhooks", "list", "--json"]).output)[
                    "webhooks"
                ].__repr__()
            )
    finally:
        store.close()


def test_a_wrong_api_key_is_one_clear_line(tmp_path: Path) -> None:
    simulator = create_simulator(SimulatorConfig(api_key="right", subaccount="acme"))
    with BackgroundServer(simulator) as platform:
        env = {
            "IVRKIT_API_KEY": "wrong",
            "IVRKIT_SUBACCOUNT": "acme",
            "IVRKIT_API_BASE": platform.url,
        }
        # In process, as the console script runs it (tests/cli/run.py); the default store,
        # ./ivrkit.db, lands in tmp_path and not in the clone.
        result = ivrkit("call", "+6512345678", env=env, cwd=tmp_path, columns=200)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error:")
    assert "IVRKIT_API_KEY" in line, line


def test_the_simulator_command_sets_the_trunk_capacity() -> None:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from ivrkit._cli import main; main()",
            "simulator",
            "--port",
            str(port),
            "--speed",
            "max",
            "--trunk-capacity",
            "2",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with SimulatorControl(f"http://127.0.0.1:{port}", timeout=2) as control:
            deadline = time.monotonic() + 20
            while True:
                try:
                    settings = control.settings()
                    break
                except SimulatorControlError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise
                    time.sleep(0.1)
        assert settings.trunk_capacity == 2
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_negative_trunk_capacity_is_a_usage_error() -> None:
    result = runner.invoke(app, ["simulator", "--trunk-capacity", "-1"])
    assert result.exit_code == 2
    assert "--trunk-capacity" in result.output
