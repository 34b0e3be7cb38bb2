"""What callers and the platform send is shown, never run; a store that fails gives one line."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from ivrkit._serving import BackgroundServer
from ivrkit.dashboard import DashboardSettings, standalone_app
from ivrkit.store import open_store

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
HOSTILE = '<script>alert("x")</script>'
FORMULA = '=HYPERLINK("http://example.com","x")'


@pytest.mark.e2e
def test_text_from_the_wire_is_escaped_everywhere(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'ivrkit.db'}") as store:
        store.record_outbound_call(
            HOSTILE,
            at=NOW,
            customer="+6512345678",
            sub_account_id=None,
            flow=HOSTILE,
            request_id=None,
        )
        store.record_outbound_call(
            FORMULA,
            at=NOW,
            customer=None,
            sub_account_id=None,
            flow="simple_ivr",
            request_id=None,
        )
        settings = DashboardSettings(clock=lambda: NOW)
        with (
            BackgroundServer(standalone_app(store, settings)) as server,
            httpx.Client(base_url=server.url) as client,
        ):
            for path in ("/dashboard/", "/dashboard/sessions", "/dashboard/trees"):
                page = client.get(path)
                assert page.status_code == 200, path
                assert HOSTILE not in page.text, path
            listed = client.get("/dashboard/sessions").text
            assert "&lt;script&gt;" in listed
            rows = list(csv.DictReader(io.StringIO(client.get("/dashboard/sessions.csv").text)))
            by_flow = {row["flow"]: row["session_id"] for row in rows}
            assert by_flow[HOSTILE] == HOSTILE  # not a formula: kept as it is
            assert by_flow["simple_ivr"] == "'" + FORMULA  # a formula: made text


@pytest.mark.e2e
def test_a_store_that_fails_answers_one_line(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'ivrkit.db'}")
    store.close()
    with (
        BackgroundServer(standalone_app(store, DashboardSettings(clock=lambda: NOW))) as server,
        httpx.Client(base_url=server.url) as client,
    ):
        page = client.get("/dashboard/sessions")
        assert page.status_code == 503
        assert "closed" in page.text and "Traceback" not in page.text
