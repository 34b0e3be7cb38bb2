"""The emergency switch end to end: `ivrkit closed on` (the real command line, on the store a
running server uses) sends the next caller to the closed branch, without a reload; `off` lets
the calendar decide again. The simulator calls the server over real HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivrkit._cli import app
from ivrkit._cli.common import run_app
from ivrkit.testing import IvrHarness
from ivrkit.trees import load_tree
from tests.calendar_trees import open_or_closed

pytestmark = pytest.mark.e2e

CALLER = "+6512345678"
LINE = "+6561115777"
# Open every minute of every day: only the switch can close it, whatever the wall clock says.
ALWAYS = """\
name: support
timezone: Asia/Singapore
hours: {mon-sun: "00:00-24:00"}
"""
TREE = open_or_closed(
    opened="Welcome to support.",
    closed="Sorry we are closed right now.",
    extra='virtual_numbers: ["+6561115777"]\n',
)


def test_closed_on_reaches_the_next_caller_without_a_reload(tmp_path: Path) -> None:
    (tmp_path / "support.yaml").write_text(ALWAYS, encoding="utf-8")
    (tmp_path / "tree.yaml").write_text(TREE, encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'ivrkit.db'}"
    tree = load_tree(tmp_path / "tree.yaml")
    # Read the switches for every delivery, and wait as long as it takes: the test asks what
    # the server does once the switch is read, not how fast the machine is.
    with IvrHarness(tree, store_url=db, switch_ttl=0, switch_wait=30) as ivr:
        ivr.inbound(CALLER, LINE).expect_say("Welcome to support")

        assert run_app(app, ["closed", "on", "support", "--db", db, "--reason", "flood"]) == 0
        ivr.inbound(CALLER, LINE).expect_say("Sorry we are closed right now")

        assert run_app(app, ["closed", "off", "support", "--db", db]) == 0
        ivr.inbound(CALLER, LINE).expect_say("Welcome to support")

        assert run_app(app, ["closed", "on", "--db", db]) == 0  # every calendar
        ivr.inbound(CALLER, LINE).expect_say("Sorry we are closed right now")
