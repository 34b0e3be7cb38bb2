"""ivrkit._http_protocol extends uvicorn's protocol classes, which uvicorn does not promise to keep:
pyproject.toml pins uvicorn to the releases the tests ran against, and this fails on any other."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent


def uvicorn_range() -> SpecifierSet:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    (found,) = [
        Requirement(text) for text in project["dependencies"] if Requirement(text).name == "uvicorn"
    ]
    return found.specifier


def test_uvicorn_is_pinned_below_the_next_untested_release() -> None:
    specifier = uvicorn_range()
    assert any(spec.operator in ("<", "<=", "==", "~=") for spec in specifier), (
        f"uvicorn {specifier} has no upper bound: a release nobody tested would be installed"
    )


def test_the_installed_uvicorn_is_a_tested_release() -> None:
    installed = Version(version("uvicorn"))
    assert installed in uvicorn_range(), (
        f"uvicorn {installed} is outside the tested range {uvicorn_range()}: run the server tests "
        "(tests/server, tests/e2e) on it, then widen the range in pyproject.toml"
    )


def test_the_lock_file_pins_a_tested_release() -> None:
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    found = re.search(r"^uvicorn(?:\[[^\]]*\])?==(\S+)", lock, re.MULTILINE)
    assert found is not None
    assert Version(found.group(1)) in uvicorn_range()


def test_the_protocol_callbacks_it_extends_are_uvicorns() -> None:
    from ivrkit._http_protocol import protocol_class

    served = protocol_class()
    (base,) = [cls for cls in served.__mro__ if cls.__module__.startswith("uvicorn.protocols.http")]
    for name in ("connection_made", "data_received", "connection_lost", "eof_received"):
        assert name in vars(base), (base, name)
