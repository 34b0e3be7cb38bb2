"""The analytics benchmark runs and prints its table (its times are for `make bench` to judge,
not for a test)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "analytics.py"


def run(cache: Path, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--days", "1", "--runs", "1"]
        + ["--database", "sqlite", "--cache", str(cache), *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.e2e
def test_the_quick_benchmark_fills_times_and_reuses_its_store(tmp_path: Path) -> None:
    first = run(tmp_path)
    assert "SQLite: filling 20,000 sessions" in first
    header = next(line for line in first.splitlines() if "SQLite median" in line)
    assert "target" in header
    row = next(line for line in first.splitlines() if line.startswith("  overview 7d "))
    assert row.count(" ms") == 2  # the median, and the target beside it
    assert not any("30d" in line for line in first.splitlines())  # one day filled: no 30 days
    note = json.loads((tmp_path / "sessions-20000.sqlite.json").read_text())
    assert note["hours_done"] == 24 and note["flow"] == "support_line" and not note["complete"]
    assert note["deliveries"] > 24 * (20_000 // 840) and note["steps"] > 0
    again = run(tmp_path)
    assert "reusing the store" in again and "filling" not in again
    results = json.loads((tmp_path / "latest-20000-sqlite.json").read_text())
    assert {row["query"] for row in results["databases"]["SQLite"]["queries"]} >= {
        "overview 7d",
        "funnel 7d",
        "paths 7d",
        "funnel 7d, partial days",
    }
