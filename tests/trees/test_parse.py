"""Reading tree files: what is not UTF-8, nested too deeply or too big is one clear TreeError,
and a long or big tree that is allowed is read and checked in full (iteratively: no recursion
limit, and linear, so that a big tree costs what its size says)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivrkit.errors import TreeError
from ivrkit.trees import load_tree, parse_tree
from ivrkit.trees._context import CallContext
from ivrkit.trees._engine import MAX_CHAIN, Engine
from ivrkit.trees._lint import lint_text
from ivrkit.trees._parse import MAX_DEPTH, MAX_TREE_BYTES, parse_spec, read_tree_text
from ivrkit.trees._position import Position

HEAD = "name: t\nentry: main\nnodes:\n  main:\n    hangup: {}\n"


def chain(count: int, kind: str) -> str:
    """``count`` nodes of ``kind`` one after the other, then a hangup."""
    lines = ["name: chain", "entry: n0", "nodes:"]
    for i in range(count):
        if kind == "say":
            lines.append(f"  n{i}:\n    say: {{text: Step {i}., next: n{i + 1}}}")
        elif kind == "goto":
            lines.append(f"  n{i}:\n    goto: n{i + 1}")
        else:
            lines.append(
                f"  n{i}:\n    menu:\n      prompt: Press 1 for step {i + 1}.\n"
                f'      capture: {{max_digits: 1}}\n      routes: {{"1": n{i + 1}}}\n'
                f"      on_invalid: n{count}"
            )
    lines.append(f"  n{count}:\n    hangup: {{}}")
    return "\n".join(lines) + "\n"


def test_a_file_that_is_not_utf8_is_one_error_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "tree.yaml"
    path.write_bytes(b"name: t\nentry: main\n# caf\xe9\n")
    with pytest.raises(TreeError, match=r"not UTF-8 text \(byte 0xe9 at offset 25\)") as caught:
        read_tree_text(path)
    assert caught.value.line == 3
    with pytest.raises(TreeError, match="not UTF-8"):
        load_tree(path)


def test_a_file_over_the_limit_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "tree.yaml"
    path.write_bytes(b"#" * (MAX_TREE_BYTES + 1))
    with pytest.raises(TreeError, match="larger than 1,048,576 bytes"):
        read_tree_text(path)
    with pytest.raises(TreeError, match="larger than 100 bytes"):
        load_tree(path, max_bytes=100)
    with pytest.raises(TreeError, match="larger than 10 bytes"):
        lint_text("name: a tree", max_bytes=10)
    assert read_tree_text(path, max_bytes=MAX_TREE_BYTES + 1).startswith("#")


@pytest.mark.parametrize(
    "nesting",
    [
        "extra: " + "[" * 3000 + "]" * 3000,
        "extra: " + "{a: " * 3000 + "1" + "}" * 3000,
        "extra:\n" + "".join(" " * (i + 2) + f"k{i}:\n" for i in range(300)),
    ],
    ids=["flow-sequences", "flow-mappings", "block-mappings"],
)
def test_deep_nesting_is_one_invalid_yaml_error(nesting: str) -> None:
    text = HEAD + nesting + "\n"
    with pytest.raises(TreeError, match="not valid YAML"):
        parse_spec(text)
    (issue,) = lint_text(text)
    assert issue.code == "invalid-yaml"


def test_nesting_up_to_the_limit_is_read() -> None:
    deep = "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    text = f"{HEAD}extra: {deep}\n"
    with pytest.raises(TreeError, match="extra"):  # read, then refused as an unknown field
        parse_spec(text)
    too_deep = f"{HEAD}extra: [{deep}]\n"
    with pytest.raises(TreeError, match=f"nested deeper than {MAX_DEPTH} levels"):
        parse_spec(too_deep)


@pytest.mark.parametrize("kind", ["menu", "say", "goto"])
@pytest.mark.slow
def test_a_chain_of_1500_nodes_gives_the_same_true_answer_to_lint_and_the_loader(
    kind: str,
) -> None:
    text = chain(1500, kind)
    errors = [i for i in lint_text(text) if i.severity == "error"]
    if kind == "menu":  # waits at every node: a long tree, nothing wrong with it
        assert errors == []
        assert len(parse_tree(text).spec.nodes) == 1501
        return
    assert [(i.code, i.node) for i in errors] == [("chain-too-long", "n0")]
    assert "run of 1501 nodes" in errors[0].message
    with pytest.raises(TreeError, match="chain-too-long"):
        parse_tree(text)


@pytest.mark.parametrize("says", [MAX_CHAIN - 1, MAX_CHAIN])
def test_chain_too_long_is_exactly_what_the_engine_cannot_answer(says: int) -> None:
    text = chain(says, "say")
    spec, _ = parse_spec(text)
    engine = Engine(spec)
    codes = [i.code for i in lint_text(text)]
    try:
        engine.render(Position("n0"), CallContext(customer="+6512345678"))
    except ValueError as exc:
        assert "pass without one that waits" in str(exc)
        assert codes == ["chain-too-long"]
    else:
        assert codes == []


def test_a_big_tree_under_the_limit_is_linted_in_full() -> None:
    count = 6000
    text = chain(count, "menu")
    assert 400_000 < len(text.encode()) < MAX_TREE_BYTES
    issues = lint_text(text)
    assert [i for i in issues if i.severity == "error"] == []
    warned = {i.node for i in issues if i.code == "no-invalid-handling"}
    assert warned == set()  # every menu handles a wrong key
    assert issues == []
