"""The public names are a promise: adding or removing one is a deliberate change."""

import ivrkit


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
