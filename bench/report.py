"""Writing a run's figures into docs/benchmarks.md.

The page keeps one block per section between ``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->``;
a run replaces the blocks of the sections it ran and leaves the others (and the method text
around them) as they are. No history is kept: the figures of earlier runs are in bench/results/.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

TITLES = {
    "webhooks": "Webhooks",
    "calls": "Whole calls through the simulator",
    "campaigns": "Campaigns",
    "replay": "Replay",
    "analytics": "Analytics",
    "streams": "Webhooks with dashboard live streams open",
}


def _targets(section: dict[str, Any]) -> list[str]:
    rows = section.get("targets") or []
    if not rows:
        return []
    lines = ["| target | measured | wanted | |", "| --- | ---: | ---: | --- |"]
    for row in rows:
        mark = "met" if row["met"] else "**missed**"
        lines.append(f"| {row['name']} | {row['shown']} | {row['target']} | {mark} |")
    return ["", *lines]


def _webhooks(section: dict[str, Any]) -> list[str]:
    lines = [
        f"{section['generator']}, {section['connections']} connections, "
        f"{section['warmup']:g} s warm-up + {section['seconds']:g} s per server.",
        "",
        "| server | req/s | p50 ms | p99 ms | errors / non-2xx | CPU µs/req | load generator CPU "
        "| stored |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in section["rows"]:
        if row["stored_ok"] is None:
            kept = "no store"
        elif row["stored_ok"]:
            kept = f"all {row['requests'] - row['not_2xx']:,} answered"
        else:
            kept = f"**{row['stored_note']}**"
        lines.append(
            f"| {row['server']} | {row['rps']:,.0f} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} "
            f"| {row['socket_errors']} / {row['not_2xx']} | {row['cpu_us_per_request']:,.0f} "
            f"| {row.get('load_cpu_pct', 0):.0f} % | {kept} |"
        )
    cost = []
    for row in section["rows"]:
        if row["kind"] != "ivrkit":
            continue
        store = "SQLite" if row["store"] == "sqlite" else "PostgreSQL"
        ceiling = next((r for r in section["rows"] if r["server"] == f"ceiling {store}"), None)
        if ceiling and ceiling["cpu_us_per_request"]:
            times = row["cpu_us_per_request"] / ceiling["cpu_us_per_request"]
            cost.append(f"{row['server']} {times:.1f}×")
    if cost:
        lines += [
            "",
            "CPU per request against the ceiling of the same store (the measure a shared machine "
            "disturbs least): " + ", ".join(cost) + ".",
        ]
    if not section.get("postgres"):
        lines += ["", "PostgreSQL rows not run (no IVRKIT_BENCH_POSTGRES_URL)."]
    return lines


def _analytics(section: dict[str, Any]) -> list[str]:
    lines: list[str | None] = []
    for name, database in section.get("databases", {}).items():
        store = database["store"]
        how = f" ({store['parallel_fill']})" if store.get("parallel_fill") else ""
        lines += [
            "" if lines else None,
            f"{name}: {store.get('sessions', 0):,} sessions, {store.get('deliveries', 0):,} "
            f"deliveries, {store['hours_done'] // 24} days filled{how}.",
            "",
            f"| query | cold ms, median of {section.get('cold_runs', 1)} (min) "
            f"| warm ms, median of {section.get('runs', 1)} (min) "
            "| CPU of this process, warm ms | load average |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for row in database["queries"]:
            cold = row.get("cold_ms", row.get("first_ms", 0.0))
            lines.append(
                f"| {row['query']} | {cold:,.1f} ({row.get('cold_min_ms', cold):,.1f}) "
                f"| {row['median_ms']:,.1f} ({row.get('warm_min_ms', row['median_ms']):,.1f}) "
                f"| {row['median_cpu_ms']:,.1f} | {row.get('load_average', 0.0):.1f} |"
            )
    return [line for line in lines if line is not None]


def _calls(section: dict[str, Any]) -> list[str]:
    cpu = ", ".join(f"{name} {pct:.0f} %" for name, pct in section.get("cpu_pct", {}).items())
    keys = ", ".join(f"{keys}: {n:,}" for keys, n in section.get("mix", {}).items())
    return [
        f"{section['in_flight']} calls in flight, {section['seconds']:g} s measured: "
        f"**{section['calls_per_second']:,.1f} complete calls/s**; {section['sent']:,} calls "
        f"placed ({section['refused']:,} refused), {section['completed_total']:,} summaries "
        f"stored, {section['not_completed']:,} missing.",
        "",
        f"CPU in the window (% of one core): {cpu}. Keys pressed, per call: {keys}.",
    ]


def _campaigns(section: dict[str, Any]) -> list[str]:
    lines = [
        f"Store: {section['store']}.",
        "",
        "| run | contacts | workers | calls placed | placed/s | busiest second | called twice "
        "| never attempted | outcomes |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for name in ("one-worker", "two-workers", "paced-50"):
        run = section.get(name)
        if not run:
            continue
        outcomes = ", ".join(f"{k} {v:,}" for k, v in sorted(run["outcomes"].items()))
        lines.append(
            f"| {name} | {run['contacts']:,} | {run['workers']} | {run['calls_placed']:,} "
            f"| {run['calls_per_s'] or 0:,.1f} | {run['busiest_second']} | {run['duplicates']} "
            f"| {run['never_attempted']} | {outcomes} |"
        )
    return lines


def _facts(section: dict[str, Any]) -> list[str]:
    """The section's own figures, as a short list (whatever it reported)."""
    shown = []
    for key, value in section.items():
        if key in ("targets", "failures", "load_average", "elapsed_s") or isinstance(
            value, dict | list
        ):
            continue
        shown.append(f"{key} {value:,}" if isinstance(value, int | float) else f"{key} {value}")
    return [", ".join(shown) + "."] if shown else []


def _streams(section: dict[str, Any]) -> list[str]:
    lines = ["| live streams open | req/s | p50 ms | p99 ms | errors / non-2xx |"]
    lines.append("| ---: | ---: | ---: | ---: | ---: |")
    for row in section["rows"].values():
        lines.append(
            f"| {row['streams_open']} | {row['rps']:,.0f} | {row['p50_ms']:.2f} "
            f"| {row['p99_ms']:.2f} | {row['socket_errors']} / {row['not_2xx']} |"
        )
    return lines


RENDER: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "streams": _streams,
    "webhooks": _webhooks,
    "calls": _calls,
    "campaigns": _campaigns,
    "analytics": _analytics,
}


def block(name: str, section: dict[str, Any], results: dict[str, Any]) -> str:
    load = section.get("load_average") or results["machine"]["load_average"]
    head = (
        f"Run of {results['when']} (commit {results.get('commit') or '?'}"
        f"{', --quick' if results.get('quick') else ''}), {results['machine']['cpus']} cores, "
        f"load average {load[0]:.1f} at the end of the section."
    )
    lines = [f"### {TITLES.get(name, name)}", "", head, ""]
    lines += RENDER.get(name, _facts)(section)
    lines += _targets(section)
    for failure in section.get("failures") or []:
        lines += ["", f"**Failed:** {failure}"]
    return "\n".join(lines).rstrip() + "\n"


def update(path: Path, results: dict[str, Any]) -> None:
    """Replace the blocks of the sections in ``results`` (missing blocks are appended)."""
    text = path.read_text() if path.exists() else "# Benchmarks\n\n## Latest figures\n"
    for name, section in results["sections"].items():
        start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
        new = f"{start}\n{block(name, section, results)}{end}"
        found = re.search(re.escape(start) + r".*?" + re.escape(end), text, re.DOTALL)
        if found:
            text = text[: found.start()] + new + text[found.end() :]
        else:
            text = text.rstrip() + "\n\n" + new + "\n"
    path.write_text(text)
