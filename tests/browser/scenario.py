"""The world the browser tests look at: the simulated platform (in this process) and `ivrkit serve`
(a child process, dashboard token set) on loopback ports, sharing one SQLite store, and calls
placed through them with known key presses.

The expected figures come from the simulator's own record of each call (its transcript), never
from the store the dashboard reads: see :mod:`tests.browser.expected`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from ivrkit._callback import place_callback
from ivrkit._loopback import SimulatedPlatform
from ivrkit._serving import Started
from ivrkit.client import VoiceClient
from ivrkit.simulator import SessionView, SimulatorConfig, SimulatorControl
from ivrkit.simulator._calls.transcript import WebhookSent
from ivrkit.store import Store, open_store
from ivrkit.trees import Tree, load_tree
from tests.serve_process import ServeProcess

API_KEY = "browser-key"
SUBACCOUNT = "ivrkit-browser"
WEBHOOK_SECRET = "browser-webhook-secret"
TOKEN = "browser-dashboard-token-0123456789"
FLOW = "simple_ivr"
CALL_TIMEOUT = 60.0


@dataclass(frozen=True)
class Script:
    """What one customer's phone does when the IVR calls it back."""

    number: str
    press: tuple[str, ...] = ()
    answer: str = "yes"
    hangup_after: float | None = None
    hangup_during_prompt: int | None = None
    meant: str = ""
    """The category the call is meant to end in (contained, transferred, abandoned, failed)."""


# One call of each kind a caller can make in the simple IVR (flows/simple_ivr.yaml: 1 resolves,
# 2 transfers to the agent, anything else or nothing replays the menu). Numbers differ in their
# last four digits, the part a masked number keeps.
CALLS: tuple[Script, ...] = (
    # resolved at once (twice), an agent, an invalid key then resolved, silence then hanging up,
    # hanging up during the menu, an invalid key then hanging up, a busy line
    Script("+6512341001", press=("1",), meant="contained"),
    Script("+6512341002", press=("1",), meant="contained"),
    Script("+6512342003", press=("2",), hangup_after=40, meant="transferred"),
    Script("+6512343004", press=("9", "1"), meant="contained"),
    Script("+6512344005", press=("", "", ""), hangup_after=60, meant="abandoned"),
    Script("+6512345006", hangup_during_prompt=1, meant="abandoned"),
    Script("+6512346007", press=("7",), hangup_after=20, meant="abandoned"),
    Script("+6512347008", answer="busy", meant="failed"),
)
CROWD: tuple[Script, ...] = tuple(
    Script(f"+65123480{n:02d}", press=("1",), meant="contained") for n in range(24)
)
"""Callers who resolve at once: with them the sessions fill more than one page (25 a page)."""


def serve_process(
    db_url: str, workdir: Path, *, token: str | None = TOKEN, show_numbers: bool = False
) -> ServeProcess:
    """`ivrkit serve` of the simple IVR with the webhook secret, the dashboard token set."""
    options = ["--flow", FLOW, "--webhook-secret", WEBHOOK_SECRET]
    if show_numbers:
        options.append("--show-numbers")
    env = {"IVRKIT_DASHBOARD_TOKEN": token} if token is not None else {}
    return ServeProcess(*options, db=db_url, cwd=workdir, env=env)


@dataclass
class Placed:
    """A call placed through the scenario, and the simulator's record of it once it ended."""

    script: Script
    session_id: str
    view: SessionView | None = field(default=None)


class Scenario(Started):
    """The simulator, `ivrkit serve` with the dashboard and a SQLite store in ``folder``."""

    def __init__(self, folder: Path, *, show_numbers: bool = False) -> None:
        self.folder = folder
        self.db_url = f"sqlite:///{folder / 'ivrkit.db'}"
        self.tree: Tree = load_tree(FLOW)
        self.serve = serve_process(self.db_url, folder, show_numbers=show_numbers)
        config = SimulatorConfig(api_key=API_KEY, subaccount=SUBACCOUNT)
        self.platform = SimulatedPlatform(
            self.serve.url, config=config, webhook_secret=WEBHOOK_SECRET
        )
        self.control = SimulatorControl("http://127.0.0.1")
        self.client: VoiceClient | None = None
        self._store: Store | None = None
        self.calls: list[Placed] = []

    @property
    def dashboard(self) -> str:
        return self.serve.url + "/dashboard"

    def start(self) -> Self:
        self.serve.start()
        self.platform.start()
        # The outbound request is recorded the way `ivrkit call` records it: straight in the
        # store the server writes too.
        self._store = open_store(self.db_url)
        self.control = self.platform.control
        self.client = self.platform.client
        return self

    def stop(self) -> None:
        self.control.close()
        self.platform.stop()
        if self._store is not None:
            self._store.close()
        self.serve.stop()

    def place(self, script: Script, *, live: bool = False) -> Placed:
        """Call ``script.number`` back; ``live``: its keys come from :meth:`press` instead."""
        assert self.client is not None and self._store is not None, "start the scenario first"
        phone: dict[str, Any] = {
            "answer": script.answer,
            "press": list(script.press),
            "hangup_after": script.hangup_after,
            "hangup_during_prompt": script.hangup_during_prompt,
        }
        if live:
            phone = {"answer": script.answer, "stepped": True}
        self.control.set_phone(script.number, **phone)
        response = place_callback(self.client, self.tree, script.number, store=self._store)
        assert response.session_id, f"the simulator gave no session id for {script.number}"
        placed = Placed(script, response.session_id)
        self.calls.append(placed)
        return placed

    def press(self, placed: Placed, digits: str) -> None:
        self.control.press(placed.session_id, digits, then_silence=True)

    def finish(self, placed: Placed, timeout: float = CALL_TIMEOUT) -> SessionView:
        """Wait until the call ended and the server answered its summary (so it is stored:
        the server answers a summary only once it is committed); the simulator's record."""
        view = self.control.wait_for_end(placed.session_id, timeout=timeout)
        if not _summary_answered(view):
            raise AssertionError(
                f"call {placed.session_id} to {placed.script.number} ended, but the server never "
                "answered its summary with 200"
            )
        placed.view = view
        return view

    def run(self, scripts: tuple[Script, ...] = CALLS + CROWD) -> list[Placed]:
        """Place every call, then wait for all of them to end."""
        placed = [self.place(script) for script in scripts]
        for call in placed:
            self.finish(call)
        return placed


def _summary_answered(view: SessionView) -> bool:
    return any(
        isinstance(entry, WebhookSent) and entry.type == "VSS" and entry.status == 200
        for entry in view.entries
    )
