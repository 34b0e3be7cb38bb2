"""``pytest --ivrkit-coverage``: which routes of each tree the test run took, as a table, and
``--ivrkit-coverage-fail-under=PCT`` to fail a run that took too few.

Routes are counted wherever a tree answers: in the test process (the ``ivr`` fixture, a webhook
app in a thread) and in the processes it starts (``ivrkit serve`` in a subprocess,
pytest-xdist workers), which inherit ``IVRKIT_ROUTE_LOG`` naming the file they append to.
The plugin (:mod:`ivrkit.testing`) imports this module only when one of the options is given.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from collections.abc import Generator, Sequence
from pathlib import Path

import pytest

from ivrkit.trees._coverage import TreeCoverage, read_route_log, total_percent
from ivrkit.trees._observers import ROUTE_LOG_VARIABLE, RouteLog, log_routes_to, stop_logging

__all__ = ["RouteCoveragePlugin", "coverage_lines"]


class RouteCoveragePlugin:
    """Records the routes taken during the run; reports them at its end."""

    def __init__(self, config: pytest.Config, fail_under: float | None) -> None:
        self.fail_under = fail_under
        self.failure: str | None = None
        self.coverages: list[TreeCoverage] | None = None
        """Read from the log once the tests have run."""
        self._collect_only = bool(config.getoption("collectonly"))
        # A pytest-xdist worker appends to its controller's log; the controller reports.
        self._worker = hasattr(config, "workerinput")
        self._folder: str | None = None
        self._previous = os.environ.get(ROUTE_LOG_VARIABLE)
        if self._worker and self._previous:
            self.path = Path(self._previous)
        else:
            self._folder = tempfile.mkdtemp(prefix="ivrkit-routes-")
            self.path = Path(self._folder) / "routes.jsonl"
            os.environ[ROUTE_LOG_VARIABLE] = str(self.path)
        self._log: RouteLog = log_routes_to(self.path)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Generator[None, object, object]:
        result = yield
        if self._worker or self._collect_only:
            return result
        self.coverages = read_route_log(self.path)
        total = total_percent(self.coverages)
        if self.fail_under is not None and total < self.fail_under:
            self.failure = (
                f"FAIL Required route coverage of {self.fail_under:g}% not reached. "
                f"Total route coverage: {_shown(total)}%"
            )
            session.testsfailed += 1
        return result

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self._worker or self._collect_only:
            return
        if self.coverages is None:  # the run stopped early: report what was taken until then
            self.coverages = read_route_log(self.path)
        terminalreporter.write_sep("-", "ivrkit route coverage")
        for line in coverage_lines(self.coverages):
            terminalreporter.write_line(line)
        if self.failure is not None:
            terminalreporter.write_line(self.failure, red=True, bold=True)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        stop_logging(self._log)
        if self._folder is None:
            return
        if self._previous is None:
            os.environ.pop(ROUTE_LOG_VARIABLE, None)
        else:
            os.environ[ROUTE_LOG_VARIABLE] = self._previous
        shutil.rmtree(self._folder, ignore_errors=True)


def coverage_lines(coverages: Sequence[TreeCoverage]) -> list[str]:
    """The report: one row per tree (routes, taken, share), a total, then the routes never taken
    of each tree (node, route, target)."""
    if not coverages:
        return ["no tree answered a call: no route was taken"]
    names = [coverage.name for coverage in coverages]
    rows = [["tree", "routes", "taken", "cover"]]
    for coverage in coverages:
        name = coverage.name
        if names.count(name) > 1:
            name = f"{name}@{coverage.version}"
        taken = len(coverage.taken_routes)
        rows.append([name, str(len(coverage.routes)), str(taken), f"{_shown(coverage.percent)}%"])
    if len(coverages) > 1:
        routes = sum(len(coverage.routes) for coverage in coverages)
        taken = sum(len(coverage.taken_routes) for coverage in coverages)
        rows.append(["TOTAL", str(routes), str(taken), f"{_shown(total_percent(coverages))}%"])
    lines = _table(rows, numeric=(1, 2, 3))
    for row_name, coverage in zip(rows[1:], coverages, strict=False):
        missed = coverage.missed
        if not missed:
            continue
        lines.append("")
        lines.append(f"routes never taken in {row_name[0]}:")
        table = [["node", "route", "target"]]
        table += [[route.node, route.label, route.to or "(end)"] for route in missed]
        lines += ["  " + line for line in _table(table)]
    return lines


def _shown(share: float) -> str:
    """A share rounded down, so that a run short of every route never shows 100."""
    return str(math.floor(share))


def _table(rows: list[list[str]], numeric: tuple[int, ...] = ()) -> list[str]:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [
            cell.rjust(width) if column in numeric else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return lines
