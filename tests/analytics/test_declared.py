"""Categories declared by the tree: a label counts as what the version that answered the call
says (``outcome: {label: ..., counts_as: ...}``), not as a guess from its word."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from typer.testing import CliRunner

from ivrkit._cli import app
from ivrkit.analytics import Analytics, Window, rebuild
from ivrkit.store import Store, open_store
from ivrkit.trees import parse_tree
from tests.analytics.calls import T0, Recorder

HOUR = timedelta(hours=1)

DECLARED = """
name: shop
numbers: {caller_id: "6512345678", desk: "6599990000"}
entry: main
nodes:
  main:
    menu:
      prompt: Press 1 for our hours, 2 for the desk, 3 to leave a message.
      routes: {"1": hours, "2": desk, "3": later}
      max_retries: 1
      on_max_retries: goodbye
  hours:
    outcome: {label: told-hours, counts_as: contained}
    say: We are open nine to five.
  desk:
    outcome: {label: desk, counts_as: transferred}
    transfer: {to: "{desk}"}
  later:
    outcome: {label: call-me, counts_as: abandoned}
    say: We will call you back.
  goodbye:
    outcome: {label: gave-up, counts_as: abandoned}
    hangup: {}
"""


def test_declared_categories_are_counted(store: Store) -> None:
    calls = Recorder(store, parse_tree(DECLARED))
    calls.outbound("hours", ["1"])
    calls.outbound("desk", ["2"])
    calls.outbound("later", ["3"])  # would be guessed contained: declared abandoned
    calls.outbound("gave-up", ["9", "9"])  # out of tries: the starter's gave-up
    overview = Analytics(store).overview(Window(T0, T0 + HOUR))
    assert (overview.contained, overview.transferred, overview.abandoned) == (1, 1, 2)
    assert overview.containment_rate == 1 / 4
    # A rebuild from the raw rows reads the same declarations.
    rebuild(store)
    again = Analytics(store).overview(Window(T0, T0 + HOUR))
    assert (again.contained, again.transferred, again.abandoned) == (1, 1, 2)


def test_the_same_label_counts_as_its_version_declares(store: Store) -> None:
    old = parse_tree(DECLARED.replace("call-me, counts_as: abandoned", "call-me"))
    new = parse_tree(DECLARED)
    assert old.version != new.version
    Recorder(store, old).outbound("before", ["3"])
    Recorder(store, new).outbound("after", ["3"], start=T0 + timedelta(minutes=1))
    overview = Analytics(store).overview(Window(T0, T0 + HOUR))
    assert (overview.contained, overview.abandoned) == (1, 1)


def test_ivrkit_report_counts_the_declared_categories(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'report.db'}"
    with open_store(db) as store:
        calls = Recorder(store, parse_tree(DECLARED))
        calls.outbound("hours", ["1"])
        calls.outbound("desk", ["2"])
        calls.outbound("later", ["3"])
        calls.outbound("gave-up", ["9", "9"])
    until = (T0 + HOUR).isoformat()
    result = CliRunner().invoke(
        app, ["report", "--db", db, "--since", T0.isoformat(), "--until", until, "--json"]
    )
    assert result.exit_code == 0, result.output
    overview = json.loads(result.output)["overview"]
    assert (overview["contained"], overview["transferred"], overview["abandoned"]) == (1, 1, 2)
    assert overview["containment_rate"] == 0.25
