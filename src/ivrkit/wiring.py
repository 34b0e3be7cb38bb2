"""The simulated platform wired to a webhook server on loopback ports: one wiring for the demo,
the ``ivr`` test harness and the dashboard's browser tests.

>>> backend = create_app(tree, store=store, webhook_secret="s")
>>> with SimulatedPlatform(backend, webhook_secret="s") as platform:
...     place_callback(platform.client, tree, "+6512345678", store=store)

The backend is an ASGI app (served here, in a background thread) or the URL of a server that
already runs (``ivrkit serve`` in another process). The simulator's VCA and VSS webhooks point
at the backend's ``/webhooks/vca`` and ``/webhooks/vss``, registered through the (simulated)
Voice API as a user would; ``client`` places calls, ``control`` scripts phones and reads
transcripts.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Self

from starlette.types import ASGIApp

from ivrkit.client import VoiceClient
from ivrkit.serving import BackgroundServer
from ivrkit.simulator import SimulatorConfig, SimulatorControl
from ivrkit.simulator import create_app as create_simulator

__all__ = ["DEFAULT_API_KEY", "DEFAULT_SUBACCOUNT", "SimulatedPlatform"]

DEFAULT_API_KEY = "ivrkit-local-key"
"""The API key the client uses when the simulator's config sets none (then any key passes)."""
DEFAULT_SUBACCOUNT = "ivrkit-local"
"""The subaccount the client uses when the simulator's config sets none (then any id exists)."""


class SimulatedPlatform:
    """The simulator on a free loopback port with its webhooks pointed at ``backend``."""

    def __init__(
        self,
        backend: ASGIApp | str,
        *,
        config: SimulatorConfig | None = None,
        webhook_secret: str | None = None,
        webhooks: Sequence[str] = ("VCA", "VSS"),
    ) -> None:
        self.config = config or SimulatorConfig()
        self.api_key = self.config.api_key or DEFAULT_API_KEY
        self.subaccount = self.config.subaccount or DEFAULT_SUBACCOUNT
        self._platform = BackgroundServer(create_simulator(self.config))
        self._backend = None if isinstance(backend, str) else BackgroundServer(backend)
        self._backend_url = backend.rstrip("/") if isinstance(backend, str) else None
        self._secret = webhook_secret
        self._webhooks = tuple(webhooks)
        self._client: VoiceClient | None = None
        self._control: SimulatorControl | None = None

    @property
    def url(self) -> str:
        """The simulated platform's base URL (its Voice API and ``/sim/v1``)."""
        return self._platform.url

    @property
    def backend_url(self) -> str:
        return self._backend_url or (self._backend.url if self._backend else "")

    @property
    def client(self) -> VoiceClient:
        """A Voice API client of the simulated account (started platforms only)."""
        if self._client is None:
            raise RuntimeError("start the simulated platform first")
        return self._client

    @property
    def control(self) -> SimulatorControl:
        """The simulator's control API (started platforms only)."""
        if self._control is None:
            raise RuntimeError("start the simulated platform first")
        return self._control

    def start(self) -> Self:
        """Serve the simulator (and the backend app), then register the webhooks."""
        try:
            self._platform.start()
            if self._backend is not None:
                self._backend.start()
            self._client = VoiceClient(self.api_key, self.subaccount, base_url=self.url)
            self._control = SimulatorControl(self.url)
            for kind in self._webhooks:
                self._client.create_webhook(
                    kind,
                    f"{self.backend_url}/webhooks/{kind.lower()}",
                    http_auth_header=self._secret,
                )
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Close the clients and stop both servers (safe to call twice)."""
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._control is not None:
            self._control.close()
            self._control = None
        if self._backend is not None:
            self._backend.stop()
        self._platform.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
