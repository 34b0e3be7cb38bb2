"""Digits a caller types (an account number) are masked as phone numbers are — on the pages, in
the JSON, the CSV export, the timeline and `ivrkit sessions` — and never found by a search in
clear; a menu choice of one key is shown as it is."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from ivrkit._cli import app
from ivrkit.dashboard import DashboardSettings, standalone_app
from ivrkit.store import open_store
from ivrkit.trees import parse_tree
from tests.analytics.calls import T0, Recorder
from tests.asgi import InProcessServer

ACCOUNT = "40178823"
TREE = """
name: bank
numbers: {caller_id: "6512345678"}
entry: main
nodes:
  main:
    menu:
      prompt: For your balance, press 1.
      routes: {"1": account}
  account:
    collect:
      prompt: Enter your 8-digit account number.
      variable: account
      min_digits: 8
      max_digits: 8
      next: balance
  balance:
    outcome: {label: balance, counts_as: contained}
    say: Your balance is being sent to you by text message.
"""


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'bank.db'}"
    with open_store(url) as store:
        Recorder(store, parse_tree(TREE)).outbound("typed", ["1", ACCOUNT])
    return url


def serve(db: str, **settings: object) -> Iterator[httpx.Client]:
    with open_store(db) as store:
        options = DashboardSettings(clock=lambda: T0 + timedelta(hours=1), **settings)  # type: ignore[arg-type]
        server = InProcessServer(standalone_app(store, options)).start()
        with server.client(timeout=10.0) as client:
            yield client
        server.stop()


@pytest.fixture
def client(db: str) -> Iterator[httpx.Client]:
    yield from serve(db)


@pytest.fixture
def showing(db: str) -> Iterator[httpx.Client]:
    yield from serve(db, show_numbers=True)


PATHS = [
    "/dashboard/sessions?since=2026-03-01",
    "/dashboard/sessions/typed",
    "/dashboard/api/sessions?since=2026-03-01",
    "/dashboard/api/sessions/typed",
    "/dashboard/sessions.csv?since=2026-03-01",
]


def test_typed_digits_are_masked_in_every_output(client: httpx.Client, db: str) -> None:
    outputs = [client.get(path).text for path in PATHS]
    runner = CliRunner()
    outputs.append(runner.invoke(app, ["sessions", "--db", db], env={"COLUMNS": "250"}).output)
    outputs.append(runner.invoke(app, ["sessions", "--db", db, "--json"]).output)
    for path, text in zip(
        [*PATHS, "ivrkit sessions", "ivrkit sessions --json"], outputs, strict=True
    ):
        assert ACCOUNT not in text, f"{path} shows the account number"
        assert "•••••8823" in text, f"{path} does not show its last four"
    listed = json.loads(outputs[2])["sessions"]
    assert listed[0]["digits"] == ["1", "•••••8823"]  # the menu choice stays readable


def test_a_search_never_finds_typed_digits_in_clear(client: httpx.Client) -> None:
    found = client.get("/dashboard/api/sessions", params={"q": ACCOUNT, "since": "2026-03-01"})
    assert found.json()["sessions"] == []


def test_show_numbers_shows_them_whole(showing: httpx.Client) -> None:
    assert ACCOUNT in showing.get("/dashboard/sessions/typed").text
    listed = showing.get("/dashboard/api/sessions?since=2026-03-01").json()["sessions"]
    assert listed[0]["digits"] == ["1", ACCOUNT]
