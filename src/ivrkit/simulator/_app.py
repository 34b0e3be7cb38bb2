"""The simulator as one ASGI app (Voice API + control API), and the blocking runner the CLI uses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware

from ivrkit._interpreter import tune_for_serving
from ivrkit.simulator._account.scenario import PhoneScenario
from ivrkit.simulator._config import SimulatorConfig
from ivrkit.simulator._control.routes import control_routes
from ivrkit.simulator._limits import BodyLimit
from ivrkit.simulator._state import SimulatorState
from ivrkit.simulator._vendor.voice import voice_api_routes

__all__ = ["create_app", "run_simulator", "tune_interpreter"]


def create_app(config: SimulatorConfig | None = None) -> Starlette:
    """The simulated 8x8 Voice platform; ``app.state.simulator`` is its :class:`SimulatorState`."""
    state = SimulatorState(config or SimulatorConfig())

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await state.aclose()

    app = Starlette(
        routes=voice_api_routes(state) + control_routes(state),
        middleware=[Middleware(BodyLimit)],
        lifespan=lifespan,
    )
    app.state.simulator = state
    return app


def run_simulator(
    host: str = "127.0.0.1",
    port: int = 8700,
    *,
    speed: float | None = None,
    api_key: str | None = None,
    subaccount: str | None = None,
    trunk_capacity: int | None = None,
    rate_limit: float | None = None,
    rate_limit_burst: int | None = None,
    phones: PhoneScenario | None = None,
) -> None:
    """Serve the simulator until interrupted (blocking)."""
    config = SimulatorConfig(
        speed=speed,
        api_key=api_key,
        subaccount=subaccount,
        trunk_capacity=trunk_capacity,
        rate_limit=rate_limit,
        rate_limit_burst=rate_limit_burst,
        phones=phones,
    )
    app = create_app(config)
    tune_interpreter()  # once the settings are good: a refused one leaves the caller as it was
    uvicorn.run(app, host=host, port=port, log_level="info", lifespan="on")


def tune_interpreter() -> None:
    """Settings for a process that serves the simulator, as ``ivrkit serve`` has them (see
    :func:`ivrkit._interpreter.tune_for_serving`)."""
    tune_for_serving()
