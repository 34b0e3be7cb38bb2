"""The import-linter contracts (pyproject.toml, run by `make lint`) cover every part of the
package: a new top-level module or package must be given its place in the layers, and runtime
code must be held to the rule that it never imports the test harness."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "ivrkit"
TEST_SUPPORT = {"ivrkit.testing", "ivrkit._harness", "ivrkit._route_coverage"}
"""The pytest plugin and its harness: the only parts allowed to import pytest."""


def contracts() -> list[dict[str, Any]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = config["tool"]["importlinter"]["contracts"]
    return found


def top_level() -> set[str]:
    names = {
        f"ivrkit.{path.stem}"
        for path in PACKAGE.iterdir()
        if (path.suffix == ".py" and path.stem != "__init__")
        or (path.is_dir() and (path / "__init__.py").is_file())
    }
    return names


def test_every_top_level_module_has_a_layer() -> None:
    (layers,) = [c for c in contracts() if c["type"] == "layers"]
    placed = {name.strip() for layer in layers["layers"] for name in layer.split("|")}
    assert top_level() - placed == set(), "give these a layer in pyproject.toml"
    assert placed - top_level() == set(), "these layers name modules that do not exist"


def test_all_runtime_code_is_kept_from_the_test_harness() -> None:
    (runtime,) = [c for c in contracts() if c["name"].startswith("Runtime code never imports")]
    assert set(runtime["source_modules"]) == top_level() - TEST_SUPPORT
    assert TEST_SUPPORT | {"pytest"} <= set(runtime["forbidden_modules"])


def test_no_contract_ignores_an_import() -> None:
    """Every wrong-way edge is gone: no contract lists an import it lets through."""
    ignored = [edge for c in contracts() for edge in c.get("ignore_imports", [])]
    assert ignored == []
