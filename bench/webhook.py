"""Part 1 of ``make bench``: webhook throughput and latency as an outsider measures them.

Every server runs pinned to core 0 (``taskset -c 0``) and wrk to core 1, so the load generator
never takes the server's core; ``--workers 2`` rows give the server both cores and wrk shares
them. Each server gets a 2 s warm-up that is not counted, then 8 s measured at 16 connections
and 8 s at 1. Every request is a CALL_ACTION with an eventId never sent before (the warm-up
included), cycling the digits 1, 2 and 3 so every path of the menu runs.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
from procs import HOST, PYTHON, Children, clean_env, free_port, tree_cpu_seconds, wait_healthy

BENCH_DIR = Path(__file__).resolve().parent
LUA_SCRIPT = BENCH_DIR / "wrk_vca.lua"
TOPIC_TREE = BENCH_DIR / "simple_ivr_topic.yaml"
SECRET = "Bearer bench-webhook-secret"
VCA_PATH = "/webhooks/vca"
SERVER_CPUS = "0"
LOAD_CPUS = "1"
BOTH_CPUS = "0,1"


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
    cpu_us_per_request: float = 0.0
    """Server CPU time (every process of it) per request answered: what one request costs,
    whatever else the machine was doing."""

    def as_json(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Server:
    """One server of the table: how to start it, and on which cores it and wrk run."""

    name: str
    kind: str  # bare, flask or ivrkit
    cpus: str = SERVER_CPUS
    load_cpus: str = LOAD_CPUS
    flow: Path | None = None
    workers: int = 1
    durability: str | None = None
    single: bool = True
    """Measure at 1 connection too."""

    def argv(self, port: int, workdir: Path) -> list[str]:
        pinned = ["taskset", "-c", self.cpus]
        if self.kind == "bare":
            return pinned + [
                PYTHON,
                "-m",
                "uvicorn",
                "--app-dir",
                str(BENCH_DIR),
                "bare_app:app",
                "--loop",
                "uvloop",
                "--http",
                "httptools",
                "--host",
                HOST,
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--no-access-log",
            ]
        if self.kind == "flask":
            gunicorn = str(Path(PYTHON).parent / "gunicorn")
            return pinned + [
                gunicorn,
                "--workers",
                "1",
                "--worker-class",
                "sync",
                "--chdir",
                str(BENCH_DIR),
                "--bind",
                f"{HOST}:{port}",
                "--log-level",
                "warning",
                "flask_app:app",
            ]
        # `ivrkit serve` with its defaults: a SQLite file, a webhook secret, commit before answer.
        argv = pinned + [
            ivrkit_command(),
            "serve",
            "--host",
            HOST,
            "--port",
            str(port),
            "--db",
            f"sqlite:///{workdir / (self.name.replace(' ', '_') + '.db')}",
            "--webhook-secret",
            SECRET,
        ]
        if self.flow is not None:
            argv += ["--flow", str(self.flow)]
        if self.workers != 1:
            argv += ["--workers", str(self.workers)]
        if self.durability is not None:
            argv += ["--durability", self.durability]
        return argv

    def start(self, children: Children, workdir: Path) -> tuple[str, int]:
        """Start the server; its URL and process id (taskset execs the server in place)."""
        port = free_port()
        proc = children.start(self.name, self.argv(port, workdir), cwd=workdir, env=clean_env())
        url = f"http://{HOST}:{port}"
        wait_healthy(url + "/healthz", proc, children, self.name)
        return url, proc.pid


def ivrkit_command() -> str:
    """The ``ivrkit`` console script of the running interpreter's environment."""
    beside = Path(PYTHON).parent / "ivrkit"
    found = str(beside) if beside.exists() else shutil.which("ivrkit")
    if found is None:
        raise RuntimeError("the ivrkit command is not installed: pip install -e .")
    return found


def missing_tools() -> list[str]:
    return [tool for tool in ("wrk", "taskset") if shutil.which(tool) is None]


def run_wrk(
    url: str,
    body_file: Path,
    *,
    seconds: int,
    connections: int,
    cpus: str,
    threads: int = 1,
    log: Path | None = None,
    server_pid: int | None = None,
) -> LoadResult:
    env = clean_env(WRK_BODY_FILE=str(body_file), WRK_AUTH=SECRET, WRK_RUN=uuid.uuid4().hex[:12])
    argv = ["taskset", "-c", cpus, "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s"]
    argv += ["--timeout", "5s", "--latency", "-s", str(LUA_SCRIPT), url + VCA_PATH]
    cpu_before = tree_cpu_seconds(server_pid) if server_pid is not None else 0.0
    # wrk stops itself after -d; the timeout is a backstop, and run() kills it on any exit.
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=seconds + 30)
    cpu = tree_cpu_seconds(server_pid) - cpu_before if server_pid is not None else 0.0
    if log is not None:
        log.write_text(done.stdout + done.stderr)
    match = re.search(r"^BENCH (\{.*\})$", done.stdout, re.MULTILINE)
    if done.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    data = json.loads(match.group(1))
    secs = data["duration_us"] / 1e6
    return LoadResult(
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
        cpu_us_per_request=round(cpu * 1e6 / data["requests"], 1) if data["requests"] else 0.0,
    )


def check_answers(url: str, template: str) -> None:
    """One request per digit by hand: each must be a callflow, so wrk measures real work."""
    headers = {"Authorization": SECRET, "Content-Type": "application/json"}
    for digit in "123":
        body = vca_body(template, f"check-{uuid.uuid4().hex}", "bench-check", digit)
        response = httpx.post(url + VCA_PATH, content=body, headers=headers, timeout=5)
        if response.status_code != 200 or "callflow" not in response.text:
            raise RuntimeError(f"{url} answered {response.status_code}: {response.text[:300]}")
