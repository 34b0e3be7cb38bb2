"""The bare server of the webhook benchmark: a raw ASGI callable on uvicorn + uvloop + httptools
that reads the body and answers a constant callflow (the vendor's menu), so every other row can be
read against what the server stack alone does on this machine."""

from __future__ import annotations

from typing import Any

from ceiling_app import HEALTH, JSON, MENU

HEADERS = [JSON, (b"content-length", str(len(MENU)).encode())]
HEALTH_HEADERS = [JSON, (b"content-length", str(len(HEALTH)).encode())]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    body, headers = (HEALTH, HEALTH_HEADERS) if scope["path"] == "/healthz" else (MENU, HEADERS)
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
