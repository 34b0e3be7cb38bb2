"""`ivrkit db ...` and `ivrkit serve` facing a store at another schema revision."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ivrkit._cli import app
from ivrkit.store import _migrate as migrate
from ivrkit.store import open_store
from ivrkit.store._engine import create_store_engine, parse_store_url
from tests.cli.test_cli import ivrkit
from tests.store import legacy_v1

runner = CliRunner()
HEAD = migrate.head()


def legacy_store(path: Path) -> str:
    url = f"sqlite:///{path}"
    engine = create_store_engine(parse_store_url(url))
    try:
        with engine.begin() as conn:
            legacy_v1.initialise(conn)
            conn.execute(
                legacy_v1.variables.insert().values(session_id="s", name="pin", value="1234")
            )
    finally:
        engine.dispose()
    return url


def test_upgrade_takes_a_store_made_before_migrations_to_head(tmp_path: Path) -> None:
    url = legacy_store(tmp_path / "old.db")
    assert runner.invoke(app, ["db", "current", "--db", url]).output == (
        "none: made before schema migrations (run `ivrkit db upgrade`)\n"
    )
    result = runner.invoke(app, ["db", "upgrade", "--db", url])
    assert result.exit_code == 0, result.output
    assert result.output == f"{url}: made before migrations → {HEAD} (head)\n"
    assert runner.invoke(app, ["db", "current", "--db", url]).output == f"{HEAD} (head)\n"
    again = runner.invoke(app, ["db", "upgrade", "--db", url])
    assert again.output == f"{url}: already at {HEAD} (head)\n"
    with open_store(url) as store:
        assert store.variables("s") == {"pin": "1234"}


def test_downgrade_then_upgrade_to_a_named_revision_reads_the_db_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'ivrkit.db'}"
    monkeypatch.setenv("IVRKIT_DB", url)
    open_store(url).close()
    result = runner.invoke(app, ["db", "downgrade", "0001"])
    assert result.exit_code == 0, result.output
    assert result.output == f"{url}: {HEAD} → 0001 (behind head {HEAD}: run `ivrkit db upgrade`)\n"
    assert runner.invoke(app, ["db", "upgrade", HEAD]).exit_code == 0
    assert migrate.current(url).kind == "head"


def test_history_lists_the_revisions_newest_first() -> None:
    result = runner.invoke(app, ["db", "history"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith(f"{HEAD} (head)  ")
    assert lines[-1].startswith("0001  The store as ivrkit created it before migrations")


def test_current_and_downgrade_never_create_a_store_where_a_typo_points(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    for args in (["db", "current"], ["db", "downgrade", "0001"]):
        result = ivrkit(*args, "--db", f"sqlite:///{missing}")
        assert result.returncode == 1
        assert result.stderr == f"error: no store at {missing}: check --db or IVRKIT_DB\n"
    assert not missing.exists()


def test_serve_refuses_a_store_behind_in_one_line_saying_what_to_run(tmp_path: Path) -> None:
    url = legacy_store(tmp_path / "old.db")
    result = ivrkit("serve", "--db", url, "--port", "1")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"error: the store at {url} was made before schema migrations")
    assert "run `ivrkit db upgrade` with the same --db / IVRKIT_DB" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_a_store_ahead_in_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    open_store(url).close()
    engine = create_store_engine(parse_store_url(url))
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"UPDATE {migrate.VERSION_TABLE} SET version_num = '9999'")
    finally:
        engine.dispose()
    result = ivrkit("serve", "--db", url, "--port", "1")
    assert result.returncode == 1
    assert result.stderr == (
        f"error: the store at {url} is at schema revision 9999, newer than this ivrkit knows "
        f"(its head is {HEAD}): upgrade ivrkit, or with the newer ivrkit run "
        f"`ivrkit db downgrade {HEAD}`\n"
    )


def test_a_bad_revision_is_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ivrkit.db'}"
    result = ivrkit("db", "upgrade", "nope", "--db", url)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "Can't locate revision identified by 'nope'" in result.stderr


def test_rebuild_analytics_refolds_every_ended_session(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from bench.synthetic import fill

    from ivrkit.store import _schema as schema

    url = f"sqlite:///{tmp_path / 'ivrkit.db'}"
    since = datetime(2026, 3, 2, tzinfo=UTC)
    with open_store(url) as store:
        filled = fill(store, 30, since=since, until=since + timedelta(hours=3), seed=2)
        with store.transaction() as conn:
            conn.execute(schema.path_sessions.delete())
    result = runner.invoke(app, ["db", "rebuild-analytics", "--db", url])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{url}: 30 ended sessions folded into ")
    with open_store(url) as store, store.transaction() as conn:
        counted = conn.execute(
            schema.path_sessions.select().where(schema.path_sessions.c.span == 86_400)
        ).all()
    assert sum(row.sessions for row in counted) == filled.sessions
