"""One answer to "is this tree valid?": lint's errors decide for every way a tree enters ivrkit
(``load_tree``, ``parse_tree``, a ``Tree`` built in code, ``ivrkit serve``'s loader, ``create_app``
and the pytest plugin), so none of them accepts what another refuses."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from ivrkit.errors import TreeError
from ivrkit.testing import IvrHarness
from ivrkit.trees import Tree, TreeSpec, load_tree, parse_tree
from ivrkit.trees._checked import check_spec, tree_errors
from ivrkit.trees._lint import lint_text

VALID = """\
name: t
entry: main
nodes:
  main:
    menu:
      prompt: Press 1 to leave.
      capture: {max_digits: 1}
      routes: {"1": bye}
      on_invalid: bye
  bye:
    hangup: {}
"""
WARNING_ONLY = VALID.replace('routes: {"1": bye}', 'routes: {"1": bye, "2": bye}')
INVALID = {
    "unreachable-node": VALID + "  orphan:\n    hangup: {}\n",
    "duplicate-key": VALID + "  bye:\n    hangup: {say: Bye.}\n",
    "route-uncapturable": VALID.replace('"1": bye', '"12": bye'),
    "chain-too-long": VALID.replace("  bye:\n    hangup: {}\n", "")
    + "".join(
        f"  bye{'' if i == 0 else i}:\n    say: {{text: Hi., next: bye{i + 1}}}\n"
        for i in range(40)
    )
    + "  bye40:\n    hangup: {}\n",
}


def by_load_tree(path: Path) -> object:
    return load_tree(path)


def by_parse_tree(path: Path) -> object:
    return parse_tree(path.read_text(encoding="utf-8"), source=str(path))


def by_serve(path: Path) -> object:
    from ivrkit._launch import ServeOptions, load_trees

    return load_trees(ServeOptions(flows=[str(path)], db="sqlite:///unused.db"))


def by_plugin(path: Path) -> object:
    return IvrHarness(path)  # not started: building it loads the tree


ENTRY_POINTS: dict[str, Callable[[Path], object]] = {
    "load_tree": by_load_tree,
    "parse_tree": by_parse_tree,
    "serve": by_serve,
    "plugin": by_plugin,
}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tree.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("code", sorted(INVALID))
@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_every_entry_point_refuses_what_lint_calls_an_error(
    tmp_path: Path, code: str, entry: str
) -> None:
    path = write(tmp_path, INVALID[code])
    assert code in {i.code for i in lint_text(INVALID[code]) if i.severity == "error"}
    with pytest.raises(TreeError, match=code):
        ENTRY_POINTS[entry](path)


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_every_entry_point_accepts_a_tree_with_only_warnings(tmp_path: Path, entry: str) -> None:
    path = write(tmp_path, WARNING_ONLY)
    assert [i.severity for i in lint_text(WARNING_ONLY)] == ["warning"]
    loaded = ENTRY_POINTS[entry](path)
    if isinstance(loaded, IvrHarness):
        loaded.stop()


def test_a_tree_built_in_code_is_checked_the_same_way() -> None:
    data = yaml.safe_load(INVALID["unreachable-node"])
    spec = TreeSpec.model_validate(data)
    assert [i.code for i in tree_errors(spec)] == ["unreachable-node"]
    with pytest.raises(TreeError, match="unreachable-node: node 'orphan' is never reached"):
        Tree(spec)
    with pytest.raises(TreeError, match="unreachable-node"):
        check_spec(spec)


def test_the_refusal_names_the_place_and_counts_the_rest(tmp_path: Path) -> None:
    text = INVALID["unreachable-node"] + "  other:\n    hangup: {}\n"
    with pytest.raises(TreeError) as caught:
        load_tree(write(tmp_path, text))
    assert caught.value.line == 12
    assert "(and 1 more; run ivrkit lint)" in str(caught.value)
