"""A tree's hook may block (an HTTP hook waits for its endpoint, a Python hook runs user code):
the server answers it in a worker thread, so other deliveries and /healthz are answered
meanwhile."""

from __future__ import annotations

import copy
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ivrkit._serving import BackgroundServer
from ivrkit.server import create_app
from ivrkit.store import Store
from ivrkit.trees import parse_tree
from tests.conftest import load_fixture

TREE = """\
name: hooked
entry: ask
nodes:
  ask:
    menu:
      prompt: Press 1 to check.
      capture: {{max_digits: 1}}
      routes: {{"1": check}}
  check:
    hook:
      url: {url}/check
      timeout: 20
      routes: {{found: found}}
      default: missing
  found:
    say: Found it.
  missing:
    say: Not found.
"""


def event(event_id: str) -> dict[str, Any]:
    body = copy.deepcopy(load_fixture("vca_dtmf_eventdata.json"))
    body["payload"].update(
        eventId=event_id, sessionId=f"s-{event_id}", eventData={"dtmf": "1"}, clientActionId="ask"
    )
    return body


@pytest.mark.e2e
def test_a_slow_http_hook_does_not_stall_other_deliveries(store: Store, tmp_path: Path) -> None:
    release = threading.Event()
    entered = threading.Event()

    async def check(request: Request) -> JSONResponse:
        entered.set()
        import anyio.to_thread

        await anyio.to_thread.run_sync(release.wait, 15)
        return JSONResponse({"result": "found"})

    hook_app = Starlette(routes=[Route("/check", check, methods=["POST"])])
    with BackgroundServer(hook_app) as hook_server:
        tree = parse_tree(TREE.format(url=hook_server.url))
        app = create_app(tree, store=store, spool=tmp_path / "spool.jsonl")
        with (
            BackgroundServer(app) as server,
            httpx.Client(base_url=server.url, timeout=10) as client,
        ):
            answers: list[httpx.Response] = []
            slow = threading.Thread(
                target=lambda: answers.append(client.post("/webhooks/vca", json=event("slow")))
            )
            slow.start()
            try:
                assert entered.wait(10), "the hook was never called"
                # The hook is still waiting: the server must answer meanwhile.
                with httpx.Client(base_url=server.url, timeout=5) as other:
                    assert other.get("/healthz").status_code == 200
                assert slow.is_alive(), "the hook's delivery was answered before its hook"
            finally:
                release.set()
                slow.join(20)
    assert answers and answers[0].status_code == 200
    assert "Found it." in answers[0].text
