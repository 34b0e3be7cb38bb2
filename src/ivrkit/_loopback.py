"""A simulated Voice platform and ivrkit's webhook server for one tree, started together on
loopback ports with a throwaway store: the wiring the ``ivr`` pytest fixture and the campaign
demo stand on."""

from __future__ import annotations

import tempfile
from pathlib import Path
from types import TracebackType
from typing import Self

from ivrkit._serving import BackgroundServer
from ivrkit.client import VoiceClient
from ivrkit.server import create_app
from ivrkit.server._switches import SWITCH_TTL, SWITCH_WAIT
from ivrkit.server._treeset import TreeSet
from ivrkit.simulator import SimulatorConfig, SimulatorControl, create_simulator
from ivrkit.store import Store, open_store
from ivrkit.trees import Tree, load_tree, resolve_flow

__all__ = ["API_KEY", "SUBACCOUNT", "WEBHOOK_SECRET", "Loopback"]

SUBACCOUNT = "ivrkit-testing"
API_KEY = "testing-key"
WEBHOOK_SECRET = "testing-webhook-secret"


class Loopback:
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
        self._platform = BackgroundServer(create_simulator(config))
        self._backend = BackgroundServer(
            create_app(
                self._trees,
                store=self.store,
                webhook_secret=webhook_secret,
                spool=folder / "spool.jsonl",
                switch_ttl=switch_ttl,
                switch_wait=switch_wait,
            )
        )
        self._secret = webhook_secret
        self._api_key = config.api_key or API_KEY
        self._subaccount = config.subaccount or SUBACCOUNT
        self.client: VoiceClient | None = None
        self.control: SimulatorControl = SimulatorControl("http://127.0.0.1")

    def start(self) -> Self:
        self._platform.start()
        self._backend.start()
        self.client = VoiceClient(self._api_key, self._subaccount, base_url=self._platform.url)
        self.control = SimulatorControl(self._platform.url)
        for kind in ("VCA", "VSS"):
            self.client.create_webhook(
                kind, f"{self._backend.url}/webhooks/{kind.lower()}", http_auth_header=self._secret
            )
        return self

    def stop(self) -> None:
        if self.client is not None:
            self.client.close()
        self.control.close()
        self._backend.stop()
        self._platform.stop()
        self.store.close()
        self._folder.cleanup()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def platform_url(self) -> str:
        return self._platform.url

    @property
    def backend_url(self) -> str:
        return self._backend.url

    def reload(self) -> list[str]:
        """Reload the tree from its file when the file changed, as ``ivrkit serve --reload``
        does: calls placed from now on get the new version, calls in progress keep theirs.
        Returns what was done, one line per tree (nothing for a tree given as an object)."""
        messages = self._trees.reload_changed()
        self.tree = self._trees.default
        return messages
