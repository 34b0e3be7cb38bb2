"""`ivrkit demo`: the simple IVR of the vendor's guide, end to end, on one laptop.

A simulated Voice platform and ivrkit's webhook server start on free loopback ports with a
throwaway SQLite store (or the store given, which then keeps the calls: ``ivrkit replay`` can
play them again against a changed tree); the webhooks are registered through the (simulated)
Voice API; the guide's callback is placed three times, with phones that press 1, 2, and 9 then
1; each call is told as a transcript, then the sessions the store recorded are listed. Every
call is checked against what the simple IVR promises.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ivrkit._callback import place_callback
from ivrkit._loopback import SimulatedPlatform
from ivrkit._narrate import NarratedLine, narrate, summary_line
from ivrkit.client import VoiceClient
from ivrkit.server import create_app
from ivrkit.simulator import SessionView, SimulatorConfig, SimulatorControl
from ivrkit.simulator._calls.transcript import LegChanged, Spoken
from ivrkit.store import SessionRecord, Store, open_store
from ivrkit.trees import Tree, load_tree

CUSTOMER = "+6512345678"
AGENT = "+6561115777"
SUBACCOUNT = "ivrkit-demo"
API_KEY = "demo-key"
WEBHOOK_SECRET = "demo-webhook-secret"


@dataclass(frozen=True)
class Scenario:
    title: str
    presses: list[str]
    expect: Callable[[SessionView, SessionRecord | None], list[str]]
    """Problems with the call (empty when it did what the simple IVR says)."""


def _spoken(view: SessionView) -> list[str]:
    return [entry.text for entry in view.entries if isinstance(entry, Spoken)]


def _common(
    view: SessionView,
    record: SessionRecord | None,
    digits: list[str],
    status: str,
    last_action: str,
    call_count: int,
) -> list[str]:
    problems: list[str] = []
    if view.summary is None:
        return ["the platform sent no session summary"]
    payload = view.summary.payload
    if payload.session_status != status:
        problems.append(f"session status {payload.session_status}, expected {status}")
    if payload.last_action != last_action:
        problems.append(f"last action {payload.last_action}, expected {last_action}")
    if payload.call_count != call_count:
        problems.append(f"{payload.call_count} legs, expected {call_count}")
    if record is None:
        problems.append("the store has no record of the session")
    else:
        if record.digits != digits:
            problems.append(f"store recorded digits {record.digits}, expected {digits}")
        if record.status != status:
            problems.append(f"store recorded status {record.status}, expected {status}")
    return problems


def _resolved(view: SessionView, record: SessionRecord | None) -> list[str]:
    return _common(view, record, ["1"], "COMPLETED", "HANGUP", 1)


def _agent(view: SessionView, record: SessionRecord | None) -> list[str]:
    problems = _common(view, record, ["2"], "COMPLETED", "MAKE_CALL", 2)
    bridged = [e for e in view.entries if isinstance(e, LegChanged) and e.event == "bridged"]
    if not bridged:
        problems.append("the caller was never bridged to the agent")
    return problems


def _repeat_then_resolved(view: SessionView, record: SessionRecord | None) -> list[str]:
    problems = _common(view, record, ["9", "1"], "COMPLETED", "HANGUP", 1)
    if not any(text.startswith("Sorry, we did not understand") for text in _spoken(view)):
        problems.append("the menu was not repeated with the 'Sorry, we did not understand' prompt")
    return problems


SCENARIOS = [
    Scenario("The customer's issue is resolved: presses 1", ["1"], _resolved),
    Scenario("The customer wants an agent: presses 2", ["2"], _agent),
    Scenario(
        "The customer presses 9, hears the menu again, then presses 1",
        ["9", "1"],
        _repeat_then_resolved,
    ),
]


@dataclass(frozen=True)
class CallResult:
    scenario: Scenario
    view: SessionView
    record: SessionRecord | None
    problems: list[str]


Printer = Callable[[str, list[NarratedLine], str, list[str]], None]
"""Shows one call: its title, its lines, the summary line, the problems found."""


def run_demo(
    show_call: Printer,
    show_sessions: Callable[[list[SessionRecord]], None],
    *,
    tree: Tree | None = None,
    timeout: float = 30.0,
    db: str | None = None,
) -> list[CallResult]:
    """Run the three calls; returns what happened (the caller decides how to exit). The calls
    are recorded in the store at ``db`` when given, else in a throwaway one."""
    tree = tree or load_tree(numbers={"agent": AGENT.removeprefix("+")})
    with tempfile.TemporaryDirectory(prefix="ivrkit-demo-") as folder:
        store = open_store(db or f"sqlite:///{Path(folder) / 'demo.db'}")
        try:
            server = create_app(
                tree, store=store, webhook_secret=WEBHOOK_SECRET, spool=Path(folder) / "spool.jsonl"
            )
            config = SimulatorConfig(api_key=API_KEY, subaccount=SUBACCOUNT)
            with SimulatedPlatform(
                server, config=config, webhook_secret=WEBHOOK_SECRET
            ) as platform:
                results = [
                    _place(scenario, tree, store, platform.client, platform.control, timeout)
                    for scenario in SCENARIOS
                ]
            for result in results:
                show_call(
                    result.scenario.title,
                    narrate(result.view.entries),
                    summary_line(result.view),
                    result.problems,
                )
            # Only this run's calls: a kept store may hold earlier ones.
            records = [store.session(result.view.session_id) for result in results]
            show_sessions([record for record in records if record is not None])
            return results
        finally:
            store.close()


def _place(
    scenario: Scenario,
    tree: Tree,
    store: Store,
    client: VoiceClient,
    control: SimulatorControl,
    timeout: float,
) -> CallResult:
    # The customer ends the call (after talking to the agent, in the second scenario).
    control.set_phone(CUSTOMER, press=scenario.presses, hangup_after=40)
    control.set_phone(AGENT, hangup_after=600)
    response = place_callback(client, tree, CUSTOMER, store=store)
    session_id = response.session_id or ""
    view = control.wait_for_end(session_id, timeout=timeout)
    record = store.session(session_id)
    return CallResult(scenario, view, record, scenario.expect(view, record))
