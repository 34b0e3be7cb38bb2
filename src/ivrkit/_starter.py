"""``ivrkit init``: a new IVR project in one command — a tree, tests that take every route of it,
the settings ivrkit reads (``.env.example``) and a README.

The files are templates shipped in the package (``ivrkit/starter_files``); ``$name`` and
``$title`` are filled from the folder's name, ``$version``, ``$install`` and ``$origin`` from the
ivrkit that runs (ivrkit is on no package index, so the README says where this one came from).
``.env.example`` is written from :class:`~ivrkit._config.Settings`, so it lists every setting
there is.
"""

from __future__ import annotations

import json
import re
import shlex
from importlib import metadata, resources
from pathlib import Path
from string import Template
from urllib.parse import unquote, urlparse

import ivrkit
from ivrkit._config import Settings
from ivrkit.errors import ConfigError

__all__ = [
    "STARTER_FILES",
    "env_example",
    "install_argument",
    "install_source",
    "project_name",
    "write_starter",
]

STARTER_FILES = {
    "ivr.yaml.tmpl": "ivr.yaml",
    "test_ivr.py.tmpl": "tests/test_ivr.py",
    "pyproject.toml.tmpl": "pyproject.toml",
    "README.md.tmpl": "README.md",
    "gitignore.tmpl": ".gitignore",
}
"""Template (in ``ivrkit/starter_files``) → the file it becomes in the new project."""

ENV_EXAMPLE = ".env.example"
_SET_IN_STARTER = {"flow": "ivr.yaml"}
"""Settings the starter sets (the others are written commented out, with their default)."""


def project_name(folder: Path) -> str:
    """A tree and project name from the folder's name (letters, digits, ``-`` and ``_``)."""
    name = re.sub(r"[^A-Za-z0-9_\-]+", "-", folder.resolve().name).strip("-_")[:64]
    return name or "my-ivr"


def install_argument(direct_url: str | None) -> str | None:
    """What ``pip install`` takes to install the same ivrkit again, from pip's record of where it
    came from (``direct_url.json``, PEP 610): the wheel file, the git URL at its commit, or the
    folder of a clone. None when there is no record (ivrkit run from its sources, or installed
    from an index): never a bare ``ivrkit``, which no index has."""
    try:
        origin = json.loads(direct_url) if direct_url else {}
    except ValueError:
        origin = {}
    url = origin.get("url") if isinstance(origin, dict) else None
    if not isinstance(url, str):
        return None
    vcs = origin.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs") and vcs.get("commit_id"):
        # Without "ivrkit @": pip refuses that form for a git+file URL (a clone on this disk).
        return shlex.quote(f"{vcs['vcs']}+{url}@{vcs['commit_id']}")
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return shlex.quote(unquote(parsed.path))
    return shlex.quote(f"ivrkit @ {url}")


def install_source() -> str | None:
    """What ``pip install`` takes to install the ivrkit that runs now (:func:`install_argument`)."""
    try:
        direct_url = metadata.distribution("ivrkit").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        direct_url = None
    return install_argument(direct_url)


def _install_values() -> dict[str, str]:
    """``$install`` (a ``pip install`` argument) and ``$origin`` (where it comes from) for the
    README: the place pip recorded, else the wheel of this release that ``make dist`` builds."""
    recorded = install_source()
    if recorded is not None:
        return {"install": recorded, "origin": f"installed from `{recorded}`"}
    wheel = f"./ivrkit-{ivrkit.__version__}-py3-none-any.whl"
    return {"install": wheel, "origin": "whose wheel `make dist` builds in a clone of ivrkit"}


def env_example() -> str:
    """Every ``IVRKIT_*`` setting with what it is for: the starter's, then the others commented
    out with their defaults."""
    lines = [
        "# Settings of ivrkit: copy this file to .env (never commit .env) and fill it in.",
        "# A flag overrides the environment, which overrides .env.",
        "",
    ]
    for field_name, field in Settings.model_fields.items():
        variable = f"IVRKIT_{field_name.upper()}"
        lines.append(f"# {field.description or _describe(field_name)}")
        if field_name in _SET_IN_STARTER:
            lines.append(f"{variable}={_SET_IN_STARTER[field_name]}")
        else:
            default = "" if field.default is None else str(field.default)
            lines.append(f"# {variable}={default}")
        lines.append("")
    return "\n".join(lines)


_UNDESCRIBED = {"host": "Address `ivrkit serve` listens on."}


def _describe(field_name: str) -> str:
    return _UNDESCRIBED.get(field_name) or field_name.replace("_", " ").capitalize() + "."


def write_starter(folder: Path, *, force: bool = False) -> list[Path]:
    """Write the starter project into ``folder`` (created if missing) and return the files
    written. A folder with anything in it is refused unless ``force``; then the starter's files
    replace those of the same name and nothing else is touched."""
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{folder} is a file: name a folder for the new project")
    if folder.is_dir() and any(folder.iterdir()) and not force:
        raise ConfigError(
            f"{folder} is not empty: name a new or empty folder, or pass --force to write the "
            "starter's files over those of the same name"
        )
    name = project_name(folder)
    values = {
        "name": name,
        "title": f"{name} IVR",
        "version": ivrkit.__version__,
        **_install_values(),
    }
    templates = resources.files("ivrkit").joinpath("starter_files")
    contents = {
        target: Template(templates.joinpath(source).read_text(encoding="utf-8")).substitute(values)
        for source, target in STARTER_FILES.items()
    }
    contents[ENV_EXAMPLE] = env_example()
    written: list[Path] = []
    for target, text in contents.items():
        path = folder / target
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
