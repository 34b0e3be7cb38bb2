"""The analytics section fills its store once, times the queries cold and warm and reuses the
store on the next run (its times are for `make bench` to judge, not for a test)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import analytics

SESSIONS = 1_680  # two an hour over the 35 days


def run(cache: Path) -> dict[str, Any]:
    return analytics.analytics_bench(
        SESSIONS, runs=1, cold_runs=1, refill=False, cache=cache, postgres=False, days=1
    )


def test_the_section_fills_times_and_reuses_its_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = run(tmp_path)
    out = capsys.readouterr().out
    assert f"SQLite: filling {SESSIONS:,} sessions" in out
    header = next(line for line in out.splitlines() if "SQLite cold med/min" in line)
    assert "warm med/min" in header and "target" in header
    row = next(line for line in out.splitlines() if line.startswith("  overview 7d "))
    assert row.endswith("500 ms") and row.count("/") == 2  # cold and warm, median/min
    assert not any("30d" in line for line in out.splitlines())  # one day filled: no 30 days
    note = json.loads((tmp_path / f"sessions-{SESSIONS}.sqlite.json").read_text())
    assert note["hours_done"] == 24 and note["flow"] == "support_line" and not note["complete"]
    assert note["deliveries"] > 24 * (SESSIONS // 840) and note["steps"] > 0
    queries = {row["query"] for row in first["databases"]["SQLite"]["queries"]}
    assert queries >= {"overview 7d", "funnel 7d", "paths 7d", "funnel 7d, partial days"}
    rows = first["databases"]["SQLite"]["queries"]
    assert all(0 < row["cold_min_ms"] <= row["cold_ms"] for row in rows)
    assert all(0 < row["warm_min_ms"] <= row["median_ms"] for row in rows)
    run(tmp_path)
    again = capsys.readouterr().out
    assert "reusing the store" in again and "filling" not in again


def test_the_targets_are_the_30_day_queries_cold_and_warm() -> None:
    rows = [
        {"query": name, "cold_ms": 600.0, "median_ms": 100.0}
        for name in ("overview 30d", "funnel 30d", "paths 30d", "overview 7d")
    ]
    marks = analytics.verdicts({"PostgreSQL": {"queries": rows}}, lambda *a: a)
    assert [m[0] for m in marks] == [
        f"{name} on PostgreSQL, {temperature}"
        for name in ("overview 30d", "funnel 30d", "paths 30d")
        for temperature in ("cold", "warm")
    ]
    assert [m[3] for m in marks] == [False, True] * 3
