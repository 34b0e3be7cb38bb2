"""The ASGI webhook server: `POST /webhooks/vca`, `POST /webhooks/vss` (and any other
`/webhooks/{type}`), `GET /healthz`."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ivrkit import rules
from ivrkit.server.body import MAX_BODY_BYTES
from ivrkit.server.spool import Spool
from ivrkit.server.webhooks import WebhookPipeline
from ivrkit.store import Store, open_store
from ivrkit.trees import Tree, load_tree

log = logging.getLogger("ivrkit.server")


def spool_path_for(db_url: str) -> Path:
    """Where summaries go when the store refuses them: beside a SQLite file, else the cwd."""
    if db_url.startswith("sqlite:///") and len(db_url) > len("sqlite:///"):
        return Path(db_url.removeprefix("sqlite:///")).with_suffix(".spool.jsonl")
    return Path("ivrkit-summaries.spool.jsonl")


def create_app(
    tree: Tree | None = None,
    *,
    store: Store | None = None,
    db: str = "sqlite:///ivrkit.db",
    webhook_secret: str | None = None,
    spool: Path | None = None,
    platform: rules.Platform | None = None,
    max_body: int = MAX_BODY_BYTES,
) -> Starlette:
    """The webhook server for ``tree`` (the built-in simple IVR by default).

    Pass a ``store`` to share one (tests, the demo); otherwise ``db`` is opened and closed with
    the app.
    """
    tree = tree or load_tree()
    owns_store = store is None
    active_store = store if store is not None else open_store(db)
    pipeline = WebhookPipeline(
        tree,
        active_store,
        secret=webhook_secret,
        spool=Spool(spool or spool_path_for(db)),
        platform=platform,
        max_body=max_body,
    )

    async def vca(request: Request) -> Response:
        return await pipeline.handle(request, "vca")

    async def vss(request: Request) -> Response:
        return await pipeline.handle(request, "vss")

    async def other(request: Request) -> Response:
        return await pipeline.handle(request, str(request.path_params["channel"])[:16])

    async def healthz(request: Request) -> Response:
        spooled = pipeline.spool.pending() if pipeline.spool else 0
        body = {"status": "ok", "flow": tree.name, "spooledSummaries": spooled}
        return Response(json.dumps(body), media_type="application/json")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        replayed = pipeline.replay_spool()
        if replayed:
            log.warning("replayed %d spooled summaries into the store", replayed)
        try:
            yield
        finally:
            if owns_store:
                active_store.close()

    app = Starlette(
        routes=[
            Route("/webhooks/vca", vca, methods=["POST"]),
            Route("/webhooks/vss", vss, methods=["POST"]),
            Route("/webhooks/{channel:str}", other, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.pipeline = pipeline
    app.state.store = active_store
    app.state.tree = tree
    return app
