"""The baseline of the webhook benchmark: a raw ASGI callable that reads the body and answers a
constant callflow (the same bytes ivrkit answers for the entry menu), so ivrkit's numbers can be
read as a fraction of what uvicorn alone does on this machine."""

from __future__ import annotations

from typing import Any

from ivrkit.trees import load_tree

ANSWER = load_tree().entry_callflow(None).to_json().encode()
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(ANSWER)).encode())]
HEALTH = b'{"status":"ok"}'
HEALTH_HEADERS = [(b"content-type", b"application/json"), (b"content-length", b"15")]


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
    body, headers = (HEALTH, HEALTH_HEADERS) if scope["path"] == "/healthz" else (ANSWER, HEADERS)
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
