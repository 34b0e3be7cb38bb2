"""A backend written the way the vendor's guide writes it (plain Starlette, raw dicts, fixture
answers), a running simulator, and a helper that wires the two over real HTTP."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Generator, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ivrkit._serving import BackgroundServer
from ivrkit.simulator import SessionView, SimulatorConfig, SimulatorControl, create_simulator
from tests.conftest import load_fixture

SUB = "acme_voice"
SECRET = "Basic c2ltOnNlY3JldA=="
CUSTOMER = "+6512345678"
AGENT = "+6561115777"


@dataclass
class Backend:
    """Answers VCA by digit (1 → hangup, 2 → bridge, else repeat the menu) and stores events."""

    vca: list[dict[str, Any]] = field(default_factory=list)
    vss: list[dict[str, Any]] = field(default_factory=list)
    vcs: list[dict[str, Any]] = field(default_factory=list)
    vru: list[dict[str, Any]] = field(default_factory=list)
    auth: list[str | None] = field(default_factory=list)
    fail_first: int = 0
    always_fail: bool = False
    answer: Any = None
    """When set, every VCA gets exactly this JSON answer (bytes: sent as they are)."""
    action_ids: bool = False
    """Tag each answer with clientActionId "menu-<n>"."""
    delay: float = 0.0
    """Real seconds every VCA answer takes (a slow backend)."""

    def reset(self) -> None:
        self.vca.clear()
        self.vss.clear()
        self.vcs.clear()
        self.vru.clear()
        self.auth.clear()
        self.fail_first = 0
        self.always_fail = False
        self.answer = None
        self.action_ids = False
        self.delay = 0.0

    async def on_vca(self, request: Request) -> Response:
        body = await request.json()
        self.vca.append(body)
        self.auth.append(request.headers.get("authorization"))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.always_fail or self.fail_first > 0:
            self.fail_first -= 1
            return JSONResponse({"error": "backend down"}, status_code=500)
        if isinstance(self.answer, bytes):
            return Response(self.answer, media_type="application/json")
        if self.answer is not None:
            return JSONResponse(self.answer)
        payload = body["payload"]
        event_data = payload.get("eventData") or {}
        dtmf = event_data.get("dtmf") if "dtmf" in event_data else payload.get("dtmf")
        if dtmf == "1":
            answer = load_fixture("vca_response_simple_ivr_dtmf1_hangup.json")
        elif dtmf == "2":
            answer = load_fixture("vca_response_simple_ivr_dtmf2_connect_call.json")
        else:
            answer = load_fixture("vca_response_simple_ivr_dtmf_other_repeat_menu.json")
        if self.action_ids:
            answer["clientActionId"] = f"menu-{len(self.vca)}"
        return JSONResponse(answer)

    async def on_vss(self, request: Request) -> Response:
        self.vss.append(await request.json())
        self.auth.append(request.headers.get("authorization"))
        return JSONResponse({"status": "ok"})

    async def on_vcs(self, request: Request) -> Response:
        self.vcs.append(await request.json())
        return JSONResponse({"status": "ok"})

    async def on_vru(self, request: Request) -> Response:
        self.vru.append(await request.json())
        return JSONResponse({"status": "ok"})

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/vca", self.on_vca, methods=["POST"]),
                Route("/vss", self.on_vss, methods=["POST"]),
                Route("/vcs", self.on_vcs, methods=["POST"]),
                Route("/vru", self.on_vru, methods=["POST"]),
            ]
        )


@dataclass
class World:
    """A simulator and a backend, wired: REST client, control client, backend records."""

    url: str
    backend_url: str
    backend: Backend
    api: httpx.Client
    ctl: SimulatorControl

    def register(self, kind: str, path: str, **extra: Any) -> httpx.Response:
        body = {"type": kind, "url": self.backend_url + path, **extra}
        response = self.api.post("/webhooks", json=body)
        assert response.status_code == 200, response.text
        return response

    def send(self, body: Any) -> httpx.Response:
        return self.api.post("/callflows", json=body)

    def call(self, body: Any | None = None, timeout: float = 10.0) -> SessionView:
        """Place the guide's callback (or ``body``) and wait for the session to end."""
        response = self.send(body or load_fixture("request_simple_ivr_initial.json"))
        assert response.status_code == 200, response.text
        return self.ctl.wait_for_end(response.json()["sessionId"], timeout=timeout)

    def summary(self, session_id: str) -> dict[str, Any]:
        found = [e for e in self.backend.vss if e["payload"]["sessionId"] == session_id]
        assert len(found) == 1, f"expected one summary, got {len(found)}"
        return found[0]


def wait_until(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


@pytest.fixture(scope="session")
def backend_server() -> Iterator[tuple[Backend, str]]:
    backend = Backend()
    with BackgroundServer(backend.app()) as server:
        yield backend, server.url


@pytest.fixture(scope="session")
def sim_url() -> Iterator[str]:
    with BackgroundServer(create_simulator(SimulatorConfig())) as server:
        yield server.url


@contextmanager
def clients(sim: str) -> Iterator[tuple[httpx.Client, SimulatorControl]]:
    """A REST client of the subaccount and a control client of the simulator at ``sim``."""
    with (
        httpx.Client(base_url=f"{sim}/api/v1/subaccounts/{SUB}", timeout=10) as api,
        SimulatorControl(sim) as ctl,
    ):
        yield api, ctl


def make_world(
    sim: str,
    backend_server: tuple[Backend, str],
    clients_of_sim: tuple[httpx.Client, SimulatorControl] | None = None,
) -> Generator[World, None, None]:
    """A reset simulator with the backend's webhooks registered; ``clients_of_sim``: the
    clients of :func:`clients` to use (else made for this world)."""
    backend, backend_url = backend_server
    backend.reset()
    with ExitStack() as stack:
        api, ctl = clients_of_sim or stack.enter_context(clients(sim))
        ctl.reset()
        world = World(sim, backend_url, backend, api, ctl)
        world.register("VCA", "/vca", httpAuthHeader=SECRET)
        world.register("VSS", "/vss", httpAuthHeader=SECRET)
        yield world


@pytest.fixture(scope="session")
def sim_clients(sim_url: str) -> Iterator[tuple[httpx.Client, SimulatorControl]]:
    """The clients of the session's simulator, made once: an httpx client costs some 20 ms of
    CPU to make (its TLS context), as much as many of the tests that use a world."""
    with clients(sim_url) as made:
        yield made


@pytest.fixture
def world(
    sim_url: str,
    backend_server: tuple[Backend, str],
    sim_clients: tuple[httpx.Client, SimulatorControl],
) -> Iterator[World]:
    yield from make_world(sim_url, backend_server, sim_clients)


@pytest.fixture
def serve_sim() -> Iterator[Any]:
    """Start extra simulators with their own config for one test."""
    servers: list[BackgroundServer] = []

    def start(config: SimulatorConfig) -> str:
        server = BackgroundServer(create_simulator(config)).start()
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        server.stop()
