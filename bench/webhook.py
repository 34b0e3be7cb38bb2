"""The webhook section of ``make bench``: req/s and latency of each server, seen from outside.

Each server runs pinned to core 0 (``taskset -c 0``) and the load generator to core 1, so the
generator never takes the server's core. The load is the traffic of bench/traffic.py (whole calls:
unique eventIds and sessionIds, a new customer and caller number per call, keys 1/2/3 and wrong
keys, a SESSION_SUMMARY ending each call), sent by wrk with 16 connections, or by the Python
generator where wrk is missing. Each server gets a warm-up run (its own ids, not counted), then
the measured run. A server with a store is then checked: every delivery answered with a 2xx must
be in it (bench/stored.py), or the run fails.
"""

from __future__ import annotations

import json
import re
import resource
import shutil
import subprocess
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx
import stored
import traffic
from procs import HOST, PYTHON, Children, clean_env, free_port, tree_cpu_seconds, wait_healthy

BENCH_DIR = Path(__file__).resolve().parent
LUA_SCRIPT = BENCH_DIR / "wrk_traffic.lua"
TOPIC_TREE = BENCH_DIR / "simple_ivr_topic.yaml"
SECRET = "Bearer bench-webhook-secret"
SERVER_CPUS = "0"
LOAD_CPUS = "1"
CONNECTIONS = 16

TARGET_OF_CEILING = 0.50
TARGET_P99_TIMES_CEILING = 2.0
TARGET_TIMES_FLASK_INSERT = 3.0


@dataclass
class LoadResult:
    generator: str
    connections: int
    requests: int
    sent: int
    sent_vca: int
    sent_vss: int
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
    load_cpu_pct: float = 0.0
    """CPU the load generator used, in % of one core: near 100 %, it was the limit."""
    stored: dict[str, int] = field(default_factory=dict)
    stored_ok: bool | None = None
    """Every 2xx-answered delivery found in the store (None: the server stores nothing)."""
    stored_note: str = ""

    def as_json(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class Postgres:
    """A PostgreSQL server the benchmark may make schemas in (each dropped after its row)."""

    admin_url: str

    def create_schema(self) -> str:
        import psycopg

        name = f"ivrkit_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{name}"')
        return name

    def drop_schema(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')

    def url_for(self, schema: str) -> str:
        from sqlalchemy.engine import make_url

        url = make_url(self.admin_url).update_query_dict({"options": f"-csearch_path={schema}"})
        return url.render_as_string(hide_password=False)


def _nothing() -> None:
    return None


@dataclass
class Running:
    url: str
    pid: int
    count: Callable[[str], dict[str, int]] | None
    """Rows carrying a run marker, per table; None for a server without a store."""
    cleanup: Callable[[], None] = _nothing


@dataclass(frozen=True)
class Server:
    """One row of the table: which server, on which store."""

    name: str
    kind: str  # bare, ceiling, flask, flask+insert, ivrkit
    store: str | None = None  # None, "sqlite" or "postgres"
    flow: Path | None = None

    def start(self, children: Children, workdir: Path, postgres: Postgres | None) -> Running:
        port = free_port()
        pinned = ["taskset", "-c", SERVER_CPUS]
        slug = re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-")
        env = clean_env()
        count: Callable[[str], dict[str, int]] | None = None
        cleanup: Callable[[], None] = _nothing
        schema: str | None = None
        if self.store == "postgres":
            assert postgres is not None
            schema = postgres.create_schema()
            pg, made = postgres, schema
            count = lambda marker: stored.count_postgres(pg.admin_url, made, marker)  # noqa: E731
            cleanup = lambda: pg.drop_schema(made)  # noqa: E731
        db_file = workdir / f"{slug}.db"
        if self.store == "sqlite":
            count = lambda marker: stored.count_sqlite(db_file, marker)  # noqa: E731
        if self.kind in ("bare", "ceiling"):
            argv = pinned + [PYTHON, "-m", "uvicorn", "--app-dir", str(BENCH_DIR)]
            argv += [f"{self.kind}_app:app", "--loop", "uvloop", "--http", "httptools"]
            argv += ["--host", HOST, "--port", str(port), "--log-level", "warning"]
            argv += ["--no-access-log"]
            env["BENCH_AUTH"] = SECRET
            if self.kind == "ceiling" and postgres is not None and schema is not None:
                env["BENCH_CEILING_DB"] = postgres.admin_url
                env["BENCH_CEILING_SCHEMA"] = schema
            elif self.kind == "ceiling":
                env["BENCH_CEILING_DB"] = str(db_file)
        elif self.kind in ("flask", "flask+insert"):
            argv = pinned + [str(Path(PYTHON).parent / "gunicorn"), "--workers", "1"]
            argv += ["--worker-class", "sync", "--chdir", str(BENCH_DIR)]
            argv += ["--bind", f"{HOST}:{port}", "--log-level", "warning", "flask_app:app"]
            if self.kind == "flask+insert":
                env["BENCH_FLASK_DB"] = str(db_file)
        else:
            # `ivrkit serve` with its defaults; a store and a webhook secret, as in production.
            db_url = f"sqlite:///{db_file}"
            if postgres is not None and schema is not None:
                db_url = postgres.url_for(schema)
            argv = pinned + [ivrkit_command(), "serve", "--host", HOST, "--port", str(port)]
            argv += ["--db", db_url, "--webhook-secret", SECRET]
            if self.flow is not None:
                argv += ["--flow", str(self.flow)]
        try:
            proc = children.start(slug, argv, cwd=workdir, env=env)
            url = f"http://{HOST}:{port}"
            wait_healthy(url + "/healthz", proc, children, slug)
        except BaseException:
            cleanup()
            raise
        return Running(url, proc.pid, count, cleanup)


def servers(postgres: bool) -> list[Server]:
    """The rows, in the order they run; ivrkit right after the ceiling of its store."""
    rows = [
        Server("bare ASGI", "bare"),
        Server("Flask", "flask"),
        Server("Flask + insert", "flask+insert", "sqlite"),
        Server("ceiling SQLite", "ceiling", "sqlite"),
        Server("ivrkit SQLite", "ivrkit", "sqlite"),
        Server("ivrkit SQLite + variable", "ivrkit", "sqlite", TOPIC_TREE),
    ]
    if postgres:
        rows += [
            Server("ceiling PostgreSQL", "ceiling", "postgres"),
            Server("ivrkit PostgreSQL", "ivrkit", "postgres"),
            Server("ivrkit PostgreSQL + variable", "ivrkit", "postgres", TOPIC_TREE),
        ]
    return rows


def ivrkit_command() -> str:
    """The ``ivrkit`` console script of the running interpreter's environment."""
    beside = Path(PYTHON).parent / "ivrkit"
    found = str(beside) if beside.exists() else shutil.which("ivrkit")
    if found is None:
        raise RuntimeError("the ivrkit command is not installed: pip install -e .")
    return found


def generator() -> str:
    return "wrk" if shutil.which("wrk") else "python"


def run_load(
    url: str,
    workdir: Path,
    *,
    seconds: float,
    connections: int = CONNECTIONS,
    run: str,
    server_pid: int | None = None,
    log: Path | None = None,
) -> LoadResult:
    """One load run with run id ``run`` (every id sent starts with it), pinned to core 1."""
    pinned = ["taskset", "-c", LOAD_CPUS]
    tool = generator()
    if tool == "wrk":
        env = clean_env(WRK_AUTH=SECRET, **traffic.wrk_environment(run, workdir))
        argv = pinned + ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s"]
        argv += ["--timeout", "5s", "--latency", "-s", str(LUA_SCRIPT), url]
    else:
        env = clean_env()
        port = url.rsplit(":", 1)[1]
        argv = pinned + [PYTHON, str(BENCH_DIR / "traffic.py"), HOST, port, SECRET, run]
        argv += [str(seconds), str(connections)]
    cpu_before = tree_cpu_seconds(server_pid) if server_pid is not None else 0.0
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    # The generator stops itself; the timeout is a backstop (run() kills it on any exit).
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=seconds + 60)
    cpu = tree_cpu_seconds(server_pid) - cpu_before if server_pid is not None else 0.0
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    load_cpu = (children_after.ru_utime - children_before.ru_utime) + (
        children_after.ru_stime - children_before.ru_stime
    )
    if log is not None:
        log.write_text(done.stdout + done.stderr)
    match = re.search(r"^BENCH (\{.*\})$", done.stdout, re.MULTILINE)
    if done.returncode != 0 or match is None:
        raise RuntimeError(f"{tool} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    data = json.loads(match.group(1))
    secs = data["duration_us"] / 1e6
    return LoadResult(
        generator=tool,
        connections=connections,
        requests=data["requests"],
        sent=data["sent"],
        sent_vca=data["sent_vca"],
        sent_vss=data["sent_vss"],
        seconds=round(secs, 2),
        rps=round(data["requests"] / secs, 1) if secs else 0.0,
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        not_2xx=data["not_2xx"],
        socket_errors=data["socket_errors"] + data["timeouts"],
        cpu_us_per_request=round(cpu * 1e6 / data["requests"], 1) if data["requests"] else 0.0,
        load_cpu_pct=round(100 * load_cpu / secs, 1) if secs else 0.0,
    )


def check_answers(url: str) -> None:
    """One call by hand before the load: each key must get a callflow and the summary a 2xx,
    so the load measures real answers, not errors."""
    model = traffic.Traffic(f"check{uuid.uuid4().hex[:8]}", 0, active=1)
    headers = {"Authorization": SECRET, "Content-Type": "application/json"}
    for _ in range(3):  # a call of one key: a CALL_ACTION, then its summary; the next call
        delivery = model.next()
        response = httpx.post(url + delivery.path, content=delivery.body, headers=headers)
        ok = response.status_code == 200 and (delivery.kind == "vss" or "callflow" in response.text)
        if not ok:
            raise RuntimeError(
                f"{url}{delivery.path} answered {response.status_code}: {response.text[:300]}"
            )


def measure(
    server: Server,
    children: Children,
    workdir: Path,
    postgres: Postgres | None,
    *,
    seconds: float,
    warmup: float,
) -> LoadResult:
    """Start ``server``, warm it up, measure it, count what it stored, stop it."""
    running = server.start(children, workdir, postgres)
    try:
        check_answers(running.url)
        run_id = f"w{uuid.uuid4().hex[:10]}"
        run_load(running.url, workdir, seconds=warmup, run=run_id)
        run_id = f"m{uuid.uuid4().hex[:10]}"
        slug = run_id + "-" + re.sub(r"[^a-z0-9]+", "-", server.name.lower())
        result = run_load(
            running.url,
            workdir,
            seconds=seconds,
            run=run_id,
            server_pid=running.pid,
            log=workdir / f"load-{slug}.txt",
        )
        children.stop_all()  # a clean stop: whatever was in flight is committed or refused
        if running.count is not None:
            result.stored = running.count(run_id)
            acknowledged = result.requests - result.not_2xx
            result.stored_ok, result.stored_note = stored.check(
                result.stored, acknowledged, result.sent
            )
        return result
    finally:
        children.stop_all()
        running.cleanup()
