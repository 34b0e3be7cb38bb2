"""The campaigns section of ``make bench``: a 10,000-contact callback campaign through the
simulator at ``--speed max`` (pinned to core 1) and ``ivrkit serve`` (pinned to core 0), each in
its own process, with ``ivrkit campaign run`` workers as processes too (on either core).

Measures calls placed per second with one worker and (on PostgreSQL) two, pacing accuracy at
``--rate 50/s``, and checks that no contact was called twice and none was left uncalled. Set
IVRKIT_BENCH_POSTGRES_URL (or IVRKIT_TEST_POSTGRES_URL) for PostgreSQL; a fresh schema is made
and dropped. Run alone: ``python bench/campaign.py [--contacts N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from calls import API_KEY, SUBACCOUNT, start_simulator  # noqa: E402
from procs import HOST, Children, clean_env, cpu_seconds, free_port, wait_healthy  # noqa: E402
from webhook import SECRET, SERVER_CPUS, ivrkit_command  # noqa: E402

from ivrkit.campaigns import CampaignSettings, CampaignStore, parse_contacts  # noqa: E402
from ivrkit.client import VoiceClient  # noqa: E402
from ivrkit.simulator import PhoneScript, SimulatorControl  # noqa: E402
from ivrkit.simulator._account.phones import PhonePattern  # noqa: E402
from ivrkit.store import open_store  # noqa: E402
from ivrkit.wire import WebhookType  # noqa: E402

TARGET_CALLS_PER_S = 200.0
PACED_RATE = 50.0
PACING_TOLERANCE = 0.02


def _postgres_url() -> str | None:
    return os.environ.get("IVRKIT_BENCH_POSTGRES_URL") or os.environ.get("IVRKIT_TEST_POSTGRES_URL")


class Database:
    """A SQLite file, or a PostgreSQL schema of its own (dropped on close)."""

    def __init__(self, workdir: Path, admin: str | None) -> None:
        self._admin = admin
        self._schema: str | None = None
        if self._admin is None:
            self.url = f"sqlite:///{workdir / 'campaign.db'}"
            return
        import psycopg
        from sqlalchemy.engine import make_url

        self._schema = f"ivrkit_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self._admin, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{self._schema}"')
        url = make_url(self._admin).update_query_dict({"options": f"-csearch_path={self._schema}"})
        self.url = url.render_as_string(hide_password=False)

    @property
    def postgres(self) -> bool:
        return self._schema is not None

    def close(self) -> None:
        if self._admin is not None and self._schema is not None:
            import psycopg

            with psycopg.connect(self._admin, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{self._schema}" CASCADE')


def start_server(children: Children, workdir: Path, db_url: str) -> tuple[str, int]:
    port = free_port()
    argv = ["taskset", "-c", SERVER_CPUS, ivrkit_command(), "serve", "--host", HOST]
    argv += ["--port", str(port), "--db", db_url, "--webhook-secret", SECRET]
    proc = children.start("ivrkit-campaign-serve", argv, cwd=workdir, env=clean_env())
    url = f"http://{HOST}:{port}"
    wait_healthy(url + "/healthz", proc, children, "ivrkit-campaign-serve")
    return url, proc.pid


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def numbers(count: int, offset: int) -> list[str]:
    return [f"+659{offset + n:07d}" for n in range(count)]


def run_campaign(
    children: Children,
    workdir: Path,
    db_url: str,
    sim_url: str,
    server_pid: int,
    name: str,
    listed: list[str],
    *,
    workers: int,
    rate: float,
    max_concurrent: int,
) -> dict[str, Any]:
    """Create a campaign, run it with ``workers`` processes, and measure what they did."""
    store = open_store(db_url)
    campaigns = CampaignStore(store)
    # A summary the overloaded webhook server lost would hold the run for the default hour.
    settings = CampaignSettings(
        rate=rate,
        max_concurrent=max_concurrent,
        attempts=1,
        window="00:00-24:00",
        summary_timeout=60,
    )
    found = parse_contacts("number\n" + "\n".join(listed) + "\n")
    campaigns.create(name, settings, found, datetime.now(UTC))
    env = clean_env(
        IVRKIT_API_KEY=API_KEY,
        IVRKIT_SUBACCOUNT=SUBACCOUNT,
        IVRKIT_API_BASE=sim_url,
        IVRKIT_DB=db_url,
    )
    server_cpu, workers_cpu = cpu_seconds(server_pid), _children_cpu()
    began = time.monotonic()
    procs = [
        children.start(
            f"{name}-worker{n}", [ivrkit_command(), "campaign", "run", name], cwd=workdir, env=env
        )
        for n in range(workers)
    ]
    for proc in procs:
        proc.wait(timeout=1800)
    elapsed = time.monotonic() - began
    workers_cpu = _children_cpu() - workers_cpu
    server_cpu = (cpu_seconds(server_pid) or 0.0) - (server_cpu or 0.0)
    report = campaigns.report(campaigns.get(name))
    store.close()
    placed = sorted(a.placed_at for row in report for a in row.attempts if a.session_id)
    span = (placed[-1] - placed[0]).total_seconds() if len(placed) > 1 else 0.0
    per_second = Counter(int((t - placed[0]).total_seconds()) for t in placed)
    calls_by_contact = Counter(row.number for row in report for a in row.attempts if a.session_id)
    return {
        "contacts": len(listed),
        "workers": workers,
        "exit_codes": [proc.returncode for proc in procs],
        "elapsed_s": round(elapsed, 2),
        "calls_placed": len(placed),
        "calls_per_s": round((len(placed) - 1) / span, 1) if span else None,
        "busiest_second": max(per_second.values(), default=0),
        # CPU per placed call, in milliseconds: the workers together, and `ivrkit serve` (the
        # PostgreSQL server's is not told: on a shared database it is everyone's).
        "worker_cpu_ms_per_call": round(1000 * workers_cpu / len(placed), 2) if placed else None,
        "server_cpu_ms_per_call": round(1000 * server_cpu / len(placed), 2) if placed else None,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "duplicates": sum(1 for count in calls_by_contact.values() if count > 1),
        "never_attempted": sum(1 for row in report if not row.attempts),
        "outcomes": dict(Counter(row.outcome or row.state for row in report)),
    }


def _mark(name: str, value: object, wanted: str, met: bool, shown: str) -> dict[str, Any]:
    print(f"  {'met   ' if met else 'MISSED'}  {name}: {shown} (target {wanted})", flush=True)
    return {"name": name, "value": value, "target": wanted, "met": met, "shown": shown}


def campaign_bench(
    children: Children,
    workdir: Path,
    contacts: int,
    paced: int,
    *,
    postgres_url: str | None,
    mark: Callable[..., dict[str, Any]],
) -> dict[str, Any]:
    store = "PostgreSQL" if postgres_url else "SQLite"
    print(f"== campaigns: {contacts:,} contacts at --speed max, on {store} ==")
    database = Database(workdir, postgres_url)
    try:
        sim_url, _ = start_simulator(children, workdir, name="campaign-simulator")
        server_url, server_pid = start_server(children, workdir, database.url)
        with VoiceClient(API_KEY, SUBACCOUNT, base_url=sim_url) as client:
            for kind in (WebhookType.VCA, WebhookType.VSS):
                client.create_webhook(
                    kind, f"{server_url}/webhooks/{kind.value.lower()}", http_auth_header=SECRET
                )
        # 400 calls in progress at most: beyond that the simulator and the webhook server, on
        # the same two cores, fall behind (Send Callflow times out, answers come too late).
        runs: list[tuple[str, list[str], int, float, int]] = [
            ("one-worker", numbers(contacts, 0), 1, 10_000.0, 400),
        ]
        if database.postgres:
            runs.append(("two-workers", numbers(contacts, contacts), 2, 10_000.0, 400))
        runs.append(("paced-50", numbers(paced, 2 * contacts), 1, PACED_RATE, 400))
        with SimulatorControl(sim_url) as sim:  # every contact answers and presses 1
            sim.set_phones(patterns=[PhonePattern(prefix="+659", script=PhoneScript(press=["1"]))])
        results: dict[str, Any] = {"store": store.lower()}
        for name, listed, workers, rate, concurrent in runs:
            result = run_campaign(
                children,
                workdir,
                database.url,
                sim_url,
                server_pid,
                name,
                listed,
                workers=workers,
                rate=rate,
                max_concurrent=concurrent,
            )
            results[name] = result
            print(f"  {name}: {json.dumps(result)}", flush=True)
        if not database.postgres:
            print("  two-workers: skipped (set IVRKIT_BENCH_POSTGRES_URL: SQLite runs one worker)")
        paced_run = results["paced-50"]
        measured = paced_run["calls_per_s"] or 0.0
        results["pacing_error"] = round(abs(measured - PACED_RATE) / PACED_RATE, 4)
        dup = sum(results[n]["duplicates"] for n, *_ in runs)
        never = sum(results[n]["never_attempted"] for n, *_ in runs)
        errors = sum(results[n]["outcomes"].get("error", 0) for n, *_ in runs)
        fastest = "two-workers" if "two-workers" in results else "one-worker"
        best = results[fastest]["calls_per_s"] or 0.0
        targets = [
            mark(
                f"placed calls/s, {fastest}, {contacts:,} contacts, {store}",
                best,
                f">= {TARGET_CALLS_PER_S:g}",
                best >= TARGET_CALLS_PER_S,
                f"{best:,.1f}",
            ),
            mark(
                f"pacing at --rate {PACED_RATE:g}/s",
                results["pacing_error"],
                f"within {PACING_TOLERANCE:.0%}",
                results["pacing_error"] <= PACING_TOLERANCE,
                f"{measured}/s, {results['pacing_error']:.2%} off",
            ),
            mark("contacts called twice", dup, "0", dup == 0, str(dup)),
            mark("contacts never attempted", never, "0", never == 0, str(never)),
            mark("contacts ended in error", errors, "0", errors == 0, str(errors)),
        ]
        if database.postgres and "two-workers" in results:
            one, two = results["one-worker"]["calls_per_s"], results["two-workers"]["calls_per_s"]
            results["second_worker_adds"] = round((two or 0) - (one or 0), 1)
        failures = [f"{dup} contacts called twice"] * bool(dup)
        return {**results, "targets": targets, "failures": failures}
    finally:
        children.stop_all()
        database.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--paced", type=int, default=1_000, help="contacts of the 50/s run")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="campaignbench-"))
    with Children(workdir) as children:
        result = campaign_bench(
            children, workdir, args.contacts, args.paced, postgres_url=_postgres_url(), mark=_mark
        )
    out = BENCH_DIR / "results" / "campaign.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
