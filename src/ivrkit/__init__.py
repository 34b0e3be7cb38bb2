"""ivrkit: build, run and test phone IVRs on the 8x8 Voice Callflows API.

The handful of names most users need; everything else is importable from its module.

The names are imported on first use (PEP 562), so ``import ivrkit`` — which pytest does in every
run through the ``ivrkit.testing`` plugin — costs almost nothing until a name is touched.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
"""The one place the version is written: pyproject.toml reads it from here (setuptools dynamic)."""

_MODULES: dict[str, tuple[str, ...]] = {
    "ivrkit.client": ("AsyncVoiceClient", "VoiceClient"),
    "ivrkit.errors": ("ApiError", "IvrkitError", "TreeError", "ValidationFailed"),
    "ivrkit.rules": ("Mode", "Platform", "Verdict", "validate"),
    "ivrkit.server": ("create_app",),
    "ivrkit.trees": ("Tree", "load_tree", "parse_tree"),
    "ivrkit.wire": (
        "CallActionEvent",
        "Callflow",
        "CallStatusEvent",
        "Hangup",
        "MakeCall",
        "PlayFile",
        "Say",
        "SayAndCapture",
        "SendCallflowRequest",
        "SendCallflowResponse",
        "SessionSummaryEvent",
        "hangup",
        "make_call",
        "parse_event",
        "play_file",
        "say",
        "say_and_capture",
    ),
}
_HOME = {name: module for module, names in _MODULES.items() for name in names}

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


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'ivrkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
