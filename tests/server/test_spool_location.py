"""The spool is the store's: derived from the store a server writes to, never from a default
URL, so two stores never share one."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from ivrkit.server import create_app
from ivrkit.server._spool import spool_path_for
from ivrkit.store import open_store
from ivrkit.store._engine import spool_path_of
from ivrkit.trees import load_tree


def test_a_server_on_a_given_store_spools_beside_that_store(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path}/calls.db") as store:
        assert store.spool_path == tmp_path / "calls.spool.jsonl"
        app = create_app(load_tree(), store=store)
        assert app.state.pipeline.spool.path == tmp_path / "calls.spool.jsonl"
        app.state.pipeline.committer.stop()


def test_each_postgresql_database_and_schema_has_its_own_spool() -> None:
    one = spool_path_of(make_url("postgresql+psycopg://u@db.example:5432/calls"))
    two = spool_path_of(make_url("postgresql+psycopg://u@db.example:5432/other"))
    schema = spool_path_of(
        make_url("postgresql+psycopg://u@db.example/calls?options=-csearch_path%3Dx")
    )
    assert len({one, two, schema}) == 3
    assert all(path.name.endswith(".spool.jsonl") and "/" not in path.name for path in (one, two))


def test_the_command_line_finds_the_spool_the_server_uses(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/ivrkit.db"
    with open_store(url) as store:
        assert spool_path_for(url) == store.spool_path
