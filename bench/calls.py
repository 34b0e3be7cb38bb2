"""The calls section of ``make bench``: complete simulated calls per second through the whole loop.

The simulator (one process pinned to core 1, time at "max") places each call, plays the tree's
menu, presses the scripted keys, sends CALL_ACTION webhooks to ``ivrkit serve`` (another process,
pinned to core 0) and finally the SESSION_SUMMARY. A call counts when its summary is in ivrkit's
store. This process (on core 1 with the simulator) only sends Send Callflow requests, keeping
``in_flight`` calls going, and counts summaries in the store. Every call goes to a number of its
own; the numbers are scripted by one pattern of the simulator's phone book that deals out the keys
of bench/traffic.py's calls (1, 2, 3 then 1, a wrong key then 2, ...); a caller whose keys are
all pressed and who is asked again hangs up during that prompt (the simple IVR re-prompts without
end, and a silent caller would otherwise be asked 50 times before the simulator gives up for
them): eight calls make fourteen CALL_ACTIONs, the webhook traffic's eleven and one more after
each of the three transfers, when the agent hangs up and the platform asks what next.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from procs import HOST, PYTHON, Children, clean_env, cpu_seconds, free_port, wait_healthy
from traffic import SCRIPTS
from webhook import BENCH_DIR, LOAD_CPUS, SECRET, SERVER_CPUS, ivrkit_command

from ivrkit import rules
from ivrkit.client import AsyncVoiceClient
from ivrkit.simulator import PhoneScript, SimulatorControl
from ivrkit.simulator._account.phones import PhonePattern
from ivrkit.store import _schema as schema
from ivrkit.store import open_store
from ivrkit.trees import load_tree
from ivrkit.wire import WebhookType

API_KEY = "bench-api-key"
SUBACCOUNT = "bench_sub"
PREFIX = "+659"
"""Call N goes to +659 followed by N in seven digits (a Singapore mobile)."""
PLACEHOLDER = "6590000000"
TARGET_CALLS_PER_S = 500.0


@dataclass
class CallsResult:
    in_flight: int
    seconds: float
    sent: int
    completed_in_window: int
    calls_per_second: float
    completed_total: int
    not_completed: int
    refused: int
    statuses: dict[str, int]
    cpu_pct: dict[str, float] = field(default_factory=dict)
    """CPU used by each process in the window, in % of one core."""
    cpu_ms_per_call: dict[str, float] = field(default_factory=dict)
    """CPU milliseconds each process used in the window per call completed in it: the figure
    that other work on a shared machine disturbs least."""
    mix: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return asdict(self)


def number_of(call: int) -> str:
    return f"{PREFIX}{call % 10_000_000:07d}"


def start_simulator(
    children: Children, workdir: Path, profile: Path | None = None, name: str = "simulator"
) -> tuple[str, subprocess.Popen[bytes]]:
    """The simulator in its own process; with ``profile``, cProfile stats land there on stop."""
    port = free_port()
    argv = ["taskset", "-c", LOAD_CPUS, PYTHON, str(BENCH_DIR / "simulator.py")]
    argv += ["--port", str(port), "--api-key", API_KEY]
    if profile is not None:
        argv += ["--profile", str(profile)]
    proc = children.start(name, argv, cwd=workdir, env=clean_env())
    url = f"http://{HOST}:{port}"
    wait_healthy(url + "/sim/v1/clock", proc, children, name)
    return url, proc


def start_webhook_server(
    children: Children, workdir: Path, db_path: Path
) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    argv = ["taskset", "-c", SERVER_CPUS, ivrkit_command(), "serve", "--host", HOST]
    argv += ["--port", str(port)]
    # `serve` as shipped: every answer waits for its delivery's commit.
    argv += ["--db", f"sqlite:///{db_path}", "--webhook-secret", SECRET]
    proc = children.start("ivrkit-calls", argv, cwd=workdir, env=clean_env())
    url = f"http://{HOST}:{port}"
    wait_healthy(url + "/healthz", proc, children, "ivrkit-calls")
    return url, proc


def script_phones(sim_url: str) -> None:
    """Every number under :data:`PREFIX` answers and presses the keys of one of the scripts,
    one key a prompt; asked once more after its last key, the caller hangs up halfway through."""
    scripts = [
        PhoneScript(press=list(keys), hangup_during_prompt=len(keys) + 1) for keys in SCRIPTS
    ]
    with SimulatorControl(sim_url) as sim:
        sim.set_phones(patterns=[PhonePattern(prefix=PREFIX, scripts=scripts)])


class SummaryCounter:
    """Counts the sessions whose summary ivrkit has stored (answered 200, so committed to its
    delivery log), read-only from outside (WAL readers never block the server's writer). The
    log, not the summaries table: that table is a projection, built off the answer's path a
    moment later, and counting it would hold each call's slot in flight for that moment too."""

    def __init__(self, db_path: Path) -> None:
        self._db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        table = schema.deliveries.name
        self._query = (
            f"SELECT id, session_id FROM {table} WHERE id > ? "
            "AND event_type = 'SESSION_SUMMARY' AND http_status = 200"
        )
        self._last = int(
            self._db.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]
        )
        self._sessions: set[str] = set()

    def count(self) -> int:
        """Sessions whose summary was stored since this counter was made."""
        for row_id, session_id in self._db.execute(self._query, (self._last,)).fetchall():
            self._last = max(self._last, int(row_id))
            self._sessions.add(str(session_id))
        return len(self._sessions)

    def close(self) -> None:
        self._db.close()


async def drive(
    sim_url: str,
    hook_url: str,
    db_path: Path,
    *,
    in_flight: int,
    seconds: float,
    warmup: float,
    drain: float,
    pids: dict[str, int],
) -> tuple[CallsResult, list[str]]:
    # Every request is the tree's entry menu, checked once here (the client need not check it
    # again for every call); each call puts its own number in place of the placeholder's.
    request = load_tree().initial_request("+" + PLACEHOLDER)
    rules.check(request, mode=rules.Mode.REQUEST)
    template = json.dumps(request.to_wire())
    if template.count(PLACEHOLDER) != 1:
        raise RuntimeError("the entry request does not hold the called number once")
    client = AsyncVoiceClient(
        API_KEY, SUBACCOUNT, base_url=sim_url, validate=False, max_retries=0, timeout=30
    )
    counter = SummaryCounter(db_path)
    sessions: list[str] = []
    mix: Counter[str] = Counter()
    refused = 0
    sent = 0

    # The driver is part of the load on the same two cores: it posts prepared bodies with
    # aiohttp (the simulator's own HTTP client) rather than through the httpx-based client.
    url = f"{sim_url}/api/v1/subaccounts/{SUBACCOUNT}/callflows"
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))

    async def place(number: str) -> None:
        nonlocal refused
        body = template.replace(PLACEHOLDER, number.removeprefix("+"))
        body = body[:-1] + f', "clientRequestId": "{uuid.uuid4().hex}"}}'
        try:
            async with http.post(url, data=body, headers=headers) as response:
                answer = await response.json()
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}: {answer}")
        except Exception as exc:  # noqa: BLE001 - a refused call is counted, the benchmark goes on
            refused += 1
            if refused == 1:
                print(f"  first refusal: {exc!r}"[:400], flush=True)
        else:
            sessions.append(str(answer["sessionId"]))

    try:
        for kind, path in ((WebhookType.VCA, "/webhooks/vca"), (WebhookType.VSS, "/webhooks/vss")):
            await client.create_webhook(kind, hook_url + path, http_auth_header=SECRET)
        began = time.monotonic()
        measure_from = began + warmup
        stop_at = measure_from + seconds
        base_done: int | None = None
        cpu_from: dict[str, float] = {}
        pending: set[asyncio.Task[None]] = set()
        done = 0
        while time.monotonic() < stop_at:
            done = counter.count()
            if base_done is None and time.monotonic() >= measure_from:
                base_done, measure_from = done, time.monotonic()
                cpu_from = cpu_now(pids)
            while sent - refused - done < in_flight and time.monotonic() < stop_at:
                number = number_of(sent)
                mix[" then ".join(SCRIPTS[sent % len(SCRIPTS)])] += 1
                sent += 1
                task = asyncio.create_task(place(number))
                pending.add(task)
                task.add_done_callback(pending.discard)
            await asyncio.sleep(0.01)
        window_end = time.monotonic()
        end_done = counter.count()
        cpu_to = cpu_now(pids)
        # Drain: no new calls; wait (bounded) for the ones in flight to end.
        if pending:
            await asyncio.wait(pending, timeout=10)
        deadline = time.monotonic() + drain
        while counter.count() < len(sessions) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    finally:
        counter.close()
        await client.aclose()
        await http.close()
    base = base_done or 0
    window = window_end - measure_from
    completed = end_done - base
    result = CallsResult(
        in_flight=in_flight,
        seconds=round(window, 2),
        sent=sent,
        completed_in_window=completed,
        calls_per_second=round(completed / window, 1) if window > 0 else 0.0,
        completed_total=0,
        not_completed=0,
        refused=refused,
        statuses={},
        cpu_pct={
            name: round(100 * (cpu_to[name] - cpu_from[name]) / window, 0)
            for name in cpu_to
            if name in cpu_from and window > 0
        },
        cpu_ms_per_call={
            name: round(1000 * (cpu_to[name] - cpu_from[name]) / completed, 3)
            for name in cpu_to
            if name in cpu_from and completed > 0
        },
        mix=dict(mix),
    )
    return result, sessions


def cpu_now(pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds used so far by each process (this one as "driver")."""
    used = {"driver": time.process_time()}
    for name, pid in pids.items():
        seconds = cpu_seconds(pid)
        if seconds is not None:
            used[name] = seconds
    return used


def verify(result: CallsResult, db_path: Path, sessions: list[str]) -> None:
    """Look every placed call up in the store through its public API: did its summary arrive?"""
    store = open_store(f"sqlite:///{db_path}")
    statuses: Counter[str] = Counter()
    try:
        for session_id in sessions:
            record = store.session(session_id)
            statuses[record.status if record is not None else "MISSING"] += 1
    finally:
        store.close()
    done = sum(n for status, n in statuses.items() if status not in ("MISSING", "IN_PROGRESS"))
    result.completed_total = done
    result.not_completed = len(sessions) - done
    result.statuses = dict(statuses)


def calls_bench(
    children: Children,
    workdir: Path,
    *,
    seconds: float,
    quick: bool,
    target: Callable[..., dict[str, Any]],
    in_flight: int = 100,
) -> dict[str, Any]:
    """The section: start both servers, drive calls, check every summary arrived."""
    print(
        f"== calls: ivrkit on core {SERVER_CPUS}, the simulator and this driver on core "
        f"{LOAD_CPUS}, {in_flight} calls in flight, {seconds:g} s =="
    )
    db_path = workdir / "calls.db"
    hook_url, hook_proc = start_webhook_server(children, workdir, db_path)
    sim_url, sim_proc = start_simulator(children, workdir)
    script_phones(sim_url)
    cores = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {int(LOAD_CPUS)})
    try:
        result, sessions = asyncio.run(
            drive(
                sim_url,
                hook_url,
                db_path,
                in_flight=in_flight,
                seconds=seconds,
                warmup=1 if quick else 2,
                drain=15,
                pids={"simulator": sim_proc.pid, "ivrkit": hook_proc.pid},
            )
        )
    finally:
        os.sched_setaffinity(0, cores)
    children.stop_all()
    verify(result, db_path, sessions)
    cpu = ", ".join(f"{name} {pct:.0f}%" for name, pct in result.cpu_pct.items())
    print(f"  calls placed        {result.sent} ({result.refused} refused by the simulator)")
    print(f"  summaries stored    {result.completed_total} ({result.not_completed} missing)")
    print(f"  session statuses    {result.statuses}")
    print(f"  keys pressed        {result.mix}")
    per_call = ", ".join(f"{name} {ms:.2f}" for name, ms in result.cpu_ms_per_call.items())
    print(f"  CPU (% of a core)   {cpu}")
    print(f"  CPU ms per call     {per_call}")
    print(
        f"  calls/s             {result.calls_per_second:.1f} "
        f"({result.completed_in_window} summaries in {result.seconds} s)"
    )
    targets = [
        target(
            "complete calls/s",
            result.calls_per_second,
            f">= {TARGET_CALLS_PER_S:g}",
            result.calls_per_second >= TARGET_CALLS_PER_S,
            f"{result.calls_per_second:,.0f}",
        ),
        target(
            "calls lost (placed, no summary stored)",
            result.not_completed,
            "0",
            result.not_completed == 0,
            f"{result.not_completed} of {len(sessions)}",
        ),
    ]
    failures = [f"{result.not_completed} calls without a stored summary"] * bool(
        result.not_completed
    )
    return {**result.as_json(), "targets": targets, "failures": failures}
