"""The `clientActionId` ivrkit writes: a position and a tree version's tag, read back exactly;
an engine answers its own version and refuses another's with the entry menu and a note."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from ivrkit.trees import DecisionKind, Position, load_tree
from ivrkit.trees._position import MAX_ACTION_ID, ActionId, version_tag_of
from tests.trees.test_engine import event

nodes = st.from_regex(r"[A-Za-z_][A-Za-z0-9_\-]{0,63}", fullmatch=True)
tags = st.none() | st.text(alphabet="0123456789abcdef", min_size=4, max_size=10)


@given(nodes, st.integers(min_value=0, max_value=999), tags)
def test_every_id_ivrkit_writes_reads_back_as_written(
    node: str, retries: int, tag: str | None
) -> None:
    written = ActionId(Position(node, retries), tag)
    text = written.encode()
    assert len(text) <= MAX_ACTION_ID
    assert ActionId.decode(text) == written
    assert Position.decode(text) == Position(node, retries)
    assert version_tag_of(text) == tag


@given(st.text(alphabet=string.printable, max_size=120))
def test_any_text_is_refused_or_read_as_an_id_ivrkit_writes(text: str) -> None:
    read = ActionId.decode(text)
    assert read is None or ActionId.decode(read.encode()) == read


def test_ids_of_the_formats_before_versions_still_read() -> None:
    assert ActionId.decode("main") == ActionId(Position("main"))
    assert ActionId.decode("main#2") == ActionId(Position("main", 2))
    assert ActionId.decode("main#2~3fa9c1") == ActionId(Position("main", 2), "3fa9c1")
    for refused in ("main~", "main~3FA9C1", "main~3fa", "main~3fa9c1d2e4f", "~3fa9c1", "m" * 81):
        assert ActionId.decode(refused) is None, refused


def test_a_served_tree_writes_its_tag_and_answers_ids_with_or_without_it() -> None:
    tree = load_tree()
    assert tree.answer(event("9")).callflow.client_action_id == "main#1", "no tag outside a server"
    tree.version_tag = tree.version[:6]
    retry = tree.answer(event("9")).callflow.client_action_id
    assert retry == f"main#1~{tree.version[:6]}"
    assert tree.answer(event("2", retry)).kind is DecisionKind.ANSWERED
    assert tree.answer(event("2", "main#1")).kind is DecisionKind.ANSWERED
    longer = f"main#1~{tree.version}"
    assert tree.answer(event("2", longer)).kind is DecisionKind.ANSWERED


def test_an_id_of_another_version_gets_the_entry_menu_and_a_note() -> None:
    tree = load_tree()
    other = "ffffff" if not tree.version.startswith("ffffff") else "000000"
    decision = tree.answer(event("2", f"main~{other}"))
    assert decision.kind is DecisionKind.STALE
    assert decision.heard is None and decision.node == "main"
    assert decision.note is not None
    assert f"version {other} of tree 'simple_ivr'" in decision.note
    assert f"answered version {tree.version}" in decision.note


def test_a_note_quotes_only_the_start_of_a_long_id() -> None:
    decision = load_tree().answer(event("1", "z" * 5000))
    assert decision.kind is DecisionKind.STALE
    assert decision.note is not None and len(decision.note) < 200
    assert "5000 characters" in decision.note
