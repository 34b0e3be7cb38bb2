"""ivrkit installed from its wheel, outside the clone: the commands a newcomer runs first work, and
a project made by ``ivrkit init`` passes its tests (docs/install.md).

The wheel is built by the backend pyproject.toml names (``pip wheel``, as ``make dist`` builds
it through ``build``; its setuptools and wheel come from the lock, so nothing is downloaded),
from a copy of the sources, and installed with ``--no-deps`` into a new
virtual environment in a temporary folder. That environment finds ivrkit's dependencies (and
pytest) in the test run's own environment through a ``.pth`` file, so no release is downloaded
in the test; ivrkit itself comes from the wheel alone (asserted: its ``__file__`` is in the new
environment, and the source tree is on no path). ``pip check`` there says the wheel's declared
dependencies are met by the locked releases. A fully isolated install, dependencies from the
index included, is what ``make dist`` and docs/install.md describe.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

import ivrkit
from tests.conftest import CHILD_PYTEST_OPTIONS

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _env(home: Path) -> dict[str, str]:
    """The environment of a person in a new shell: no IVRKIT_* settings, no PYTHONPATH to the
    clone, the new environment's scripts first on PATH."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("IVRKIT_", "PYTHON", "PYTEST", "VIRTUAL_ENV"))
    }
    env["PATH"] = f"{home / 'venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(home / "venv")
    return env


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=240, check=False
    )
    assert done.returncode == 0, f"{args}: {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def _build_wheel(out: Path) -> Path:
    """The wheel of a copy of the sources (a build in the clone would leave build/ behind)."""
    source = out / "source"
    shutil.copytree(
        ROOT / "src",
        source / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    _run(
        # The backend (setuptools, wheel) from the lock, not fetched: offline and repeatable.
        [
            *pip,
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out / "dist"),
            str(source),
        ],
        out,
        dict(os.environ),
    )
    (wheel,) = (out / "dist").glob("ivrkit-*.whl")
    return wheel


def _venv_with(wheel: Path, home: Path) -> Path:
    """A new environment in ``home`` with ivrkit from ``wheel``; its python."""
    _run(
        [sys.executable, "-m", "venv", "--without-pip", str(home / "venv")], home, dict(os.environ)
    )
    python = home / "venv" / "bin" / "python"
    purelib = _run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        home,
        _env(home),
    ).stdout.strip()
    dependencies = [path for path in site.getsitepackages() if Path(path).is_dir()]
    Path(purelib, "_ivrkit_test_dependencies.pth").write_text(
        "\n".join(dependencies) + "\n", encoding="utf-8"
    )
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--python", str(python)]
    _run([*pip, "install", "-q", "--no-deps", "--no-index", str(wheel)], home, _env(home))
    _run([*pip, "check"], home, _env(home))
    return python


def test_the_wheel_installs_outside_the_clone_and_a_new_project_passes_its_tests(
    tmp_path: Path,
) -> None:
    wheel = _build_wheel(tmp_path / "build")
    home = tmp_path / "home"
    home.mkdir()
    python = _venv_with(wheel, home)
    env = _env(home)
    ivrkit_command = str(home / "venv" / "bin" / "ivrkit")

    where = _run(
        [
            str(python),
            "-c",
            "import ivrkit, json, sys; print(json.dumps([ivrkit.__file__, sys.path]))",
        ],
        home,
        env,
    )
    installed, path = json.loads(where.stdout)
    assert Path(installed).is_relative_to(home / "venv"), installed
    clone = [entry for entry in path if entry and Path(entry).resolve() in {ROOT, ROOT / "src"}]
    assert clone == [], path

    version = _run([ivrkit_command, "--version"], home, env)
    assert version.stdout == f"ivrkit {ivrkit.__version__}\n"

    # The demo needs the built-in trees and the store's migrations from the wheel.
    demo = _run([ivrkit_command, "demo", "--db", "sqlite:///demo.db"], home, env)
    assert "all 3 calls did what the simple IVR says" in demo.stdout

    # The dashboard's templates and static files come from the wheel: its pages render.
    pages = _run([str(python), "-c", _DASHBOARD_PAGES], home, env)
    assert pages.stdout.split() == ["200", "200", "200", "200"], pages.stdout

    made = _run([ivrkit_command, "init", "corner-shop"], home, env)
    assert "wrote corner-shop/README.md" in made.stdout
    project = home / "corner-shop"
    # Without the pytest plugins of ivrkit's own dev tools, which the person's environment has
    # not (this one reaches them through the .pth file): imports that test nothing.
    tests = _run(
        [str(python), "-m", "pytest", "--ivrkit-coverage-fail-under=100"],
        project,
        {**env, "PYTEST_ADDOPTS": CHILD_PYTEST_OPTIONS},
    )
    assert "5 passed" in tests.stdout
    assert re.search(r"^corner-shop +8 +8 +100%$", tests.stdout, re.MULTILINE), tests.stdout
    assert "routes never taken" not in tests.stdout


_DASHBOARD_PAGES = """
from starlette.testclient import TestClient
from ivrkit.dashboard import DashboardSettings, standalone_app
from ivrkit.store import open_store
with open_store("sqlite:///demo.db") as store:
    client = TestClient(standalone_app(store, DashboardSettings()), base_url="http://127.0.0.1")
    for page in ("/dashboard/", "/dashboard/sessions", "/dashboard/static/dashboard.css",
                 "/dashboard/static/vendor/htmx-2.0.11.min.js"):
        print(client.get(page).status_code)
"""
