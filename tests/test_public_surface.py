"""The public surface is a promise: docs/api.md lists it, and everything else is visibly internal.

A change to a package's ``__all__`` fails here until docs/api.md says the same, so adding or
removing a public name is a decision, not an accident.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

import ivrkit

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "ivrkit"
API_DOC = ROOT / "docs" / "api.md"

PUBLIC_MODULES = (
    "ivrkit",
    "ivrkit.analytics",
    "ivrkit.calendars",
    "ivrkit.campaigns",
    "ivrkit.client",
    "ivrkit.dashboard",
    "ivrkit.errors",
    "ivrkit.replay",
    "ivrkit.rules",
    "ivrkit.server",
    "ivrkit.simulator",
    "ivrkit.store",
    "ivrkit.testing",
    "ivrkit.trees",
    "ivrkit.wire",
)
"""Every module a user may import; each declares ``__all__``."""


def documented() -> dict[str, list[str]]:
    """``{module: [names]}`` as docs/api.md lists them (a ``## `module` `` heading, then one
    ``- `name` `` bullet per name)."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in API_DOC.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^## `([\w.]+)`", line)
        if heading:
            current = sections.setdefault(heading.group(1), [])
            continue
        bullet = re.match(r"^- `(\w+)`", line)
        if bullet and current is not None:
            current.append(bullet.group(1))
    return sections


def test_docs_api_lists_exactly_the_public_modules() -> None:
    assert sorted(documented()) == sorted(PUBLIC_MODULES)


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_each_public_module_exports_what_docs_api_lists(module_name: str) -> None:
    module = importlib.import_module(module_name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{module_name} declares no __all__"
    assert sorted(exported) == sorted(documented()[module_name]), (
        f"{module_name}.__all__ and docs/api.md differ: update both together"
    )
    for name in exported:
        assert getattr(module, name) is not None


def test_every_other_module_is_visibly_internal() -> None:
    """A module that is not public has a ``_`` in its dotted path, so a user can tell."""
    public = set(PUBLIC_MODULES)
    exposed = []
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        dotted = ".".join(parts)
        if dotted in public or any(part.startswith("_") for part in parts[1:]):
            continue
        exposed.append(dotted)
    assert exposed == [], f"public by accident (rename with a leading _): {sorted(exposed)}"


def test_no_public_name_means_two_things_anywhere() -> None:
    """One name, one object across every public module (no two public ``Clock``, ``Verdict``,
    ``Findings`` or ``Line``)."""
    seen: dict[str, tuple[str, object]] = {}
    clashes = []
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            value = getattr(module, name)
            first = seen.setdefault(name, (module_name, value))
            if first[1] is not value:
                clashes.append(f"{first[0]}.{name} vs {module_name}.{name}")
    assert clashes == []


def test_the_version_has_one_source() -> None:
    from importlib.metadata import version

    assert ivrkit.__version__ == version("ivrkit")
