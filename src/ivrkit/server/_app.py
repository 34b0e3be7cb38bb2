"""The ASGI webhook server: `POST /webhooks/vca`, `POST /webhooks/vss` (and any other
`/webhooks/{type}`), `GET /healthz`, `GET /readyz`, `GET /metrics`.

:func:`create_app` opens what the server needs (store, spool, committer, pipeline) and returns a
:class:`WebhookApp`, whose methods are the handlers."""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from ivrkit import rules
from ivrkit._config import DEFAULT_DB
from ivrkit.server import _readiness as readiness
from ivrkit.server._body import MAX_BODY_BYTES
from ivrkit.server._committer import COMMIT_TIMEOUT, Committer
from ivrkit.server._metrics import CONTENT_TYPE, ServerMetrics
from ivrkit.server._pipeline import JSON, Durability, WebhookPipeline
from ivrkit.server._reloading import Watcher
from ivrkit.server._spool import Spool
from ivrkit.server._switches import SWITCH_TTL, SWITCH_WAIT, SwitchReader
from ivrkit.server._treeset import TreeSet
from ivrkit.store import Store, open_store
from ivrkit.store._versions import TreeVersions
from ivrkit.trees import Tree, load_tree
from ivrkit.trees._observers import OBSERVERS, tell

log = logging.getLogger("ivrkit.server")


def create_app(
    tree: Tree | Sequence[Tree] | TreeSet | None = None,
    *,
    store: Store | None = None,
    db: str = DEFAULT_DB,
    webhook_secret: str | None = None,
    spool: Path | None = None,
    platform: rules.Platform | None = None,
    max_body: int = MAX_BODY_BYTES,
    reload_interval: float | None = None,
    durability: Durability = "commit",
    commit_timeout: float = COMMIT_TIMEOUT,
    metrics_dir: Path | None = None,
    switch_ttl: float = SWITCH_TTL,
    switch_wait: float = SWITCH_WAIT,
) -> Starlette:
    """The webhook server for ``tree`` (the built-in simple IVR by default), or for several
    trees (the first is the default; see :class:`TreeSet` for how one is chosen).

    Pass a ``store`` to share one (tests, the demo); otherwise ``db`` is opened and closed with
    the app. With ``reload_interval`` (seconds) the trees' files are watched and reloaded when
    they change; a changed file that fails its checks leaves the running tree in place. Every
    version served is kept in the store: a call keeps being answered by the version it started
    on, after a reload, a restart, or on another replica on the same store.
    Every answer waits for its delivery's commit (``durability="answer-first"`` opts out for
    trees without session variables); a commit that has not come back within
    ``commit_timeout`` seconds is spooled to disk instead: to ``spool``, else to the store's own
    :attr:`~ivrkit.store.Store.spool_path`.

    ``GET /metrics`` shows this process's metrics; with ``metrics_dir`` (or
    ``PROMETHEUS_MULTIPROC_DIR`` set) it writes them there and shows the sum over every
    process writing there (workers on one port; the parent prepares the directory with
    :func:`~ivrkit.server._metrics.prepare_metrics_dir`).

    Trees that branch on calendars obey the emergency switches (``ivrkit closed on``) read from
    the store at most every ``switch_ttl`` seconds; an answer waits at most ``switch_wait``
    seconds for that read (see :mod:`ivrkit.server._switches`).

    Returns the ASGI app (a :class:`WebhookApp`; Starlette): its ``state`` holds the ``store``,
    the ``trees``, the ``pipeline`` and the ``metrics`` it serves with. Other apps are mounted
    after its routes (``app.mount(path, other)``: `ivrkit serve` mounts
    the dashboard so); a webhook delivery is handed to the pipeline before any routing, so it
    never passes through them.
    """
    trees = as_tree_set(tree)
    if OBSERVERS:  # route coverage counts the routes of every tree served, taken or not
        for served in filter(None, map(trees.get, trees.names())):
            tell(served.spec, served.version, ())
    owns_store = store is None
    active_store = store if store is not None else open_store(db)
    try:
        trees.attach(TreeVersions(active_store))  # kept before they answer anything
    except BaseException:
        if owns_store:
            active_store.close()
        raise
    spool_file = Spool(spool or active_store.spool_path)
    metrics = ServerMetrics(metrics_dir)
    committer = Committer(active_store, spool_file, commit_timeout=commit_timeout, metrics=metrics)
    pipeline = WebhookPipeline(
        trees,
        active_store,
        secret=webhook_secret,
        spool=spool_file,
        platform=platform,
        max_body=max_body,
        committer=committer,
        durability=durability,
        metrics=metrics,
        switches=SwitchReader.of_store(active_store, ttl=switch_ttl, wait=switch_wait),
    )
    return WebhookApp(
        pipeline,
        committer,
        spool=spool_file,
        metrics=metrics,
        owns_store=owns_store,
        reload_interval=reload_interval,
    )


class WebhookApp(Starlette):
    """The webhook server as an ASGI app: every webhook delivery is handed straight from
    :meth:`__call__` to the pipeline (no router, no middleware, no request object: the pipeline
    answers every failure itself); ``/healthz``, ``/readyz``, ``/metrics`` and whatever is
    mounted after them go through Starlette's routing."""

    def __init__(
        self,
        pipeline: WebhookPipeline,
        committer: Committer,
        *,
        spool: Spool,
        metrics: ServerMetrics,
        owns_store: bool,
        reload_interval: float | None,
    ) -> None:
        self.pipeline = pipeline
        self.committer = committer
        self.trees = pipeline.trees
        self.store = pipeline.store
        self.spool = spool
        self.server_metrics = metrics
        self.owns_store = owns_store
        self.reload_interval = reload_interval
        self.watcher = Watcher(self.trees, reload_interval) if reload_interval else None
        self.stopped: str | None = None
        """Why the server's lifespan has ended (its store closed), or None."""
        routes: list[BaseRoute] = [
            # POSTs are served by __call__ before any routing; listed so that other methods get
            # a 405 and other channels' tree paths a 404.
            Route("/webhooks/{channel:str}", self.webhook, methods=["POST"]),
            Route("/webhooks/{channel:str}/{flow:str}", self.webhook, methods=["POST"]),
            Route("/healthz", self.healthz, methods=["GET"]),
            Route("/readyz", self.readyz, methods=["GET"]),
            Route("/metrics", self.metrics, methods=["GET"]),
        ]
        super().__init__(routes=routes, lifespan=self.lifespan)
        self.state.pipeline = pipeline
        self.state.metrics = self.server_metrics
        self.state.store = self.store
        self.state.trees = self.trees
        self.state.tree = self.trees.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The webhook entry: a POST to a webhook path goes to the pipeline, the rest to routing."""
        if scope["type"] == "http" and scope["method"] == "POST":
            path: str = scope["path"]
            root: str = scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root) :]
            route = webhook_route(path)
            if route is not None:
                await self.pipeline(scope, receive, send, *route)
                return
        await super().__call__(scope, receive, send)

    async def webhook(self, request: Request) -> Response:
        """A webhook path that :meth:`__call__` did not take: a method other than POST gets the
        router's 405 before this; a POST here names a tree under a channel that has none
        (``/webhooks/{channel}/{flow}`` for a channel other than vca and vss)."""
        return Response(status_code=404)

    def failure(self) -> str | None:
        """Why this server cannot keep what it answers (its committer, store or watcher has
        stopped), or None: ``/healthz`` and ``/readyz`` both answer 503 with it."""
        if self.stopped is not None:
            return self.stopped
        if self.watcher is not None and self.watcher.failure is not None:
            return self.watcher.failure
        return self.committer.failure()

    async def healthz(self, request: Request) -> Response:
        spool, committer, trees = self.spool, self.committer, self.trees
        spooled, quarantined = await anyio.to_thread.run_sync(
            lambda: (spool.pending(), spool.quarantined())
        )
        failure = self.failure()
        problems = [failure] if failure else []
        if committer.stalled:
            problems.append("the store has not committed for longer than the commit timeout")
        elif committer.failing:
            problems.append("the store failed a commit and has not committed since")
        if spooled:
            problems.append(f"{spooled} deliveries wait in the spool for the store")
        slow_reload = self.watcher.slow if self.watcher is not None else None
        if slow_reload:
            problems.append(slow_reload)
        status = "failed" if failure else "degraded" if problems else "ok"
        body = {
            "status": status,
            "problems": problems,
            "flows": trees.names(),
            "versions": {tree.name: tree.version for tree in trees.current()},
            "pid": os.getpid(),
            "spooledDeliveries": spooled,
            "quarantinedDeliveries": quarantined,
            **committer.health(),
        }
        unhealthy = failure is not None or committer.stalled or committer.failing
        return Response(json.dumps(body), status_code=503 if unhealthy else 200, media_type=JSON)

    async def readyz(self, request: Request) -> Response:
        problem = self.failure() or await readiness.check(self.store)
        body = {"status": "ready" if problem is None else "not-ready", "problem": problem}
        return Response(json.dumps(body), status_code=503 if problem else 200, media_type=JSON)

    async def metrics(self, request: Request) -> Response:
        self.server_metrics.queued(self.committer.queued)
        page = await anyio.to_thread.run_sync(self.server_metrics.render)
        return Response(page, media_type=CONTENT_TYPE)

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        """Start the committer and replay the spool; at the end, write what is queued and close
        the store (if the server opened it)."""
        committer = self.committer
        try:
            await anyio.to_thread.run_sync(committer.start)
            replayed = await anyio.to_thread.run_sync(self.pipeline.replay_spool)
        except BaseException:
            await anyio.to_thread.run_sync(committer.stop)
            self._close_store()
            raise
        if replayed:
            log.warning("replayed %d spooled deliveries into the store", replayed)
        quarantined = self.spool.quarantined()
        if quarantined:
            log.error(
                "%d deliveries the store refused are kept in %s",
                quarantined,
                self.spool.quarantine_path,
            )
        try:
            async with anyio.create_task_group() as tasks:
                if self.watcher is not None:
                    tasks.start_soon(self.watcher.run)
                try:
                    yield
                finally:
                    tasks.cancel_scope.cancel()
        finally:
            self.stopped = "the server is stopping: its committer and store are closed"
            # Outside the cancelled task group, and shielded: what is queued must be written.
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(committer.stop)
            self._close_store()

    def _close_store(self) -> None:
        if self.owns_store:
            self.store.close()


PREFIX = "/webhooks/"


def webhook_route(path: str) -> tuple[str, str | None] | None:
    """(channel, tree name) of a webhook path: ``/webhooks/vca``, ``/webhooks/vca/{flow}``,
    ``/webhooks/vss[/{flow}]``, ``/webhooks/{channel}``; None for anything else."""
    if not path.startswith(PREFIX):
        return None
    channel, slash, flow = path[len(PREFIX) :].partition("/")
    if not channel:
        return None
    if not slash:
        return channel[:16], None
    if channel in ("vca", "vss") and flow and "/" not in flow:
        return channel, flow
    return None


def as_tree_set(tree: Tree | Sequence[Tree] | TreeSet | None) -> TreeSet:
    if isinstance(tree, TreeSet):
        return tree
    if tree is None:
        return TreeSet([load_tree()])
    if isinstance(tree, Tree):
        return TreeSet([tree])
    return TreeSet(list(tree))
