"""The suite's parallel run keeps what must stay together on one worker: tests marked with one
``xdist_group`` (the browser tests share one Chromium and one scenario world) run in the same
process under ``--dist loadgroup``, as the Makefile runs them."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e  # a pytest run with two worker processes

GROUPED = """
import os
import pytest

@pytest.mark.xdist_group("world")
@pytest.mark.parametrize("n", range(6))
def test_grouped(n):
    with open("pids.txt", "a") as f:
        f.write(f"{os.getpid()}\\n")

@pytest.mark.parametrize("n", range(6))
def test_free(n):
    pass
"""


def test_a_group_runs_on_one_worker(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_grouped=GROUPED)
    result = pytester.runpytest_subprocess("-n", "2", "--dist", "loadgroup")
    result.assert_outcomes(passed=12)
    pids = set((pytester.path / "pids.txt").read_text().split())
    assert len(pids) == 1, f"the group ran in {len(pids)} processes: xdist_group is ignored"
