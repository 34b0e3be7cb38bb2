"""``make bench``: how fast ivrkit answers webhooks, and how many simulated calls it completes.

Part 1 drives ``ivrkit serve`` and a bare ASGI app (one uvicorn worker each) with wrk on
loopback. Part 2 runs whole calls through the simulator and the webhook server, each in its own
process. Everything binds 127.0.0.1, every duration is bounded, and every process started here
is stopped on the way out (Ctrl-C included). Results are printed and written to
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
TARGET_CALLS_PER_S = 300.0


def _sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


# -- part 1 -----------------------------------------------------------------------------------


def webhook_bench(children: Children, workdir: Path, seconds: int, warmup: int) -> dict[str, Any]:
    print(f"== Part 1: webhooks, {CONNECTIONS} connections, {seconds}s per server ==")
    template = webhook.vca_template()
    body_file = workdir / "vca_template.json"
    body_file.write_text(template)
    servers = {
        "ivrkit": webhook.start_ivrkit(children, workdir),
        "bare": webhook.start_bare(children, workdir),
    }
    webhook.check_pipeline(servers["ivrkit"], template)
    use_wrk = webhook.have_wrk()
    if not use_wrk:
        print("  wrk is not installed: using the Python load generator (httpx), which shares")
        print("  the CPU with the servers; its numbers are lower than wrk's: read the ratio")
    loaded: dict[str, webhook.LoadResult] = {}
    single: dict[str, webhook.LoadResult] = {}
    for name, url in servers.items():
        if use_wrk:
            # The warm-up fills caches and SQLite's page cache; its numbers are not kept.
            webhook.run_wrk(name, url, body_file, seconds=warmup, connections=CONNECTIONS)
            loaded[name] = webhook.run_wrk(
                name,
                url,
                body_file,
                seconds=seconds,
                connections=CONNECTIONS,
                log=workdir / f"wrk-{name}.txt",
            )
            # One connection: the time one request takes when nothing queues in front of it.
            single[name] = webhook.run_wrk(
                name, url, body_file, seconds=3, connections=1, threads=1
            )
        else:
            webhook.run_python_load(name, url, template, seconds=warmup, connections=CONNECTIONS)
            loaded[name] = webhook.run_python_load(
                name, url, template, seconds=seconds, connections=CONNECTIONS
            )
            single[name] = webhook.run_python_load(name, url, template, seconds=3, connections=1)
    ours, bare = loaded["ivrkit"], loaded["bare"]
    ratio = ours.rps / bare.rps if bare.rps else 0.0
    print_webhook_table(loaded, single, ratio)
    return {
        "tool": ours.tool,
        "connections": CONNECTIONS,
        "seconds": seconds,
        "ivrkit": ours.as_json(),
        "bare": bare.as_json(),
        "ratio_rps": round(ratio, 3),
        "one_connection": {name: r.as_json() for name, r in single.items()},
        "targets": {
            "ratio_rps": {"target": TARGET_RATIO, "pass": ratio >= TARGET_RATIO},
            "p99_ms": {"target": TARGET_P99_MS, "pass": ours.p99_ms < TARGET_P99_MS},
        },
    }


def print_webhook_table(
    loaded: dict[str, webhook.LoadResult], single: dict[str, webhook.LoadResult], ratio: float
) -> None:
    ours, bare = loaded["ivrkit"], loaded["bare"]
    print()
    print(f"  {'':<18}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'not 2xx':>9}")
    for label, rows in ((f"c={CONNECTIONS}", loaded), ("c=1", single)):
        for r in rows.values():
            bad = r.not_2xx + r.socket_errors
            name = f"{r.server} {label}"
            print(f"  {name:<18}{r.rps:>9.0f}{r.p50_ms:>9.2f}{r.p99_ms:>9.2f}{bad:>9}")
    print(
        f"  {'ivrkit / bare':<18}{ratio:>9.2f}{ours.p50_ms / bare.p50_ms:>9.2f}"
        f"{ours.p99_ms / bare.p99_ms:>9.2f}"
    )
    print()
    print(f"  {verdict(ratio >= TARGET_RATIO)}  ivrkit req/s = {ratio:.0%} of bare (target >= 25%)")
    print(
        f"  {verdict(ours.p99_ms < TARGET_P99_MS)}  ivrkit p99 at c={CONNECTIONS} = "
        f"{ours.p99_ms:.2f} ms (target < {TARGET_P99_MS:g} ms)"
    )
    for r in [*loaded.values(), *single.values()]:
        if r.not_2xx or r.socket_errors:
            print(f"  WARNING {r.server}: {r.not_2xx} non-2xx answers, {r.socket_errors} errors")


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
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per server")
    parser.add_argument("--warmup", type=int, default=2, help="wrk warm-up per server")
    parser.add_argument("--calls-seconds", type=int, default=10, help="part 2 duration")
    parser.add_argument("--in-flight", type=int, default=100, help="part 2 concurrent calls")
    parser.add_argument("--profile-seconds", type=int, default=5, help="part 2 profiled run")
    parser.add_argument("--only", choices=["webhooks", "calls", "campaign"], help="run one part")
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
    began = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="ivrkit-bench-"))
    try:
        with Children(workdir) as children:
            if args.only in (None, "webhooks"):
                report["webhook"] = webhook_bench(children, workdir, args.seconds, args.warmup)
                children.stop_all()
            if args.only in (None, "calls"):
                report["calls"] = calls_bench(
                    children, workdir, args.calls_seconds, args.in_flight, args.profile_seconds
                )
                children.stop_all()
            if args.only in (None, "campaign"):
                import campaign  # bench/campaign.py: its own part, its own module

                report["campaign"] = campaign.campaign_bench(children, workdir, 10_000, 1_000)
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
