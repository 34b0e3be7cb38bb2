"""Running the webhook server as `ivrkit serve` does: the served app assembled (the webhook server,
with the dashboard mounted beside it), run in this process or as several uvicorn worker processes
sharing one port (``workers > 1``), each building the same app from the same options.

The assembly lives here, above both the server and the dashboard: the server never imports the
dashboard, and the dashboard never imports the server.

Worker processes are started fresh (uvicorn spawns them), so the options travel to them as JSON in
the :data:`OPTIONS_VARIABLE` environment variable, and :func:`app_from_environment` builds each
worker's app. Idempotency and durability do not depend on a worker's memory: every answer waits
for its commit, and a repeated eventId that reaches another worker (or another machine) finds the
first answer in the store.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from ivrkit._http_protocol import (
    MAX_HEADER_BYTES,
    MAX_HEADER_BYTES_VARIABLE,
    READ_TIMEOUT,
    READ_TIMEOUT_VARIABLE,
    server_config,
)
from ivrkit._interpreter import tune_for_serving
from ivrkit._serving import check_bind
from ivrkit.dashboard import PREFIX, DashboardSettings, create_dashboard
from ivrkit.errors import ConfigError
from ivrkit.server import create_app
from ivrkit.server._committer import COMMIT_TIMEOUT
from ivrkit.server._metrics import MULTIPROC_ENV, prepare_metrics_dir
from ivrkit.server._treeset import TreeSet
from ivrkit.trees import Tree, load_tree, resolve_flow
from ivrkit.trees._model import TreeSpec
from ivrkit.trees._parse import MAX_TREE_BYTES

OPTIONS_VARIABLE = "IVRKIT_SERVE_OPTIONS"
"""Environment variable carrying :class:`ServeOptions` (JSON) to worker processes."""
PARENT_VARIABLE = "IVRKIT_SERVE_PARENT"
"""Environment variable carrying the pid of the process that supervises the workers."""
SHARED_DIR_VARIABLE = "IVRKIT_SERVE_SHARED_DIR"
"""Environment variable carrying the folder the workers of one server share (the dashboard's
login limit counts there; metrics have their own folder, whose every ``*.db`` file they read)."""
ORPHAN_GRACE = 10.0
"""Seconds a worker whose parent has died has to finish what is in flight before it exits."""
PR_SET_PDEATHSIG = 1

log = logging.getLogger("ivrkit.server")
MAX_WORKERS = 64


@dataclass(frozen=True, kw_only=True)
class ServeOptions:
    """Everything `ivrkit serve` was told, as plain values a worker process can rebuild from."""

    flows: list[str] = field(default_factory=lambda: ["simple_ivr"])
    db: str
    host: str = "127.0.0.1"
    port: int = 8080
    webhook_secret: str | None = None
    numbers: dict[str, str] = field(default_factory=dict)
    voice_profile: str | None = None
    max_tree_bytes: int = MAX_TREE_BYTES
    reload: bool = False
    durability: str = "commit"
    commit_timeout: float = COMMIT_TIMEOUT
    read_timeout: float = READ_TIMEOUT
    max_header_bytes: int = MAX_HEADER_BYTES
    """Largest request line plus headers read; past it 431 and the connection closes."""
    workers: int = 1
    log_level: str = "warning"
    access_log: bool = False
    dashboard: bool = True
    """Serve the web dashboard at /dashboard (on loopback binds, or with a token)."""
    dashboard_token: str | None = None
    show_numbers: bool = False
    dashboard_timezone: str = "UTC"

    def __post_init__(self) -> None:
        # A URL's form of an IPv6 address ([::1]) is not what a socket binds (::1).
        object.__setattr__(self, "host", self.host.strip().removeprefix("[").removesuffix("]"))
        if self.durability not in ("commit", "answer-first"):
            raise ConfigError(
                f"--durability takes 'commit' or 'answer-first', not {self.durability!r}"
            )
        if not 1 <= self.workers <= MAX_WORKERS:
            raise ConfigError(f"--workers takes 1 to {MAX_WORKERS}, not {self.workers}")
        if (
            self.workers > 1
            and self.db.startswith("sqlite://")
            and not self.db.startswith("sqlite:///")
        ):
            raise ConfigError(
                "--workers needs a store the workers share: a SQLite file or PostgreSQL, "
                "not an in-memory database"
            )

    @property
    def base_url(self) -> str:
        """``http://host:port``, an IPv6 address in brackets."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def check_bind(self) -> None:
        """Raise ConfigError, in one line, when ``host``:``port`` cannot be listened on
        (:func:`ivrkit._serving.check_bind`)."""
        check_bind(self.host, self.port, command="serve")

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServeOptions:
        return cls(**json.loads(text))


def load_trees(options: ServeOptions) -> TreeSet:
    """The trees to serve, each checked as `ivrkit lint` checks it (a failing tree is refused)."""

    def load(path: Path) -> Tree:
        return load_tree(
            path,
            numbers=options.numbers,
            voice_profile=options.voice_profile,
            max_bytes=options.max_tree_bytes,
        )

    def reload(path: Path) -> Tree:
        _load_apart(options, path)  # what a changed file does to a loader stays in a child
        return load(path)

    paths = [resolve_flow(name) for name in options.flows]
    return TreeSet([load(path) for path in paths], paths=paths, loader=reload)


RELOAD_CHECK_TIMEOUT = 20.0
"""Seconds a changed tree (with its calendars) may take to load in the checking process."""
RELOAD_CHECK_MEMORY = 2 * 1024**3
"""Address space the checking process may use (Linux): a calendar expanded without end stops
there, in the child, not in the server."""
_CHECK = """
import json, sys
try:
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[3]), int(sys.argv[3])))
except (ImportError, ValueError, OSError):
    pass
from ivrkit.errors import IvrkitError
from ivrkit.trees import load_tree
given = json.loads(sys.argv[2])
try:
    load_tree(sys.argv[1], numbers=given["numbers"], voice_profile=given["voice_profile"],
              max_bytes=given["max_tree_bytes"])
except MemoryError:
    sys.exit(f"loading it takes more than {int(sys.argv[3]) >> 20} MiB")
except IvrkitError as exc:
    sys.exit(str(exc))
except Exception as exc:
    sys.exit(f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}")
"""


def _load_apart(options: ServeOptions, path: Path) -> None:
    """Load the changed tree at ``path`` once in a process of its own, within
    :data:`RELOAD_CHECK_TIMEOUT` seconds and :data:`RELOAD_CHECK_MEMORY` bytes; ConfigError in
    one line when it fails, hangs or grows without end there (the server is never exposed)."""
    given = {
        "numbers": options.numbers,
        "voice_profile": options.voice_profile,
        "max_tree_bytes": options.max_tree_bytes,
    }
    argv = [sys.executable, "-c", _CHECK, str(path), json.dumps(given), str(RELOAD_CHECK_MEMORY)]
    try:
        done = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=RELOAD_CHECK_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ConfigError(
            f"{path} did not load within {RELOAD_CHECK_TIMEOUT:g} s (a calendar whose recurrence "
            "never ends?)"
        ) from exc
    except OSError as exc:
        raise ConfigError(f"could not check {path} apart: {exc}") from exc
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise ConfigError(
            f"{path} does not load: {lines[-1] if lines else f'exit {done.returncode}'}"
        )


def build_app(
    options: ServeOptions, trees: TreeSet | None = None, *, shared_dir: Path | None = None
) -> Starlette:
    """The app `ivrkit serve` serves: the webhook server, and unless ``options.dashboard`` is off
    the dashboard mounted beside it (see :func:`mount_dashboard`). ``shared_dir``: the folder the
    workers of this server share (their dashboards count failed logins there together)."""
    app = create_app(
        trees if trees is not None else load_trees(options),
        db=options.db,
        webhook_secret=options.webhook_secret,
        reload_interval=1.0 if options.reload else None,
        durability="answer-first" if options.durability == "answer-first" else "commit",
        commit_timeout=options.commit_timeout,
    )
    if options.dashboard:
        settings = DashboardSettings(
            host=options.host,
            token=options.dashboard_token,
            show_numbers=options.show_numbers,
            timezone=options.dashboard_timezone,
            login_limit_dir=shared_dir,
        )
        mount_dashboard(app, settings)
    return app


def mount_dashboard(app: Starlette, settings: DashboardSettings) -> Starlette:
    """Mount the dashboard on the webhook server ``app`` (made by
    :func:`~ivrkit.server.create_app`) at :data:`~ivrkit.dashboard.PREFIX`, reading the server's
    store and showing the trees it serves. It comes after every route of the server, and the
    server hands a webhook delivery to its pipeline before any routing: a delivery never passes
    through the dashboard. Its live feed is ``app.state.dashboard_feed`` (see
    :func:`close_streams_on_exit`)."""
    served: TreeSet = app.state.trees

    def tree_spec(name: str) -> TreeSpec | None:
        found = served.get(name)
        return found.spec if found is not None else None

    pages = create_dashboard(app.state.store, settings, trees=tree_spec)
    app.mount(PREFIX, pages)
    app.state.dashboard_feed = pages.state.dashboard.feed
    return app


def app_from_environment() -> Starlette:
    """The app of one worker process (uvicorn calls this factory in each worker)."""
    text = os.environ.get(OPTIONS_VARIABLE)
    if not text:
        raise ConfigError(f"{OPTIONS_VARIABLE} is not set: start workers with `ivrkit serve`")
    _die_with_parent(os.environ.get(PARENT_VARIABLE))
    tune_for_serving(switch_interval=0.0005)
    shared = os.environ.get(SHARED_DIR_VARIABLE)
    return build_app(ServeOptions.from_json(text), shared_dir=Path(shared) if shared else None)


def _die_with_parent(parent: str | None) -> None:
    """Make this worker stop when the process that started it dies (even by `kill -9`): workers
    left serving unsupervised would hold the port, and the next `ivrkit serve` would fail.
    On Linux the kernel sends SIGTERM at the parent's death (PR_SET_PDEATHSIG); everywhere a
    thread watches the parent's pid and does the same. SIGTERM is uvicorn's graceful stop (what
    is queued is committed); a worker still alive :data:`ORPHAN_GRACE` seconds later exits."""
    if not parent or not parent.isdigit():
        return
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        except (OSError, AttributeError):
            pass  # the watching thread below still does it
    watcher = threading.Thread(
        target=_watch_parent, args=(int(parent),), name="ivrkit-parent-watch", daemon=True
    )
    watcher.start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:  # also true when the parent died before prctl was set
        time.sleep(0.5)
    log.error("the process supervising this worker (pid %d) has gone: stopping", parent)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(ORPHAN_GRACE)
    os._exit(1)


def run(
    options: ServeOptions,
    trees: TreeSet | None = None,
    logging_options: dict[str, Any] | None = None,
) -> None:
    """Serve until interrupted: in this process, or as ``options.workers`` worker processes
    (their metrics summed in a shared folder, see :mod:`ivrkit.server._metrics`).
    ``logging_options`` are uvicorn's (``log_config``), from ``configure_logging``."""
    import uvicorn

    common: dict[str, Any] = {
        "host": options.host,
        "port": options.port,
        "read_timeout": options.read_timeout,
        "max_header_bytes": options.max_header_bytes,
        "log_level": options.log_level,
        "access_log": options.access_log,
        **(logging_options or {}),
    }
    if options.workers == 1:
        app = build_app(options, trees)
        tune_for_serving(switch_interval=0.0005)
        server = uvicorn.Server(server_config(app, **common))
        close_streams_on_exit(server, app)
        server.run()
        return
    metrics_dir = os.environ.get(MULTIPROC_ENV) or tempfile.mkdtemp(prefix="ivrkit-metrics-")
    prepare_metrics_dir(Path(metrics_dir))  # emptied, and inherited by every worker
    shared_dir = tempfile.mkdtemp(prefix="ivrkit-serve-")  # this server's workers only (0700)
    os.environ[SHARED_DIR_VARIABLE] = shared_dir
    os.environ[OPTIONS_VARIABLE] = options.to_json()
    os.environ[PARENT_VARIABLE] = str(os.getpid())
    os.environ[READ_TIMEOUT_VARIABLE] = str(options.read_timeout)
    os.environ[MAX_HEADER_BYTES_VARIABLE] = str(options.max_header_bytes)
    config = server_config(
        "ivrkit._launch:app_from_environment",
        factory=True,
        workers=options.workers,
        worker_protocol=True,
        **common,
    )
    from uvicorn.supervisors import Multiprocess

    try:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
    finally:
        shutil.rmtree(shared_dir, ignore_errors=True)


def close_streams_on_exit(server: Any, app: Starlette) -> None:
    """End the dashboard's live streams as soon as ``server`` (uvicorn) is told to stop: uvicorn
    waits for open responses before it stops, and a live stream never ends by itself."""
    feed = getattr(app.state, "dashboard_feed", None)
    if feed is None:
        return
    handle_exit = server.handle_exit

    def closing(sig: int, frame: Any) -> None:
        feed.close()
        handle_exit(sig, frame)

    server.handle_exit = closing
