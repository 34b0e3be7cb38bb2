"""``make bench``: how fast ivrkit answers webhooks, and how many simulated calls it completes.

Part 1 drives a bare ASGI app, a vendor-style Flask backend and ``ivrkit serve`` in several
configurations with wrk on loopback, the server pinned to one core and wrk to the other (see
bench/webhook.py) and prints one table. Part 2 runs whole calls through the simulator and the
webhook server, each in its own process. Everything binds 127.0.0.1, every duration is bounded,
and every process started here is stopped on the way out (Ctrl-C included). Part 3 runs a
callback campaign (bench/campaign.py); part 4 times the report queries over 1,000,000 sessions
(bench/analytics.py, its filled stores cached between runs); part 5 replays recorded sessions
against a changed tree (bench/replay.py). Results are printed and written to
bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import webhook  # noqa: E402
from procs import Children  # noqa: E402

RESULTS = BENCH_DIR / "results" / "latest.json"
CONNECTIONS = 16
TARGET_RATIO = 0.25
TARGET_P99_MS = 5.0
TARGET_TIMES_FLASK = 3.0
TARGET_CALLS_PER_S = 300.0


def _sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


# -- part 1 -----------------------------------------------------------------------------------

SERVERS = (
    webhook.Server("bare", "bare"),
    webhook.Server("flask", "flask"),
    webhook.Server("ivrkit (a)", "ivrkit"),
    webhook.Server("ivrkit (b)", "ivrkit", flow=webhook.TOPIC_TREE),
    webhook.Server("ivrkit (a) answer-first", "ivrkit", durability="answer-first"),
    webhook.Server(
        "ivrkit (a) 2 workers",
        "ivrkit",
        workers=2,
        cpus=webhook.BOTH_CPUS,
        load_cpus=webhook.BOTH_CPUS,
        single=False,
    ),
    webhook.Server(
        "ivrkit (b) 2 workers",
        "ivrkit",
        flow=webhook.TOPIC_TREE,
        workers=2,
        cpus=webhook.BOTH_CPUS,
        load_cpus=webhook.BOTH_CPUS,
        single=False,
    ),
)
"""(a) the simple IVR, (b) the same tree with a session variable; durable before answering
unless the row says answer-first."""


@dataclass
class Row:
    server: webhook.Server
    result: webhook.LoadResult


def webhook_bench(
    children: Children, workdir: Path, seconds: int, warmup: int, only: list[str] | None = None
) -> dict[str, Any]:
    print(
        f"== Part 1: webhooks; server on core {webhook.SERVER_CPUS}, wrk on core "
        f"{webhook.LOAD_CPUS}; {warmup}s warm-up, then {seconds}s at {CONNECTIONS} "
        "connections and at 1 =="
    )
    template = webhook.vca_template()
    body_file = workdir / "vca_template.json"
    body_file.write_text(template)
    rows: list[Row] = []
    for server in SERVERS:
        if only and server.name not in only:
            continue
        url, pid = server.start(children, workdir)
        webhook.check_answers(url, template)
        threads = 2 if "," in server.load_cpus else 1
        # The warm-up (its own eventIds) fills caches and SQLite's page cache; not counted.
        webhook.run_wrk(
            url,
            body_file,
            seconds=warmup,
            connections=CONNECTIONS,
            cpus=server.load_cpus,
            threads=threads,
        )
        for connections in (CONNECTIONS, 1) if server.single else (CONNECTIONS,):
            result = webhook.run_wrk(
                url,
                body_file,
                seconds=seconds,
                connections=connections,
                cpus=server.load_cpus,
                threads=min(threads, connections),
                log=workdir / f"wrk-{server.name.replace(' ', '_')}-c{connections}.txt",
                server_pid=pid,
            )
            rows.append(Row(server, result))
            print(
                f"  {server.name:<26} c={connections:<3} {result.rps:>8.0f} req/s  "
                f"p50 {result.p50_ms:.2f} ms  p99 {result.p99_ms:.2f} ms  "
                f"{result.cpu_us_per_request:.0f} CPU µs/req",
                flush=True,
            )
        children.stop_all()
    verdicts = print_webhook_table(rows)
    return {
        "connections": CONNECTIONS,
        "seconds": seconds,
        "warmup": warmup,
        "rows": [
            {
                "server": row.server.name,
                "cpus": row.server.cpus,
                "load_cpus": row.server.load_cpus,
                "workers": row.server.workers,
                **row.result.as_json(),
            }
            for row in rows
        ],
        "targets": verdicts,
    }


def _baseline(rows: list[Row], name: str, connections: int) -> webhook.LoadResult | None:
    for row in rows:
        if row.server.name == name and row.result.connections == connections:
            return row.result
    return None


def _ratio(value: float, base: webhook.LoadResult | None) -> str:
    return f"{value / base.rps:.2f}" if base is not None and base.rps else "-"


def print_webhook_table(rows: list[Row]) -> dict[str, dict[str, object]]:
    print()
    header = f"  {'server':<26}{'cores':>6}{'conn':>6}{'req/s':>9}{'p50 ms':>8}{'p99 ms':>8}"
    print(header + f"{'/ bare':>8}{'/ Flask':>8}{'CPU µs/req':>12}")
    for row in rows:
        r = row.result
        bare = _baseline(rows, "bare", r.connections)
        flask = _baseline(rows, "flask", r.connections)
        print(
            f"  {row.server.name:<26}{row.server.cpus:>6}{r.connections:>6}{r.rps:>9.0f}"
            f"{r.p50_ms:>8.2f}{r.p99_ms:>8.2f}{_ratio(r.rps, bare):>8}{_ratio(r.rps, flask):>8}"
            f"{r.cpu_us_per_request:>12.0f}"
        )
    print(
        "  (2-worker rows: the server has both cores and wrk shares them; every other row: "
        "server on core 0, wrk on core 1)"
    )
    print()
    verdicts: dict[str, dict[str, object]] = {}
    bare = _baseline(rows, "bare", CONNECTIONS)
    flask = _baseline(rows, "flask", CONNECTIONS)
    for name in ("ivrkit (a)", "ivrkit (b)"):
        ours = _baseline(rows, name, CONNECTIONS)
        if ours is None:
            continue
        checks: list[tuple[str, bool, str]] = []
        if bare is not None and bare.rps:
            share = ours.rps / bare.rps
            checks.append(
                ("share_of_bare", share >= TARGET_RATIO, f"{share:.0%} of bare (target >= 25%)")
            )
        checks.append(
            (
                "p99_ms",
                ours.p99_ms < TARGET_P99_MS,
                f"p99 {ours.p99_ms:.2f} ms at {CONNECTIONS} connections (target < 5 ms)",
            )
        )
        if flask is not None and flask.rps:
            times = ours.rps / flask.rps
            checks.append(
                ("times_flask", times >= TARGET_TIMES_FLASK, f"{times:.1f}x Flask (target >= 3x)")
            )
        for _key, ok, text in checks:
            print(f"  {'met   ' if ok else 'MISSED'}  {name}: {text}")
        verdicts[name] = {key: ok for key, ok, _ in checks}
    for row in rows:
        r = row.result
        if r.not_2xx or r.socket_errors:
            print(
                f"  WARNING {row.server.name} c={r.connections}: {r.not_2xx} non-2xx answers, "
                f"{r.socket_errors} socket errors"
            )
    return verdicts


# -- part 2 -----------------------------------------------------------------------------------


def calls_bench(
    children: Children, workdir: Path, seconds: int, in_flight: int, profile_seconds: int
) -> dict[str, Any]:
    print(f"\n== Part 2: whole simulated calls, {in_flight} in flight, {seconds}s ==")
    try:
        import calls
    except ImportError as exc:
        print(f"  skipped: the simulator is not usable yet ({exc})")
        return {"skipped": str(exc)}
    db_path = workdir / "calls.db"
    phones = calls.phone_numbers()
    hook_url, hook_proc = calls.start_webhook_server(children, workdir, db_path)
    sim_url, sim_proc = calls.start_simulator(children, workdir)
    calls.script_phones(sim_url, phones)
    result, sessions = asyncio.run(
        calls.drive(
            sim_url,
            hook_url,
            db_path,
            phones,
            in_flight=in_flight,
            seconds=seconds,
            warmup=2,
            drain=15,
            pids={"simulator": sim_proc.pid, "ivrkit": hook_proc.pid},
        )
    )
    calls.verify(result, db_path, sessions)
    children.stop(sim_proc)
    print_calls(result)

    # The same again, shorter, with the simulator under cProfile (which slows it down).
    prof_path = workdir / "simulator.prof"
    sim_url, sim_proc = calls.start_simulator(children, workdir, prof_path, "simulator-profiled")
    calls.script_phones(sim_url, phones)
    profiled, _ = asyncio.run(
        calls.drive(
            sim_url,
            hook_url,
            db_path,
            phones,
            in_flight=in_flight,
            seconds=profile_seconds,
            warmup=1,
            drain=10,
            pids={"simulator": sim_proc.pid},
        )
    )
    stopping = time.monotonic()
    children.stop(sim_proc, grace=30)
    print(f"  (profiled simulator stopped in {time.monotonic() - stopping:.1f}s)")
    top = calls.top_functions(prof_path, 15) if prof_path.exists() else []
    print(
        f"\n  simulator profile (cProfile, {profiled.calls_per_second:.0f} calls/s while "
        f"profiled), top {len(top)} by own time:"
    )
    print(f"  {'own s':>7} {'own %':>6} {'cum s':>7} {'calls':>9}  function")
    for row in top:
        print(
            f"  {row['own_s']:>7.3f} {row['own_pct']:>6.1f} {row['cumulative_s']:>7.3f} "
            f"{row['calls']:>9}  {row['function']}"
        )
    return {
        **result.as_json(),
        "target_calls_per_second": TARGET_CALLS_PER_S,
        "pass": result.calls_per_second >= TARGET_CALLS_PER_S,
        "profiled_calls_per_second": profiled.calls_per_second,
        "simulator_profile_top": top,
    }


def print_calls(result: Any) -> None:
    print()
    print(f"  calls placed        {result.sent} ({result.refused} refused by the simulator)")
    print(f"  summaries stored    {result.completed_total} ({result.not_completed} missing)")
    print(f"  session statuses    {result.statuses}")
    print(f"  keys pressed        {result.mix}")
    cpu = ", ".join(f"{name} {pct:.0f}%" for name, pct in result.cpu_pct.items())
    print(f"  CPU (% of a core)   {cpu}")
    print(
        f"  calls/s             {result.calls_per_second:.1f}  "
        f"({result.completed_in_window} summaries in {result.seconds}s)"
    )
    print(
        f"\n  {verdict(result.calls_per_second >= TARGET_CALLS_PER_S)}  "
        f"{result.calls_per_second:.0f} complete calls/s (target >= {TARGET_CALLS_PER_S:g})"
    )


# -- main -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8, help="measured wrk run per server")
    parser.add_argument("--warmup", type=int, default=2, help="wrk warm-up per server")
    parser.add_argument("--calls-seconds", type=int, default=8, help="part 2 duration")
    parser.add_argument("--in-flight", type=int, default=100, help="part 2 concurrent calls")
    parser.add_argument("--profile-seconds", type=int, default=5, help="part 2 profiled run")
    parser.add_argument(
        "--only",
        choices=["webhooks", "calls", "campaign", "analytics", "replay"],
        help="run one part",
    )
    parser.add_argument(
        "--analytics-sessions", type=int, default=1_000_000, help="sessions in the analytics store"
    )
    parser.add_argument(
        "--refill", action="store_true", help="fill the analytics stores again (they are cached)"
    )
    parser.add_argument(
        "--server", action="append", help="part 1: only this server (repeatable), e.g. 'bare'"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, dbs)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _sigterm)

    report: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
    }
    missing = webhook.missing_tools() if args.only in (None, "webhooks") else []
    if missing:
        needs = " and ".join(missing)
        print(f"part 1 needs {needs}: apt-get install wrk util-linux", file=sys.stderr)
        return 2
    began = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="ivrkit-bench-"))
    try:
        with Children(workdir) as children:
            if args.only in (None, "webhooks"):
                report["webhook"] = webhook_bench(
                    children, workdir, args.seconds, args.warmup, args.server
                )
                children.stop_all()
            if args.only in (None, "calls"):
                report["calls"] = calls_bench(
                    children, workdir, args.calls_seconds, args.in_flight, args.profile_seconds
                )
                children.stop_all()
            if args.only in (None, "campaign"):
                import campaign  # bench/campaign.py: its own part, its own module

                report["campaign"] = campaign.campaign_bench(children, workdir, 10_000, 1_000)
            if args.only in (None, "analytics"):
                import analytics  # bench/analytics.py: its stores are cached in bench/results/

                report["analytics"] = analytics.analytics_bench(
                    args.analytics_sessions, runs=5, refill=args.refill
                )
            if args.only in (None, "replay"):
                import replay  # bench/replay.py: its own part, in this process

                report["replay"] = replay.replay_bench(workdir)
    except KeyboardInterrupt:
        print("\ninterrupted; every process started was stopped", file=sys.stderr)
        return 130
    finally:
        if args.keep:
            print(f"\nwork folder kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    report["elapsed_s"] = round(time.monotonic() - began, 1)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nresults in {RESULTS.relative_to(BENCH_DIR.parent)} ({report['elapsed_s']}s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
