"""The ASGI app: the webhook paths served directly, everything else through Starlette's router."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from ivrkit.server import create_app
from ivrkit.store import Store
from ivrkit.trees import load_tree
from tests.server.test_webhooks import vca_event


def post_all(app: Any, requests: list[tuple[str, str, Any]]) -> list[httpx.Response]:
    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ivr") as client:
            return [await client.request(m, path, json=body) for m, path, body in requests]

    try:
        return asyncio.run(run())
    finally:
        app.state.pipeline.committer.stop()


def test_webhook_paths_do_not_go_through_the_router(store: Store, tmp_path: Path) -> None:
    app = create_app(load_tree(), store=store, spool=tmp_path / "spool.jsonl")

    async def no_router(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError(f"{scope['path']} went through the router")

    app.router = no_router  # type: ignore[assignment]
    app.middleware_stack = None
    answered = post_all(app, [("POST", "/webhooks/vca", vca_event("1", event_id="e-1"))])
    assert answered[0].status_code == 200
    assert answered[0].json()["callflow"][0]["action"] == "hangup"
    assert store.find_answered("e-1") is not None, "answered before it was stored"


def test_direct_and_routed_paths_answer_alike(store: Store, tmp_path: Path) -> None:
    app = create_app(load_tree(), store=store, spool=tmp_path / "spool.jsonl")
    direct, routed, wrong_method, other = post_all(
        app,
        [
            ("POST", "/webhooks/vca", vca_event("2", event_id="e-1")),
            ("POST", "/webhooks/vca/simple_ivr", vca_event("2", event_id="e-2")),
            ("GET", "/webhooks/vca", None),
            ("POST", "/webhooks/other", {"eventType": "SOMETHING_NEW"}),
        ],
    )
    assert direct.status_code == routed.status_code == 200
    assert direct.content == routed.content
    assert direct.headers["content-type"] == routed.headers["content-type"]
    assert wrong_method.status_code == 405
    assert other.status_code == 200
