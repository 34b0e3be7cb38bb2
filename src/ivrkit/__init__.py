"""ivrkit: build, run and test phone IVRs on the 8x8 Voice Callflows API.

The handful of names most users need; everything else is importable from its module.
"""

from ivrkit.client import AsyncVoiceClient, VoiceClient
from ivrkit.errors import ApiError, IvrkitError, TreeError, ValidationFailed
from ivrkit.rules import Mode, Platform, Verdict, validate
from ivrkit.server import create_app
from ivrkit.trees import Tree, load_tree, parse_tree
from ivrkit.wire import (
    CallActionEvent,
    Callflow,
    CallStatusEvent,
    Hangup,
    MakeCall,
    PlayFile,
    Say,
    SayAndCapture,
    SendCallflowRequest,
    SendCallflowResponse,
    SessionSummaryEvent,
    hangup,
    make_call,
    parse_event,
    play_file,
    say,
    say_and_capture,
)

__version__ = "0.1.0"

__all__ = [
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
