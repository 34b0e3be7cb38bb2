"""Trees built in Python are the same trees: checked the same way, answering the same way."""

from __future__ import annotations

import pytest

from ivrkit.errors import TreeError
from ivrkit.trees import Capture, HangupNode, Menu, Node, Route, SayNode, Transfer, Tree, TreeSpec


def support_tree(agent: str = "6561115777") -> TreeSpec:
    return TreeSpec(
        name="support",
        numbers={"caller_id": "6561115777", "agent": agent},
        entry="main",
        nodes={
            "main": Node(
                menu=Menu(
                    prompt="Press 1 if your issue is resolved, press 2 for an agent.",
                    capture=Capture(min_digits=1, max_digits=1, complete_on_hash=False),
                    routes={"1": "bye", "2": Route(to="agent", set={"wanted": "agent"})},
                )
            ),
            "bye": Node(hangup=HangupNode(say="Thank you, goodbye.")),
            "agent": Node(transfer=Transfer(to="{agent}", caller_id="{caller_id}", after="thanks")),
            "thanks": Node(say=SayNode(text="Thanks for calling.")),
        },
    )


def test_a_tree_built_in_code_places_the_callback() -> None:
    tree = Tree(support_tree())
    request = tree.initial_request("+6512345678").to_wire()
    assert [a["action"] for a in request["callflow"]] == ["makeCall", "sayAndCapture"]
    assert request["callflow"][1]["params"]["maxDigits"] == 1


def test_a_tree_built_in_code_is_checked_like_a_file() -> None:
    with pytest.raises(TreeError, match="-1017"):
        Tree(support_tree(agent="not-a-number"))


def test_the_docstring_example_works() -> None:
    tree = Tree(TreeSpec(name="hello", entry="hi", nodes={"hi": Node(say=SayNode(text="Hi"))}))
    assert tree.entry_callflow(None).to_wire() == {
        "callflow": [
            {"action": "say", "params": {"text": "Hi", "voiceProfile": "en-US-BenjaminRUS"}},
            {"action": "hangup"},
        ]
    }
