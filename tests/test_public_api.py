"""The public names are a promise: adding or removing one is a deliberate change."""

import pytest
from pydantic import ValidationError

import ivrkit
from ivrkit import trees
from ivrkit.errors import WrongLayerError


def test_public_names_are_pinned() -> None:
    assert sorted(ivrkit.__all__) == sorted(
        [
            "ApiError",
            "AsyncVoiceClient",
            "CallActionEvent",
            "CallStatusEvent",
            "Callflow",
            "Hangup",
            "IvrkitError",
            "MakeCall",
            "Mode",
            "Platform",
            "PlayFile",
            "Say",
            "SayAndCapture",
            "SendCallflowRequest",
            "SendCallflowResponse",
            "SessionSummaryEvent",
            "Tree",
            "TreeError",
            "ValidationFailed",
            "Verdict",
            "VoiceClient",
            "create_app",
            "hangup",
            "load_tree",
            "make_call",
            "parse_event",
            "parse_tree",
            "play_file",
            "say",
            "say_and_capture",
            "validate",
        ]
    )
    for name in ivrkit.__all__:
        assert getattr(ivrkit, name) is not None


def test_building_a_callflow_in_python_gives_the_wire_json() -> None:
    answer = ivrkit.Callflow(
        callflow=[ivrkit.say("Goodbye", "en-US-BenjaminRUS"), ivrkit.hangup()],
        client_action_id="bye",
    )
    assert answer.to_wire() == {
        "callflow": [
            {"action": "say", "params": {"text": "Goodbye", "voiceProfile": "en-US-BenjaminRUS"}},
            {"action": "hangup"},
        ],
        "clientActionId": "bye",
    }
    assert ivrkit.validate(answer, mode=ivrkit.Mode.ANSWER).ok


def test_no_public_name_means_two_things() -> None:
    """A name exported by two layers must be the same object (ivrkit.Say was once a wire action
    and ivrkit.trees.Say a tree node)."""
    import ivrkit.trees
    import ivrkit.wire

    layers = {"ivrkit": ivrkit, "ivrkit.trees": ivrkit.trees, "ivrkit.wire": ivrkit.wire}
    seen: dict[str, tuple[str, object]] = {}
    clashes = []
    for layer, module in layers.items():
        for name in module.__all__:
            value = getattr(module, name)
            first = seen.setdefault(name, (layer, value))
            if first[1] is not value:
                clashes.append(f"{first[0]}.{name} vs {layer}.{name}")
    assert clashes == []


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: trees.Node(say=ivrkit.say("Hi", "en-US-BenjaminRUS")),
            "Node.say got ivrkit.Say, a wire action (what the platform receives), where a tree "
            "node belongs: use ivrkit.trees.SayNode",
        ),
        (
            lambda: trees.Node(hangup=ivrkit.hangup()),
            "Node.hangup got ivrkit.Hangup, a wire action (what the platform receives), where a "
            "tree node belongs: use ivrkit.trees.HangupNode",
        ),
        (
            lambda: trees.TreeSpec(name="t", entry="a", nodes={"a": ivrkit.hangup()}),
            "use ivrkit.trees.HangupNode",
        ),
    ],
)
def test_a_wire_action_where_a_tree_node_belongs_is_one_clear_error(build, message) -> None:
    with pytest.raises(WrongLayerError) as caught:
        build()
    assert message in str(caught.value)
    assert not isinstance(caught.value, ValidationError)


@pytest.mark.parametrize("document", [ivrkit.Callflow, ivrkit.SendCallflowRequest])
def test_a_tree_node_in_a_callflow_is_one_clear_error(document) -> None:
    with pytest.raises(WrongLayerError) as caught:
        document(callflow=[ivrkit.hangup(), trees.SayNode(text="Hi")])
    assert str(caught.value).startswith(
        "callflow[1] is ivrkit.trees.SayNode, not a callflow action: build actions with "
        "ivrkit.say(...)"
    )
    assert isinstance(caught.value, ivrkit.IvrkitError)


def test_the_right_layers_still_build() -> None:
    node = trees.Node(say=trees.SayNode(text="Hi"))
    assert node.say is not None and node.say.text == "Hi"
    assert ivrkit.Callflow(callflow=[ivrkit.hangup()]).to_wire() == {
        "callflow": [{"action": "hangup"}]
    }
