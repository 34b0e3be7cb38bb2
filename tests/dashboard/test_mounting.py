"""Where the dashboard is served: mounted at /dashboard beside the webhook server by `ivrkit serve`
(after the server's routes), alone by `ivrkit dashboard`, and refused where nothing protects it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from ivrkit._cli import app as cli
from ivrkit._launch import ServeOptions, build_app, mount_dashboard
from ivrkit._serving import BackgroundServer
from ivrkit.dashboard import DashboardSettings
from ivrkit.server import create_app
from ivrkit.store import Store
from tests.dashboard.conftest import TOKEN, Calls

runner = CliRunner()


def test_the_dashboard_is_mounted_beside_the_webhooks(
    store: Store, calls: Calls, tmp_path: Path
) -> None:
    settings = DashboardSettings(clock=lambda: calls.now)
    app = mount_dashboard(create_app(store=store, spool=tmp_path / "spool.jsonl"), settings)
    with BackgroundServer(app) as server, httpx.Client(base_url=server.url) as client:
        page = client.get("/dashboard/sessions")
        assert page.status_code == 200
        assert page.text.count('data-testid="session-row"') == len(calls.all)
        assert client.get("/dashboard/trees/simple_ivr").text.count('data-reached="5"') == 1
        webhook = client.post("/webhooks/vca", content=b"{not json")
        assert webhook.status_code == 400
        assert "content-security-policy" not in webhook.headers  # not through the dashboard
        assert client.get("/healthz").status_code == 200


def test_the_webhook_server_alone_serves_nothing_there(store: Store, tmp_path: Path) -> None:
    app = create_app(store=store, spool=tmp_path / "spool.jsonl")
    with BackgroundServer(app) as server, httpx.Client(base_url=server.url) as client:
        assert client.get("/dashboard/").status_code == 404


def test_serve_on_a_public_address_without_a_token_refuses_the_dashboard(
    calls: Calls, tmp_path: Path
) -> None:
    options = ServeOptions(db=calls.url, host="0.0.0.0")
    with BackgroundServer(build_app(options)) as server, httpx.Client(base_url=server.url) as c:
        refused = c.get("/dashboard/")
        assert refused.status_code == 404 and "no token is set" in refused.text
    with_token = ServeOptions(db=calls.url, host="0.0.0.0", dashboard_token=TOKEN)
    with BackgroundServer(build_app(with_token)) as server, httpx.Client(base_url=server.url) as c:
        assert c.get("/dashboard/").status_code == 303
    off = ServeOptions(db=calls.url, dashboard=False)
    with BackgroundServer(build_app(off)) as server, httpx.Client(base_url=server.url) as c:
        assert c.get("/dashboard/").status_code == 404


def test_ivrkit_dashboard_refuses_a_public_bind_without_a_token(calls: Calls) -> None:
    result = runner.invoke(cli, ["dashboard", "--db", calls.url, "--host", "0.0.0.0"])
    assert result.exit_code != 0
    assert "IVRKIT_DASHBOARD_TOKEN" in str(result.exception)


@pytest.mark.e2e
def test_ivrkit_dashboard_reads_only_a_store_that_exists(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "ivrkit.db"
    result = runner.invoke(cli, ["dashboard", "--db", f"sqlite:///{missing}"])
    assert result.exit_code != 0
    assert "no store at" in str(result.exception)
    assert not missing.parent.exists()
