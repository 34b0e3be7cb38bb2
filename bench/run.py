"""``make bench``: how fast ivrkit is, measured from outside, against what the machine allows.

Sections (run all, or name some: ``bench/run.py webhooks calls``; ``make bench ONLY=webhooks``):

- ``webhooks``: ``ivrkit serve`` under realistic webhook traffic, beside a bare ASGI app, a
  durable ceiling and a vendor-style Flask peer, all in the same run (bench/webhook.py);
- ``calls``: whole calls through the simulator (bench/calls.py);
- ``campaigns``: a callback campaign through the simulator (bench/campaign.py);
- ``replay``: recorded sessions replayed against a changed tree (bench/replay.py);
- ``analytics``: the report queries over 1,000,000 sessions (bench/analytics.py);
- ``streams``: webhook latency with no dashboard live stream open, then 500 (bench/streams.py).

Every section prints its targets, met or MISSED. Servers bind 127.0.0.1 on free ports, every
duration is bounded, and every process started is stopped on the way out (Ctrl-C included).
Results go to bench/results/ as JSON (``latest.json`` and one file per run); a full run (not
``--quick``) also writes its figures into docs/benchmarks.md. The exit status is 1 when a
section lost data or failed, whatever the speed targets say.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import report  # noqa: E402
import webhook  # noqa: E402
from procs import Children  # noqa: E402

RESULTS_DIR = BENCH_DIR / "results"
DOCS = BENCH_DIR.parent / "docs" / "benchmarks.md"
SECTIONS = ("webhooks", "calls", "campaigns", "replay", "analytics", "streams")


class SectionFailed(Exception):
    """A section could not measure (a server died, data was lost)."""


def _sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@dataclass(frozen=True)
class Options:
    quick: bool
    seconds: float
    warmup: float
    postgres_url: str | None
    workdir: Path
    refill: bool
    analytics_sessions: int | None
    analytics_database: str | None
    campaign_contacts: int | None


def target(name: str, value: float | None, wanted: str, met: bool, shown: str) -> dict[str, Any]:
    """One target of a section: printed as met / MISSED, kept in the results."""
    print(f"  {'met   ' if met else 'MISSED'}  {name}: {shown} (target {wanted})", flush=True)
    return {"name": name, "value": value, "target": wanted, "met": met, "shown": shown}


# -- webhooks -------------------------------------------------------------------------------------


def webhooks(children: Children, options: Options) -> dict[str, Any]:
    tool = webhook.generator()
    print(
        f"== webhooks: server on core {webhook.SERVER_CPUS}, {tool} on core "
        f"{webhook.LOAD_CPUS}, {webhook.CONNECTIONS} connections, {options.warmup:g} s warm-up "
        f"+ {options.seconds:g} s =="
    )
    if tool != "wrk":
        print("  wrk is not installed: the Python generator sends the load (it may be the limit)")
    postgres = webhook.Postgres(options.postgres_url) if options.postgres_url else None
    if postgres is None:
        print(
            "  PostgreSQL rows skipped: set IVRKIT_BENCH_POSTGRES_URL (or IVRKIT_TEST_POSTGRES_URL)"
        )
    rows: list[dict[str, Any]] = []
    failures: list[str] = []
    for server in webhook.servers(postgres is not None):
        try:
            result = webhook.measure(
                server,
                children,
                options.workdir,
                postgres,
                seconds=options.seconds,
                warmup=options.warmup,
            )
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            print(f"  {server.name}: FAILED {exc}", flush=True)
            failures.append(f"{server.name}: {exc}")
            continue
        row = {"server": server.name, "kind": server.kind, "store": server.store}
        row.update(result.as_json())
        rows.append(row)
        errors = result.not_2xx + result.socket_errors
        check = "" if result.stored_ok is None else f"  {result.stored_note}"
        print(
            f"  {server.name:<30}{result.rps:>9,.0f} req/s  p50 {result.p50_ms:6.2f} ms  "
            f"p99 {result.p99_ms:6.2f} ms  errors {errors}  "
            f"{result.cpu_us_per_request:,.0f} CPU µs/req  {tool} {result.load_cpu_pct:.0f} %"
            f"{check}",
            flush=True,
        )
        if result.stored_ok is False:
            failures.append(f"{server.name}: {result.stored_note}")
    targets = webhook_targets(rows)
    for failure in failures:
        print(f"  FAILED  {failure}")
    return {
        "generator": tool,
        "connections": webhook.CONNECTIONS,
        "seconds": options.seconds,
        "warmup": options.warmup,
        "postgres": postgres is not None,
        "rows": rows,
        "targets": targets,
        "failures": failures,
    }


def _row(rows: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next((row for row in rows if row["server"] == name), None)


def webhook_targets(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each ivrkit row against the ceiling of its store and the Flask + insert peer."""
    print()
    flask = _row(rows, "Flask + insert")
    out: list[dict[str, Any]] = []
    for ours in rows:
        if ours["kind"] != "ivrkit":
            continue
        name = ours["server"]
        store = "SQLite" if ours["store"] == "sqlite" else "PostgreSQL"
        ceiling = _row(rows, f"ceiling {store}")
        if ceiling is not None and ceiling["rps"]:
            share = ours["rps"] / ceiling["rps"]
            out.append(
                target(
                    f"{name} / ceiling",
                    round(share, 3),
                    f">= {webhook.TARGET_OF_CEILING:.2f}",
                    share >= webhook.TARGET_OF_CEILING,
                    f"{share:.2f} ({ours['rps']:,.0f} / {ceiling['rps']:,.0f} req/s)",
                )
            )
            if ceiling["p99_ms"]:
                times = ours["p99_ms"] / ceiling["p99_ms"]
                out.append(
                    target(
                        f"{name} p99 / ceiling p99",
                        round(times, 2),
                        f"<= {webhook.TARGET_P99_TIMES_CEILING:g}",
                        times <= webhook.TARGET_P99_TIMES_CEILING,
                        f"{times:.2f} ({ours['p99_ms']:.2f} / {ceiling['p99_ms']:.2f} ms)",
                    )
                )
        if flask is not None and flask["rps"]:
            times = ours["rps"] / flask["rps"]
            out.append(
                target(
                    f"{name} / Flask + insert",
                    round(times, 2),
                    f">= {webhook.TARGET_TIMES_FLASK_INSERT:g}",
                    times >= webhook.TARGET_TIMES_FLASK_INSERT,
                    f"{times:.2f} ({ours['rps']:,.0f} / {flask['rps']:,.0f} req/s)",
                )
            )
        errors = ours["not_2xx"] + ours["socket_errors"]
        out.append(target(f"{name} errors", errors, "0", errors == 0, str(errors)))
    return out


# -- the other sections ---------------------------------------------------------------------------


def calls(children: Children, options: Options) -> dict[str, Any]:
    import calls as section

    return section.calls_bench(
        children, options.workdir, seconds=options.seconds, quick=options.quick, target=target
    )


def campaigns(children: Children, options: Options) -> dict[str, Any]:
    import campaign

    contacts, paced = (1_000, 200) if options.quick else (10_000, 1_000)
    contacts = options.campaign_contacts or contacts
    return campaign.campaign_bench(
        children, options.workdir, contacts, paced, postgres_url=options.postgres_url, mark=target
    )


def replay(children: Children, options: Options) -> dict[str, Any]:
    import replay as section

    return section.replay_bench(
        options.workdir, 1_000 if options.quick else section.SESSIONS, mark=target
    )


def analytics(children: Children, options: Options) -> dict[str, Any]:
    import analytics as section

    sessions = options.analytics_sessions or (
        section.QUICK_SESSIONS if options.quick else section.SESSIONS
    )
    return section.analytics_bench(
        sessions,
        runs=2 if options.quick else 5,
        cold_runs=2 if options.quick else section.COLD_RUNS,
        refill=options.refill,
        postgres_url=options.postgres_url,
        mark=target,
        sqlite=options.analytics_database in (None, "sqlite"),
        postgres=options.analytics_database in (None, "postgres"),
    )


def streams(children: Children, options: Options) -> dict[str, Any]:
    import streams as section

    return section.streams_bench(
        children, options.workdir, seconds=options.seconds, warmup=options.warmup
    )


RUNNERS: dict[str, Callable[[Children, Options], dict[str, Any]]] = {
    "webhooks": webhooks,
    "calls": calls,
    "campaigns": campaigns,
    "replay": replay,
    "analytics": analytics,
    "streams": streams,
}


# -- main -----------------------------------------------------------------------------------------


def postgres_url() -> str | None:
    return os.environ.get("IVRKIT_BENCH_POSTGRES_URL") or os.environ.get("IVRKIT_TEST_POSTGRES_URL")


def git_commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(BENCH_DIR), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except OSError:
        return None
    return done.stdout.strip() or None


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("sections", nargs="*", help=f"sections to run: {', '.join(SECTIONS)}")
    parser.add_argument("--quick", action="store_true", help="short runs to try the harness")
    parser.add_argument("--seconds", type=float, help="measured run per server (default 8; 3)")
    parser.add_argument("--warmup", type=float, help="warm-up per server (default 2; 1 quick)")
    parser.add_argument("--refill", action="store_true", help="analytics: fill its stores again")
    parser.add_argument("--analytics-sessions", type=int, help="analytics: sessions to fill")
    parser.add_argument(
        "--analytics-database", choices=["sqlite", "postgres"], help="analytics: only this one"
    )
    parser.add_argument("--campaign-contacts", type=int, help="campaigns: contacts (10,000)")
    parser.add_argument("--docs", action="store_true", help="write docs/benchmarks.md (quick too)")
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/benchmarks.md")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, stores)")
    args = parser.parse_args(argv)
    unknown = [name for name in args.sections if name not in SECTIONS]
    if unknown:
        parser.error(f"unknown section {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    chosen = [name for name in SECTIONS if name in args.sections] or list(SECTIONS)
    signal.signal(signal.SIGTERM, _sigterm)
    if shutil.which("taskset") is None:
        print("the benchmark pins processes with taskset: apt-get install util-linux")
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="ivrkit-bench-"))
    options = Options(
        quick=args.quick,
        seconds=args.seconds or (3.0 if args.quick else 8.0),
        warmup=args.warmup or (1.0 if args.quick else 2.0),
        postgres_url=postgres_url(),
        workdir=workdir,
        refill=args.refill,
        analytics_sessions=args.analytics_sessions,
        analytics_database=args.analytics_database,
        campaign_contacts=args.campaign_contacts,
    )
    began = datetime.now(UTC)
    results: dict[str, Any] = {
        "when": began.isoformat(timespec="seconds"),
        "commit": git_commit(),
        "quick": args.quick,
        "machine": machine(),
        "sections": {},
    }
    failed = False
    try:
        with Children(workdir) as children:
            for name in chosen:
                started = time.monotonic()
                print(flush=True)
                try:
                    section = RUNNERS[name](children, options)
                except SectionFailed as exc:
                    section = {"failures": [str(exc)], "targets": []}
                    print(f"  FAILED  {exc}")
                finally:
                    children.stop_all()
                section["elapsed_s"] = round(time.monotonic() - started, 1)
                section["load_average"] = [round(x, 2) for x in os.getloadavg()]
                results["sections"][name] = section
                failed = failed or bool(section.get("failures"))
    except KeyboardInterrupt:
        print("\ninterrupted; every process started was stopped", file=sys.stderr)
        return 130
    finally:
        if args.keep:
            print(f"\nwork folder kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    results["elapsed_s"] = round((datetime.now(UTC) - began).total_seconds(), 1)
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = began.strftime("%Y%m%dT%H%M%SZ")
    text = json.dumps(results, indent=2) + "\n"
    (RESULTS_DIR / f"bench-{stamp}.json").write_text(text)
    (RESULTS_DIR / "latest.json").write_text(text)
    print(f"\nresults in bench/results/bench-{stamp}.json ({results['elapsed_s']:.0f} s in all)")
    if (not args.quick or args.docs) and not args.no_docs:
        report.update(DOCS, results)
        print(f"figures written to {DOCS.relative_to(BENCH_DIR.parent)}")
    missed = [
        t["name"]
        for section in results["sections"].values()
        for t in section.get("targets", [])
        if not t["met"]
    ]
    print(f"targets missed: {len(missed)}" + (f" ({'; '.join(missed)})" if missed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
