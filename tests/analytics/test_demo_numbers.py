"""The numbers a manager acts on equal what a person counts from the calls themselves: the
starter's tree on the simulated platform, each customer scripted, the transcripts read the way a
person reads them, then the overview that `ivrkit report` and the dashboard's cards show."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ivrkit._callback import place_callback
from ivrkit._demo import run_demo
from ivrkit._loopback import Loopback
from ivrkit._narrate import NarratedLine
from ivrkit._starter import write_starter
from ivrkit.analytics import Analytics, Window
from ivrkit.simulator import SessionView
from ivrkit.simulator._calls.transcript import LegChanged, Spoken
from ivrkit.store import open_store
from ivrkit.trees import load_tree

pytestmark = pytest.mark.e2e

AGENT = "+6561110001"
CALLS = {
    # customer: what the phone does
    "+6591000001": {"press": ["1"]},  # hears the opening hours
    "+6591000002": {"press": ["1"]},
    "+6591000003": {"press": ["2"]},  # asks for someone: bridged to the agent
    "+6591000004": {"press": ["9", "9", "9"]},  # three wrong keys: out of tries
    "+6591000005": {"answer": "busy"},
}


def read_by_a_person(view: SessionView) -> str:
    """What a person counts a call as, reading its transcript."""
    spoken = [entry.text for entry in view.entries if isinstance(entry, Spoken)]
    if not spoken:
        return "failed"  # nobody was spoken to
    if any(isinstance(e, LegChanged) and e.event == "bridged" for e in view.entries):
        return "transferred"  # talked to a person
    if spoken[-1].startswith("We are open"):
        return "contained"  # got the answer from the menu
    return "abandoned"  # sent away unserved


def test_the_overview_counts_what_the_transcripts_show(tmp_path: Path) -> None:
    write_starter(tmp_path)
    tree = load_tree(tmp_path / "ivr.yaml")
    start = datetime.now(UTC) - timedelta(minutes=1)
    counted: Counter[str] = Counter()
    with Loopback(tree) as loopback:
        loopback.control.set_phone(AGENT, hangup_after=5)
        for number, script in CALLS.items():
            loopback.control.set_phone(number, hangup_after=40, **script)  # type: ignore[arg-type]
            session_id = place_callback(loopback.client, tree, number, store=loopback.store)
            session_id = session_id.session_id or ""
            counted[read_by_a_person(loopback.control.wait_for_end(session_id, timeout=60))] += 1
        loopback.store.catch_up()
        overview = Analytics(loopback.store).overview(
            Window(start, datetime.now(UTC) + timedelta(minutes=1))
        )
    assert counted == Counter(contained=2, transferred=1, abandoned=1, failed=1)
    shown = {
        "contained": overview.contained,
        "transferred": overview.transferred,
        "abandoned": overview.abandoned,
        "failed": overview.failed,
    }
    assert shown == dict(counted)
    assert overview.containment_rate == counted["contained"] / 5
    assert overview.transfer_rate == counted["transferred"] / 5
    assert overview.abandon_rate == counted["abandoned"] / 5


def read_demo_call(lines: list[NarratedLine]) -> str:
    """What a person counts one of `ivrkit demo`'s calls as, reading what the demo printed."""
    if not any(line.kind == "spoken" for line in lines):
        return "failed"  # nobody was spoken to
    if any(line.kind == "leg" and "bridged" in line.text for line in lines):
        return "transferred"  # talked to the agent
    pressed = [line.text.rsplit(" ", 1)[-1] for line in lines if line.kind == "pressed"]
    if pressed and pressed[-1] == "1":
        return "contained"  # said the issue is resolved, and the IVR said goodbye
    return "abandoned"


def test_the_demo_shows_what_its_printed_calls_show(tmp_path: Path) -> None:
    printed: list[list[NarratedLine]] = []
    start = datetime.now(UTC) - timedelta(minutes=1)
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    results = run_demo(lambda title, lines, summary, problems: printed.append(lines), list, db=db)
    assert len(printed) == len(results) == 3
    counted = Counter(read_demo_call(lines) for lines in printed)
    assert counted == Counter(contained=2, transferred=1)
    store = open_store(db)
    try:
        store.catch_up()
        overview = Analytics(store).overview(
            Window(start, datetime.now(UTC) + timedelta(minutes=1))
        )
    finally:
        store.close()
    shown = {
        "contained": overview.contained,
        "transferred": overview.transferred,
        "abandoned": overview.abandoned,
        "failed": overview.failed,
    }
    assert shown == {"abandoned": 0, "failed": 0, **counted}
    assert overview.containment_rate == 2 / 3 and overview.transfer_rate == 1 / 3
