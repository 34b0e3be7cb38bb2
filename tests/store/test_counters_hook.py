"""The store keeps the analytics counters through the hook analytics registers (on import, and
as the installed distribution's entry point): a store with no counters refuses to project rather
than fall silently behind, and every process that projects finds them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ivrkit.analytics._folding import COUNTERS
from ivrkit.errors import ConfigError
from ivrkit.store import Store, open_store
from ivrkit.store import _hooks as hooks
from ivrkit.store import _schema as schema
from tests.store.test_projections import append, traffic

ROOT = Path(__file__).resolve().parents[2]


def counted(store: Store) -> int:
    with store.reading() as conn:
        return int(conn.execute(select(func.count()).select_from(schema.path_sessions)).scalar())


def test_importing_analytics_registers_its_fold_and_the_distribution_declares_it() -> None:
    assert hooks.registered_counters() is COUNTERS
    assert hooks.installed_counters() is COUNTERS


@pytest.fixture
def unregistered(monkeypatch: pytest.MonkeyPatch) -> None:
    """No counters registered in this process, none installed."""
    monkeypatch.setattr(hooks, "_registered", None)
    monkeypatch.setattr(hooks, "ENTRY_POINTS", "ivrkit.no-such-group")


@pytest.mark.usefixtures("unregistered")
def test_a_store_without_counters_refuses_to_project(store_url: str) -> None:
    with open_store(store_url) as store:
        append(store, traffic(3), batch=5)
        with pytest.raises(ConfigError, match="import ivrkit.analytics"):
            store.catch_up()
        with pytest.raises(ConfigError):
            store.rebuild_projections()
        with pytest.raises(ConfigError):
            store.session("s-1")  # a read of the projections catches up first
        assert store.behind(), "nothing was projected without the counters"
        with store._transaction(write=False) as conn:
            assert conn.execute(select(schema.sessions.c.session_id)).all() == []


@pytest.mark.usefixtures("unregistered")
def test_a_store_given_counters_uses_them_and_no_counters_keeps_none(store_url: str) -> None:
    with open_store(store_url, counters=COUNTERS) as store:
        append(store, traffic(3), batch=5)
        store.catch_up()
        assert counted(store) > 0
    with open_store(store_url, counters=hooks.NO_COUNTERS) as store:
        assert store.counters() is hooks.NO_COUNTERS
        before = counted(store)
        store.rebuild_projections()  # neither folds nor empties them
        assert not store.behind() and counted(store) == before


SERVER = """
import sys
from ivrkit.server import create_app
from ivrkit.store import open_store
store = open_store("sqlite://")
assert "ivrkit.analytics" not in sys.modules
store.counters()
"""
CLI = """
from ivrkit._cli.common import open_store_of
store = open_store_of("sqlite://", create=True)
store.counters()
"""


@pytest.mark.e2e
@pytest.mark.parametrize("code", [SERVER, CLI], ids=["server", "cli"])
def test_whoever_assembles_a_store_registers_the_counters(code: str) -> None:
    """In a fresh interpreter: the app and `ivrkit serve`'s workers (which never import
    analytics), every command that opens a store."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
