"""The version is written once (``ivrkit.__version__``); the package metadata reads it."""

from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path

import ivrkit

ROOT = Path(__file__).resolve().parent.parent


def test_the_installed_metadata_has_the_packages_version() -> None:
    assert version("ivrkit") == ivrkit.__version__


def test_pyproject_reads_the_version_instead_of_writing_it() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in config["project"]
    assert "version" in config["project"]["dynamic"]
    assert config["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "ivrkit.__version__"}
