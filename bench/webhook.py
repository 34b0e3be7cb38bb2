"""Part 1 of ``make bench``: webhook throughput and latency of ``ivrkit serve`` against a bare
ASGI app, both under one uvicorn worker, driven by wrk (or a Python load generator without it)."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
from procs import HOST, PYTHON, Children, clean_env, free_port, wait_healthy

BENCH_DIR = Path(__file__).resolve().parent
LUA_SCRIPT = BENCH_DIR / "wrk_vca.lua"
SECRET = "Bearer bench-webhook-secret"
VCA_PATH = "/webhooks/vca"


def spec_fixtures() -> Path:
    """The vendor's example payloads, the copy the tests use (tests/data/README.md)."""
    return BENCH_DIR.parent / "tests" / "data" / "fixtures"


def vca_template() -> str:
    """The vendor's CALL_ACTION example, routed to the entry menu, with placeholders for wrk."""
    event = json.loads((spec_fixtures() / "vca_dtmf_eventdata.json").read_text())
    payload = event["payload"]
    payload["clientActionId"] = "main"
    payload["eventId"] = "@EVENT@"
    payload["sessionId"] = "@SESSION@"
    payload["eventData"] = {"dtmf": "@DIGITS@"}
    return json.dumps(event, separators=(",", ":"))


def vca_body(template: str, event_id: str, session_id: str, digits: str) -> bytes:
    body = template.replace("@EVENT@", event_id).replace("@SESSION@", session_id)
    return body.replace("@DIGITS@", digits).encode()


@dataclass
class LoadResult:
    server: str
    tool: str
    connections: int
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    not_2xx: int
    socket_errors: int

    def as_json(self) -> dict[str, object]:
        return asdict(self)


# -- servers --------------------------------------------------------------------------------------


def ivrkit_command() -> str:
    """The ``ivrkit`` console script of the running interpreter's environment."""
    beside = Path(PYTHON).parent / "ivrkit"
    found = str(beside) if beside.exists() else shutil.which("ivrkit")
    if found is None:
        raise RuntimeError("the ivrkit command is not installed: pip install -e .")
    return found


def start_ivrkit(children: Children, workdir: Path) -> str:
    port = free_port()
    argv = [
        ivrkit_command(),
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--db",
        f"sqlite:///{workdir / 'bench.db'}",
        "--webhook-secret",
        SECRET,
    ]
    proc = children.start("ivrkit", argv, cwd=workdir, env=clean_env())
    url = f"http://{HOST}:{port}"
    wait_healthy(url + "/healthz", proc, children, "ivrkit")
    return url


def start_bare(children: Children, workdir: Path) -> str:
    port = free_port()
    argv = [
        PYTHON,
        "-m",
        "uvicorn",
        "--app-dir",
        str(BENCH_DIR),
        "bare_app:app",
        "--host",
        HOST,
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    proc = children.start("bare", argv, cwd=workdir, env=clean_env())
    url = f"http://{HOST}:{port}"
    wait_healthy(url + "/healthz", proc, children, "bare")
    return url


# -- load generators ------------------------------------------------------------------------------


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(
    server: str,
    url: str,
    body_file: Path,
    *,
    seconds: int,
    connections: int,
    threads: int = 2,
    log: Path | None = None,
) -> LoadResult:
    env = clean_env(WRK_BODY_FILE=str(body_file), WRK_AUTH=SECRET, WRK_RUN=uuid.uuid4().hex[:12])
    argv = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "5s",
        "--latency",
        "-s",
        str(LUA_SCRIPT),
        url + VCA_PATH,
    ]
    # wrk stops itself after -d; the timeout is a backstop, and run() kills it on any exit.
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=seconds + 30)
    if log is not None:
        log.write_text(done.stdout + done.stderr)
    match = re.search(r"^BENCH (\{.*\})$", done.stdout, re.MULTILINE)
    if done.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    data = json.loads(match.group(1))
    secs = data["duration_us"] / 1e6
    return LoadResult(
        server=server,
        tool="wrk",
        connections=connections,
        requests=data["requests"],
        seconds=round(secs, 2),
        rps=round(data["requests"] / secs, 1),
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        not_2xx=data["not_2xx"],
        socket_errors=data["socket_errors"] + data["timeouts"],
    )


def run_python_load(
    server: str, url: str, template: str, *, seconds: float, connections: int, limit: int = 20_000
) -> LoadResult:
    """The fallback without wrk: ``connections`` httpx workers for ``seconds`` or ``limit``
    requests. It shares the CPU with the servers, so its numbers are lower than wrk's."""
    latencies: list[float] = []
    not_2xx = errors = 0
    run = uuid.uuid4().hex[:12]

    async def worker(n: int, client: httpx.AsyncClient, stop_at: float) -> None:
        nonlocal not_2xx, errors
        i = 0
        digits = "12912"
        while time.monotonic() < stop_at and len(latencies) < limit:
            i += 1
            body = vca_body(template, f"{run}-{n}-{i}", f"bench-{n}-{i % 37}", digits[i % 5])
            began = time.perf_counter()
            try:
                response = await client.post(VCA_PATH, content=body)
            except httpx.TransportError:
                errors += 1
                continue
            latencies.append(time.perf_counter() - began)
            if not 200 <= response.status_code < 300:
                not_2xx += 1

    async def main() -> float:
        headers = {"Authorization": SECRET, "Content-Type": "application/json"}
        limits = httpx.Limits(max_connections=connections)
        async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits) as client:
            began = time.monotonic()
            stop_at = began + seconds
            await asyncio.gather(*(worker(n, client, stop_at) for n in range(connections)))
            return time.monotonic() - began

    elapsed = asyncio.run(main())
    latencies.sort()

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000, 3)

    return LoadResult(
        server=server,
        tool="python-httpx",
        connections=connections,
        requests=len(latencies),
        seconds=round(elapsed, 2),
        rps=round(len(latencies) / elapsed, 1),
        p50_ms=pct(0.50),
        p90_ms=pct(0.90),
        p99_ms=pct(0.99),
        max_ms=round(latencies[-1] * 1000, 3),
        not_2xx=not_2xx,
        socket_errors=errors,
    )


def check_pipeline(url: str, template: str) -> None:
    """One request by hand: the server must answer a routed callflow, so wrk measures real work."""
    body = vca_body(template, f"check-{uuid.uuid4().hex}", "bench-check", "1")
    headers = {"Authorization": SECRET, "Content-Type": "application/json"}
    response = httpx.post(url + VCA_PATH, content=body, headers=headers, timeout=5)
    if response.status_code != 200 or "callflow" not in response.text:
        raise RuntimeError(f"{url} answered {response.status_code}: {response.text[:300]}")
