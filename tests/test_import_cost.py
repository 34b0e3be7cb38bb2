"""A library's import is part of its API: ``import ivrkit`` and the pytest plugin that pytest loads
in every run where ivrkit is installed must not pull in the servers, the database or the HTTP
stacks. Each check runs in a fresh interpreter, since this one has imported everything."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = (
    "starlette",
    "sqlalchemy",
    "uvicorn",
    "aiohttp",
    "httpx",
    "pydantic",
    "yaml",
    "rich",
    "typer",
    "phonenumbers",
)
REPORT = "import json, sys; print(json.dumps(sorted(sys.modules)))"


def modules_after(code: str, cwd: Path) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\n{REPORT}"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


@pytest.mark.e2e
def test_import_ivrkit_imports_nothing_heavy(tmp_path: Path) -> None:
    modules = modules_after("import ivrkit", tmp_path)
    assert "ivrkit" in modules
    assert heavy(modules) == []


@pytest.mark.e2e
def test_a_public_name_is_imported_on_first_use(tmp_path: Path) -> None:
    code = "import ivrkit\nassert ivrkit.Callflow.__name__ == 'Callflow'"
    modules = modules_after(code, tmp_path)
    assert "ivrkit.wire" in modules
    assert "starlette" not in modules  # only what Callflow needs


@pytest.mark.e2e
def test_the_pytest_plugin_loads_nothing_heavy(tmp_path: Path) -> None:
    (tmp_path / "test_nothing.py").write_text("def test_nothing():\n    pass\n")
    code = (
        "import pytest\n"
        "rc = pytest.main(['-q', '-p', 'no:cacheprovider', '.'])\n"
        "assert rc == 0, rc\n"
    )
    modules = modules_after(code, tmp_path)
    assert "ivrkit.testing" in modules  # pytest did load the plugin
    assert heavy(modules) == []


@pytest.mark.e2e
def test_the_ivr_fixture_imports_the_harness_when_used(tmp_path: Path) -> None:
    code = "import ivrkit.testing as t\nassert t.IvrHarness.__module__ == 'ivrkit._harness'\n"
    modules = modules_after(code, tmp_path)
    assert "ivrkit._harness" in modules


@pytest.mark.e2e
def test_the_command_line_starts_without_the_servers_the_database_or_the_simulator(
    tmp_path: Path,
) -> None:
    """Every `ivrkit` command (`--help` included) imports the command line first: each command
    imports what it needs when it runs."""
    modules = modules_after("import ivrkit._cli", tmp_path)
    loaded = {m.split(".")[0] for m in modules} | {m for m in modules if m.startswith("ivrkit.")}
    assert not loaded & {"sqlalchemy", "uvicorn", "starlette", "httpx", "aiohttp"}
    assert "ivrkit.simulator" not in loaded and "ivrkit.store" not in loaded
    assert "phonenumbers.geodata" not in modules
