"""Part 2 of ``make bench``: complete simulated calls per second through the whole loop.

The simulator (one process, time at "max") places each call, plays the tree's menu, presses the
scripted keys, sends CALL_ACTION webhooks to ``ivrkit serve`` (another process) and finally the
SESSION_SUMMARY. A call counts when its summary is in ivrkit's store. This process only sends
Send Callflow requests, keeping ``in_flight`` calls going, and counts summaries in the store.
"""

from __future__ import annotations

import asyncio
import json
import pstats
import sqlite3
import subprocess
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import aiohttp
from procs import HOST, PYTHON, Children, clean_env, cpu_seconds, free_port, wait_healthy
from webhook import BENCH_DIR, SECRET, ivrkit_command

from ivrkit import rules
from ivrkit.client import AsyncVoiceClient
from ivrkit.simulator import SimulatorControl
from ivrkit.store import open_store, schema
from ivrkit.trees import load_tree
from ivrkit.wire import WebhookType

API_KEY = "bench-api-key"
SUBACCOUNT = "bench_sub"

PHONE_MIX: tuple[tuple[list[str], int], ...] = (
    (["1"], 6),  # resolved: the tree hangs up
    (["9", "1"], 2),  # a wrong key, the menu again, then resolved
    (["2"], 2),  # to the agent: a second leg is dialled and bridged
)
"""(keys per capture prompt, weight): which phones the calls go to."""


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
    mix: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return asdict(self)


def start_simulator(
    children: Children, workdir: Path, profile: Path | None = None, name: str = "simulator"
) -> tuple[str, subprocess.Popen[bytes]]:
    """The simulator in its own process; with ``profile``, cProfile stats land there on stop."""
    port = free_port()
    argv = [PYTHON, str(BENCH_DIR / "simulator.py"), "--port", str(port), "--api-key", API_KEY]
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
    argv = [ivrkit_command(), "serve", "--host", HOST, "--port", str(port)]
    # `serve` as shipped: every answer waits for its delivery's commit.
    argv += ["--db", f"sqlite:///{db_path}", "--webhook-secret", SECRET]
    proc = children.start("ivrkit-calls", argv, cwd=workdir, env=clean_env())
    url = f"http://{HOST}:{port}"
    wait_healthy(url + "/healthz", proc, children, "ivrkit-calls")
    return url, proc


def phone_numbers() -> list[tuple[str, list[str]]]:
    """One customer number per phone, weighted by :data:`PHONE_MIX`."""
    phones = []
    for group, (keys, weight) in enumerate(PHONE_MIX):
        for i in range(weight):
            phones.append((f"+65912{group}{i:02d}00", keys))
    return phones


def script_phones(sim_url: str, phones: list[tuple[str, list[str]]]) -> None:
    with SimulatorControl(sim_url) as sim:
        for number, keys in phones:
            sim.set_phone(number, press=keys)


class SummaryCounter:
    """Counts the summaries in ivrkit's SQLite store from outside, read-only (WAL readers never
    block the server's writer)."""

    def __init__(self, db_path: Path) -> None:
        self._db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        self._query = f"SELECT count(*) FROM {schema.summaries.name}"
        self._before = self._total()

    def _total(self) -> int:
        return int(self._db.execute(self._query).fetchone()[0])

    def count(self) -> int:
        """Summaries stored since this counter was made."""
        return self._total() - self._before

    def close(self) -> None:
        self._db.close()


async def drive(
    sim_url: str,
    hook_url: str,
    db_path: Path,
    phones: list[tuple[str, list[str]]],
    *,
    in_flight: int,
    seconds: float,
    warmup: float,
    drain: float,
    pids: dict[str, int],
) -> tuple[CallsResult, list[str]]:
    tree = load_tree()
    # Every request is the tree's entry menu for one of a few numbers: checked once here, so the
    # client need not check it again for every call.
    requests = {number: tree.initial_request(number) for number, _keys in phones}
    for request in requests.values():
        rules.check(request, mode=rules.Mode.REQUEST)
    numbers = [number for number, _keys in phones]
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
    bodies = {number: request.to_wire() for number, request in requests.items()}
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))

    async def place(number: str) -> None:
        nonlocal refused
        body = json.dumps({**bodies[number], "clientRequestId": uuid.uuid4().hex})
        try:
            async with http.post(url, data=body, headers=headers) as response:
                answer = await response.json()
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}: {answer}")
        except Exception:  # noqa: BLE001 - a refused call is counted, the benchmark goes on
            refused += 1
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
                number = numbers[sent % len(numbers)]
                mix[number] += 1
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
    result = CallsResult(
        in_flight=in_flight,
        seconds=round(window, 2),
        sent=sent,
        completed_in_window=end_done - base,
        calls_per_second=round((end_done - base) / window, 1) if window > 0 else 0.0,
        completed_total=0,
        not_completed=0,
        refused=refused,
        statuses={},
        cpu_pct={
            name: round(100 * (cpu_to[name] - cpu_from[name]) / window, 0)
            for name in cpu_to
            if name in cpu_from and window > 0
        },
        mix=dict(Counter(keys_of(phones, n) for n in mix.elements())),
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


def keys_of(phones: list[tuple[str, list[str]]], number: str) -> str:
    return next(" then ".join(keys) for n, keys in phones if n == number)


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


def top_functions(profile: Path, count: int = 15) -> list[dict[str, object]]:
    """The ``count`` functions with the most own time in a cProfile dump."""
    stats = pstats.Stats(str(profile))
    total = sum(entry[2] for entry in stats.stats.values())  # type: ignore[attr-defined]
    rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)  # type: ignore[attr-defined]
    top = []
    for (filename, line, name), (_cc, calls, own, cumulative, _callers) in rows[:count]:
        where = short_path(filename)
        top.append(
            {
                "function": f"{name} ({where}:{line})" if line else name,
                "calls": calls,
                "own_s": round(own, 3),
                "own_pct": round(100 * own / total, 1) if total else 0.0,
                "cumulative_s": round(cumulative, 3),
            }
        )
    return top


def short_path(filename: str) -> str:
    for marker in ("site-packages/", "/src/", "/lib/python3"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename
