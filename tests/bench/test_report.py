"""A run writes its figures into docs/benchmarks.md: its sections' blocks, nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import report


def results(section: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "when": "2026-12-07T22:15:00+00:00",
        "commit": "abc1234",
        "quick": False,
        "machine": {"cpus": 2, "load_average": [3.0, 2.0, 1.0]},
        "sections": {section: {"load_average": [4.5, 3.0, 2.0], **body}},
    }


WEBHOOKS = {
    "generator": "wrk",
    "connections": 16,
    "seconds": 8,
    "warmup": 2,
    "postgres": False,
    "rows": [
        {
            "server": "ivrkit SQLite",
            "kind": "ivrkit",
            "store": "sqlite",
            "rps": 2345.6,
            "p50_ms": 5.0,
            "p99_ms": 12.0,
            "socket_errors": 0,
            "not_2xx": 0,
            "cpu_us_per_request": 400.0,
            "load_cpu_pct": 35.0,
            "requests": 18000,
            "stored_ok": True,
            "stored_note": "",
        }
    ],
    "targets": [
        {"name": "ivrkit SQLite / ceiling", "shown": "0.16", "target": ">= 0.50", "met": False}
    ],
}


def test_a_run_replaces_its_block_and_keeps_the_method(tmp_path: Path) -> None:
    page = tmp_path / "benchmarks.md"
    page.write_text(
        "# Benchmarks\n\nThe method.\n\n<!-- bench:webhooks -->\nold figures\n"
        "<!-- /bench:webhooks -->\n\n<!-- bench:replay -->\nreplay figures\n"
        "<!-- /bench:replay -->\n"
    )
    report.update(page, results("webhooks", WEBHOOKS))
    text = page.read_text()
    assert "The method." in text and "replay figures" in text and "old figures" not in text
    row = "| ivrkit SQLite | 2,346 | 5.00 | 12.00 | 0 / 0 | 400 | 35 % | all 18,000 answered |"
    assert row in text
    assert "| ivrkit SQLite / ceiling | 0.16 | >= 0.50 | **missed** |" in text
    assert "load average 4.5" in text and "commit abc1234" in text
    report.update(page, results("webhooks", WEBHOOKS))
    assert page.read_text() == text  # the same run again: the same page, no diary


def test_a_section_without_a_block_is_added(tmp_path: Path) -> None:
    page = tmp_path / "benchmarks.md"
    page.write_text("# Benchmarks\n")
    body = {"sessions_per_s": 900.5, "targets": [], "failures": ["it broke"]}
    report.update(page, results("replay", body))
    text = page.read_text()
    assert "<!-- bench:replay -->" in text and "sessions_per_s 900.5" in text
    assert "**Failed:** it broke" in text
