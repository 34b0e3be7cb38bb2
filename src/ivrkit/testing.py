"""Test an IVR tree in a few lines, without a phone: a pytest plugin and its harness.

The ``ivr`` fixture starts a simulated Voice platform and ivrkit's webhook server for your tree
(override the ``ivrkit_tree`` fixture, or set ``ivrkit_flow`` in your pytest ini), registers the
webhooks, and places calls you drive step by step::

    def test_agent(ivr):
        call = ivr.call("+6512345678")
        call.expect_prompt("press two")
        call.press("2")
        call.expect_bridge("+6561115777")
        call.expect_summary(status="COMPLETED", call_count=2)

Every failed expectation raises ``AssertionError`` with the call's transcript so far.

A tree that branches on business hours is tested at a time of the test's choosing:
``ivr.call("+6512345678", at=datetime(2026, 12, 26, 10, 0, tzinfo=ZoneInfo("Europe/Paris")))``
(the tree's clock reads that time when the call is placed and runs on from there).

``pytest --ivrkit-coverage`` reports which routes of each tree the tests took (every key of every
menu, invalid entry, silence, retries running out, branch cases, hook results) and lists those
never taken; ``--ivrkit-coverage-fail-under=PCT`` fails a run that took fewer
(:mod:`ivrkit._route_coverage`).

pytest loads this plugin in every run where ivrkit is installed, so it imports nothing heavy: the
harness (:mod:`ivrkit._harness`: servers, store, client) is imported when a test first uses the
``ivr`` fixture or a name such as ``IvrHarness`` is imported from here.

The ``ivr_faults`` fixture makes the platform misbehave as production does, for the calls placed
after it is told to::

    def test_a_repeated_event_is_answered_the_same(ivr, ivr_faults):
        ivr_faults.duplicates()
        call = ivr.call("+6512345678", press=["1"])
        call.expect_summary(status="COMPLETED")
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ivrkit._harness import API_KEY, SUBACCOUNT, WEBHOOK_SECRET, Call, IvrFaults, IvrHarness
    from ivrkit.trees import Tree

__all__ = [
    "API_KEY",
    "SUBACCOUNT",
    "WEBHOOK_SECRET",
    "Call",
    "IvrFaults",
    "IvrHarness",
    "ivr",
    "ivr_faults",
    "ivrkit_tree",
]

_FROM_HARNESS = frozenset(
    {"API_KEY", "SUBACCOUNT", "WEBHOOK_SECRET", "Call", "IvrFaults", "IvrHarness"}
)


def __getattr__(name: str) -> Any:
    if name in _FROM_HARNESS:
        return getattr(importlib.import_module("ivrkit._harness"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@pytest.fixture
def ivrkit_tree(request: pytest.FixtureRequest) -> Tree | str | Path | None:
    """The tree the ``ivr`` fixture serves: override this fixture, or set ``ivrkit_flow``."""
    flow: str | None = request.config.getini("ivrkit_flow") or None
    inipath = request.config.inipath
    if flow and inipath is not None and (inipath.parent / flow).is_file():
        return inipath.parent / flow  # a relative path means beside the ini file, as in pytest
    return flow


@pytest.fixture
def ivr(ivrkit_tree: Tree | str | Path | None) -> Iterator[IvrHarness]:
    """A running simulated platform + webhook server for ``ivrkit_tree``."""
    from ivrkit._harness import IvrHarness

    with IvrHarness(ivrkit_tree) as harness:
        yield harness


@pytest.fixture
def ivr_faults(ivr: IvrHarness) -> IvrFaults:
    """Fault injection for the ``ivr`` fixture's simulated platform."""
    from ivrkit._harness import IvrFaults

    return IvrFaults(ivr)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "ivrkit_flow", "IVR tree file (or built-in name) the ivr fixture serves", default=""
    )
    group = parser.getgroup("ivrkit", "IVR trees (ivrkit)")
    group.addoption(
        "--ivrkit-coverage",
        action="store_true",
        default=False,
        help="Report the routes of each IVR tree the tests took and those they never took.",
    )
    group.addoption(
        "--ivrkit-coverage-fail-under",
        type=float,
        default=None,
        metavar="PCT",
        help="Fail the run when the tests took less than PCT percent of the routes "
        "(implies --ivrkit-coverage).",
    )


def pytest_configure(config: pytest.Config) -> None:
    fail_under: float | None = config.getoption("ivrkit_coverage_fail_under")
    if config.getoption("ivrkit_coverage") or fail_under is not None:
        from ivrkit._route_coverage import RouteCoveragePlugin

        plugin = RouteCoveragePlugin(config, fail_under)
        config.pluginmanager.register(plugin, "ivrkit-route-coverage")
