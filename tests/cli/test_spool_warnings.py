"""`ivrkit sessions` says what the store does not hold: spooled and quarantined deliveries."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from ivrkit._cli import app
from ivrkit.server._spool import Spool, spool_path_for
from ivrkit.store import Delivery, open_store

runner = CliRunner()


def test_sessions_warns_about_spooled_and_quarantined_deliveries(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ivrkit.db'}"
    open_store(url).close()
    clean = runner.invoke(app, ["sessions", "--db", url])
    assert clean.exit_code == 0 and "warning" not in clean.output

    spool = Spool(spool_path_for(url))
    delivery = Delivery(
        channel="vss",
        received_at=datetime.now(UTC),
        body='{"eventType": "SESSION_SUMMARY"}',
        headers={},
        http_status=200,
        answer="{}",
        outcome="summary",
    )
    spool.append_delivery(delivery)
    spool.quarantine(delivery, "numeric field out of range")
    result = runner.invoke(app, ["sessions", "--db", url])
    assert result.exit_code == 0
    assert "1 deliveries wait in" in result.output
    assert "1 deliveries the store refused are kept in" in result.output
    assert str(spool.quarantine_path) in result.output.replace("\n", "")
