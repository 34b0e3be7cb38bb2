"""The declared dependencies are the imported ones, and the lock pins each within its range."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from functools import cache
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "ivrkit"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
LOCK = ROOT / "requirements.lock"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")

# pytest runs ivrkit.testing (the plugin), so pytest is there whenever that module is imported.
IMPORTED_ONLY_UNDER_PYTEST = {"pytest": {"testing.py"}}


def requirements(specs: list[str]) -> dict[str, Requirement]:
    parsed = [Requirement(spec) for spec in specs]
    return {canonicalize_name(req.name): req for req in parsed}


CORE = requirements(PROJECT["dependencies"])
EXTRAS = {name: requirements(specs) for name, specs in PROJECT["optional-dependencies"].items()}


@cache
def imported_modules() -> dict[str, set[str]]:
    """Top-level third-party modules imported by the package, with the files importing them."""
    found: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top != "ivrkit" and top not in sys.stdlib_module_names:
                    found.setdefault(top, set()).add(path.name)
    return found


@cache
def installed() -> dict[str, list[str]]:
    """Module name → distributions, read once (each reading walks every installed package)."""
    return packages_distributions()


def distributions_of(module: str) -> set[str]:
    return {canonicalize_name(dist) for dist in installed().get(module, [module])}


def test_every_imported_module_is_declared() -> None:
    declared = set(CORE) | {name for extra in EXTRAS.values() for name in extra}
    undeclared = []
    for module, files in sorted(imported_modules().items()):
        if files <= IMPORTED_ONLY_UNDER_PYTEST.get(module, set()):
            continue
        if not distributions_of(module) & declared:
            undeclared.append(f"{module} (imported by {', '.join(sorted(files))})")
    assert undeclared == [], "add these to [project.dependencies] in pyproject.toml"


def test_every_declared_dependency_is_imported() -> None:
    used = set().union(*(distributions_of(module) for module in imported_modules()))
    assert sorted(set(CORE) - used) == [], "drop these from [project.dependencies]"


def locked() -> dict[str, str]:
    pins = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


def test_the_lock_pins_every_dependency_within_its_declared_range() -> None:
    pins = locked()
    wanted = {**CORE, **EXTRAS["dev"], **EXTRAS["postgres"]}
    outside = {
        name: pins.get(name)
        for name, req in wanted.items()
        if name not in pins or not req.specifier.contains(pins[name], prereleases=True)
    }
    assert outside == {}, "the lock is stale: run `make lock`"


def test_the_lock_is_hashed_and_names_no_local_index() -> None:
    text = LOCK.read_text(encoding="utf-8")
    pins = locked()
    assert text.count("--hash=sha256:") >= len(pins)
    assert "file:" not in text
    assert not re.search(r"--(extra-)?index-url|--find-links|^-f ", text, re.MULTILINE)
