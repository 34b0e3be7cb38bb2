"""The simulated platform wired to a webhook server on loopback ports: one wiring for the demo,
the campaign demo, the ``ivr`` test harness and the dashboard's browser tests.

:class:`SimulatedPlatform` serves the simulator and points its VCA and VSS webhooks at a backend
(an ASGI app served here in a background thread, or the URL of a server that already runs),
registered through the (simulated) Voice API as a user would. :class:`Loopback` builds on it for
one tree: ivrkit's webhook server with a throwaway store, plus the platform.

>>> backend = create_app(tree, store=store, webhook_secret="s")
>>> with SimulatedPlatform(backend, webhook_secret="s") as platform:
...     place_callback(platform.client, tree, "+6512345678", store=store)
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Self

from starlette.types import ASGIApp

from ivrkit._serving import BackgroundServer, Started
from ivrkit.client import VoiceClient
from ivrkit.server import create_app
from ivrkit.server._switches import SWITCH_TTL, SWITCH_WAIT
from ivrkit.server._treeset import TreeSet
from ivrkit.simulator import SimulatorConfig, SimulatorControl, create_simulator
from ivrkit.store import Store, open_store
from ivrkit.trees import Tree, load_tree, resolve_flow

__all__ = [
    "API_KEY",
    "DEFAULT_API_KEY",
    "DEFAULT_SUBACCOUNT",
    "SUBACCOUNT",
    "WEBHOOK_SECRET",
    "Loopback",
    "SimulatedPlatform",
]

SUBACCOUNT = "ivrkit-testing"
API_KEY = "testing-key"
WEBHOOK_SECRET = "testing-webhook-secret"

DEFAULT_API_KEY = "ivrkit-local-key"
"""The API key the client uses when the simulator's config sets none (then any key passes)."""
DEFAULT_SUBACCOUNT = "ivrkit-local"
"""The subaccount the client uses when the simulator's config sets none (then any id exists)."""


class SimulatedPlatform(Started):
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


class Loopback(Started):
    """A simulated platform and ivrkit's webhook server for one tree, on loopback ports, with
    the webhooks registered: start it (or use it as a context manager), then place calls through
    :attr:`client` and script phones through :attr:`control`."""

    def __init__(
        self,
        tree: Tree | str | Path | None = None,
        *,
        legacy_dtmf: bool = False,
        webhook_secret: str = WEBHOOK_SECRET,
        simulator: SimulatorConfig | None = None,
        store_url: str | None = None,
        switch_ttl: float = SWITCH_TTL,
        switch_wait: float = SWITCH_WAIT,
        folder_prefix: str = "ivrkit-loopback-",
    ) -> None:
        if isinstance(tree, Tree):
            self._trees = TreeSet([tree])
        else:
            path = resolve_flow(tree)
            self._trees = TreeSet([load_tree(path)], paths=[path], loader=load_tree)
        self.tree = self._trees.default
        self._folder = tempfile.TemporaryDirectory(prefix=folder_prefix)
        folder = Path(self._folder.name)
        self.store: Store = open_store(store_url or f"sqlite:///{folder / 'ivrkit.db'}")
        config = simulator or SimulatorConfig(
            api_key=API_KEY, subaccount=SUBACCOUNT, legacy_dtmf=legacy_dtmf
        )
        backend = create_app(
            self._trees,
            store=self.store,
            webhook_secret=webhook_secret,
            spool=folder / "spool.jsonl",
            switch_ttl=switch_ttl,
            switch_wait=switch_wait,
        )
        self.platform = SimulatedPlatform(backend, config=config, webhook_secret=webhook_secret)

    @property
    def client(self) -> VoiceClient:
        """The Voice API client of the simulated account (once started)."""
        return self.platform.client

    @property
    def control(self) -> SimulatorControl:
        """The simulator's control API (once started)."""
        return self.platform.control

    def start(self) -> Self:
        self.platform.start()
        return self

    def stop(self) -> None:
        self.platform.stop()
        self.store.close()
        self._folder.cleanup()

    @property
    def platform_url(self) -> str:
        return self.platform.url

    @property
    def backend_url(self) -> str:
        return self.platform.backend_url

    def reload(self) -> list[str]:
        """Reload the tree from its file when the file changed, as ``ivrkit serve --reload``
        does: calls placed from now on get the new version, calls in progress keep theirs.
        Returns what was done, one line per tree (nothing for a tree given as an object)."""
        messages = self._trees.reload_changed()
        self.tree = self._trees.default
        return messages
