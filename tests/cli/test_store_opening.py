"""Every command that reads a store opens it one way (``open_store(url, create=False)``): a store
that is not there is one line, the same for each, and nothing is created where a typo points."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivrkit._cli.common import run_app
from ivrkit.errors import StoreNotFound
from ivrkit.store import open_store
from tests.cli.run import built_command
from tests.postgres import fresh_schema

READERS = [
    ["sessions"],
    ["report"],
    ["dashboard"],
    ["replay", "--flow", "simple_ivr"],
    ["db", "current"],
    ["db", "downgrade", "base"],
    ["db", "rebuild-analytics"],
    ["closed", "on"],
    ["campaign", "list"],
    ["campaign", "status", "spring"],
    ["campaign", "report", "spring"],
    ["campaign", "pause", "spring"],
    ["campaign", "edit", "spring", "--rate", "1/s"],
]


@pytest.mark.parametrize("command", READERS, ids=" ".join)
def test_a_missing_store_is_one_line_and_nothing_is_created(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "typo" / "ivrkit.db"
    code = run_app(built_command(), [*command, "--db", f"sqlite:///{missing}"])
    err = capsys.readouterr().err
    assert code in (1, 2), err
    assert err == f"error: no store at {missing}: check --db or IVRKIT_DB\n"
    assert not missing.parent.exists()


def test_create_false_opens_a_store_that_exists_and_refuses_one_that_does_not(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'ivrkit.db'}"
    with pytest.raises(StoreNotFound, match="no store at"):
        open_store(url, create=False)
    assert not (tmp_path / "ivrkit.db").exists()
    open_store(url).close()
    open_store(url, create=False).close()
    (tmp_path / "empty.db").touch()
    with pytest.raises(StoreNotFound, match="no store at"):
        open_store(f"sqlite:///{tmp_path / 'empty.db'}", create=False)
    open_store("sqlite://", create=False).close()


@pytest.mark.postgres
def test_create_false_refuses_a_database_without_ivrkit_tables_on_postgresql() -> None:
    with fresh_schema() as (url, _):
        with pytest.raises(StoreNotFound, match="no store at"):
            open_store(url, create=False)
        open_store(url).close()
        open_store(url, create=False).close()
