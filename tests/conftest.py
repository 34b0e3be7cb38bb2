"""Shared test fixtures: the vendor's example payloads and a clean IVRKIT_* environment; the
markers that sort the suite into fast and slow parts; new stores made from a per-process template.

Markers (``make check`` runs what has none of them; ``make test`` runs everything):

- ``e2e``: starts real servers on loopback or other processes;
- ``browser``: drives Chromium (every test under ``tests/browser``);
- ``postgres``: needs IVRKIT_TEST_POSTGRES_URL;
- ``slow``: takes seconds on purpose (its timeout is longer).

A test may take 60 s (pytest-timeout), an ``e2e`` one 180 s, a ``slow`` one 300 s: a hung test
fails instead of hanging the run.

``e2e`` is added by the fixtures that start servers; a test that starts a server or a process
without it fails, saying so, so the fast loop never starts one by accident.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from tests import template_store

pytest_plugins = ["pytester"]

# Property tests check behaviour, never speed: on a loaded machine an example may take seconds.
settings.register_profile("ivrkit", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ivrkit")

# The vendor's payloads live in the repository (tests/data/README.md says where they come from).
SPEC_DIR = Path(__file__).resolve().parent / "data"
FIXTURES = SPEC_DIR / "fixtures"


def load_fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def fixture_names(prefix: str = "") -> list[str]:
    return sorted(p.name for p in FIXTURES.glob(f"{prefix}*.json"))


CHILD_PYTEST_OPTIONS = "-p no:schemathesis -p no:hypothesispytest -p no:anyio"
"""What a pytest started by a test (a user's suite run through pytester, the starter project's
tests) leaves out: the plugins of ivrkit's own dev tools, which a user's run does not have and
which cost seconds to import in every such process. ivrkit's plugin still loads as a user's does."""


@pytest.fixture(autouse=True)
def _clean_ivrkit_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test sees the developer's IVRKIT_* settings (the Postgres test URL is kept)."""
    for key in list(os.environ):
        if key.startswith("IVRKIT_") and key != "IVRKIT_TEST_POSTGRES_URL":
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("PYTEST_ADDOPTS", CHILD_PYTEST_OPTIONS)
    yield


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """pytest's own, with :data:`CHILD_PYTEST_OPTIONS` for the runs it starts (pytester clears
    PYTEST_ADDOPTS when it is made, so it is set again after)."""
    monkeypatch.setenv("PYTEST_ADDOPTS", CHILD_PYTEST_OPTIONS)
    return pytester


SERVER_FIXTURES = frozenset(
    {
        # tests/simulator/conftest.py
        "sim_url",
        "backend_server",
        "world",
        "serve_sim",
        # tests/campaigns/conftest.py
        "rig",
        # tests/dashboard/conftest.py
        "calls",
        "serve",
    }
)
"""Fixtures that start real servers: a test using one is ``e2e``."""

CHEAP_PROGRAMS = frozenset({"git"})
"""Programs a fast test may run (quick, and no server)."""

E2E_TIMEOUT = 180.0
"""Seconds an ``e2e`` test may take, its servers' start included (others: the ``timeout`` of
pyproject.toml, 60)."""
SLOW_TIMEOUT = 300.0
"""Seconds a ``slow`` test may take."""

_ROOT = Path(__file__).resolve().parent
_current: list[pytest.Item] = []


def current_test() -> pytest.Item | None:
    """The test being set up, run or torn down in this process (None between tests)."""
    return _current[-1] if _current else None


def pytest_configure(config: pytest.Config) -> None:
    template_store.install(allowed=_templates_allowed)
    _guard_real_servers()


def _guard_real_servers() -> None:
    """A test not marked ``e2e`` that starts a server on a socket or a process fails."""
    import subprocess

    from ivrkit._serving import BackgroundServer

    def refuse(what: str) -> None:
        if _current and _current[-1].get_closest_marker("e2e") is None:
            raise AssertionError(
                f"{_current[-1].nodeid} starts {what} but is not marked e2e: mark it "
                "(pytest.mark.e2e), or test through httpx.ASGITransport / in process"
            )

    start = BackgroundServer.start
    popen = subprocess.Popen.__init__

    def guarded_start(self: BackgroundServer) -> BackgroundServer:
        refuse("a server on a loopback port")
        return start(self)

    def guarded_popen(self: subprocess.Popen[Any], *args: Any, **kwargs: Any) -> None:
        command = args[0] if args else kwargs.get("args")
        program = command if isinstance(command, (str, bytes, os.PathLike)) else command[0]
        if Path(os.fsdecode(program)).name.split()[0] not in CHEAP_PROGRAMS:
            refuse(f"a process ({os.fsdecode(program)})")
        popen(self, *args, **kwargs)

    BackgroundServer.start = guarded_start  # type: ignore[method-assign,assignment]
    subprocess.Popen.__init__ = guarded_popen  # type: ignore[method-assign]


def _templates_allowed() -> bool:
    return not (_current and _current[-1].get_closest_marker("migrations") is not None)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the xdist_group marks it adds
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        parts = item.path.resolve().relative_to(_ROOT).parts
        if parts[0] == "browser":
            item.add_marker(pytest.mark.browser)
            # One browser and one scenario world for all of them, on one xdist worker.
            item.add_marker(pytest.mark.xdist_group("browser"))
        if parts[0] in {"browser", "e2e"} or SERVER_FIXTURES & set(item.fixturenames):
            item.add_marker(pytest.mark.e2e)
        if item.get_closest_marker("timeout") is None:
            if item.get_closest_marker("slow"):
                item.add_marker(pytest.mark.timeout(SLOW_TIMEOUT))
            elif item.get_closest_marker("e2e"):
                item.add_marker(pytest.mark.timeout(E2E_TIMEOUT))
    items[:] = _longest_first(items)


def _longest_first(items: list[pytest.Item]) -> list[pytest.Item]:
    """The modules that take long (the browser's, then those with servers, processes or slow
    tests) before the rest, each module whole and in its own order: pytest-xdist hands work out
    in this order, so the short tests come last and fill both workers to the end instead of one
    worker finishing a long test alone."""
    weight: dict[Path, int] = {}
    for item in items:
        if item.get_closest_marker("browser"):
            rank = 0
        elif item.get_closest_marker("slow") or item.get_closest_marker("e2e"):
            rank = 1
        else:
            rank = 2
        weight[item.path] = min(rank, weight.get(item.path, 2))
    order = {path: index for index, path in enumerate(weight)}
    return sorted(items, key=lambda item: (weight[item.path], order[item.path]))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[object]:
    _current.append(item)
    try:
        return (yield)
    finally:
        _current.pop()
