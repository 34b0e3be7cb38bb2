"""A server started with --reload reloads a tree when one of its calendar files changes, and
keeps the running tree when the changed calendar fails."""

from __future__ import annotations

import os
from pathlib import Path

from ivrkit.server._treeset import TreeSet
from ivrkit.trees import load_tree
from tests.calendar_trees import open_or_closed, support_calendar

CALENDAR = support_calendar(extra="holidays: [2026-12-25]\n")
TREE = open_or_closed()


def test_a_changed_calendar_file_reloads_the_tree_that_reads_it(tmp_path: Path) -> None:
    calendar = tmp_path / "support.yaml"
    calendar.write_text(CALENDAR, encoding="utf-8")
    path = tmp_path / "tree.yaml"
    path.write_text(TREE, encoding="utf-8")
    trees = TreeSet([load_tree(path)], paths=[path], loader=load_tree)
    version = trees.default.version
    assert trees.reload_changed() == []
    calendar.write_text(CALENDAR.replace("2026-12-25", "2026-12-24"), encoding="utf-8")
    os.utime(calendar, (1, 1))
    (reloaded,) = trees.reload_changed()
    assert reloaded.startswith(f"reloaded 'line' from {path}: new calls get version ")
    assert trees.default.version != version
    calendar.write_text(CALENDAR.replace("UTC", "Nowhere/Zone"), encoding="utf-8")
    os.utime(calendar, (2, 2))
    (message,) = trees.reload_changed()
    assert message.startswith("kept the running 'line'") and "Nowhere/Zone" in message
