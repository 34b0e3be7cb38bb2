"""One client shared by many threads (a campaign worker's senders), over real HTTP
to the simulator: the connections they open are kept for the next requests, never closed under
one (a pool that closed surplus keep-alive connections cut a request's socket now and then:
``ReadError: [Errno 9] Bad file descriptor``)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from starlette.types import Receive, Scope, Send

from ivrkit._serving import BackgroundServer
from ivrkit.campaigns._runner import SENDERS
from ivrkit.client import VoiceClient
from ivrkit.simulator import create_simulator
from ivrkit.wire import AnyAction, hangup, make_call

pytestmark = pytest.mark.e2e

ROUNDS = 6
"""Each sender sends this many calls, every sender in flight at once each round."""


class Connections:
    """The simulator, noting the client address of each request: one per TCP connection."""

    def __init__(self) -> None:
        self.app = create_simulator()
        self.seen: set[tuple[str, int]] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("client"):
            host, port = scope["client"]
            self.seen.add((host, port))
        await self.app(scope, receive, send)


@pytest.fixture
def served() -> Iterator[tuple[str, Connections]]:
    app = Connections()
    with BackgroundServer(app) as server:
        yield server.url, app


def callflow(sender: int, round: int) -> list[AnyAction]:
    return [make_call(source="6512345678", destination=f"+6591{sender:02d}{round:04d}"), hangup()]


def test_threads_sharing_a_client_reuse_its_connections(
    served: tuple[str, Connections],
) -> None:
    url, connections = served
    together = threading.Barrier(SENDERS)
    placed: list[str | None] = []

    def sender(n: int) -> None:
        for r in range(ROUNDS):
            together.wait(timeout=30)
            answer = client.send_callflow(callflow(n, r), client_request_id=f"c{n}-{r}")
            placed.append(answer.session_id)

    with VoiceClient("key", "acme", base_url=url, max_retries=0) as client:
        with ThreadPoolExecutor(SENDERS) as pool:
            list(pool.map(sender, range(SENDERS)))
    assert len(placed) == SENDERS * ROUNDS and all(placed)
    assert 0 < len(connections.seen) <= SENDERS
