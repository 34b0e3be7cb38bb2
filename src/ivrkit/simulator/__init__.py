"""The 8x8 Voice platform on a laptop: its REST surface, call sessions, phones and clock.

``create_app(SimulatorConfig(...))`` is an ASGI app serving the vendor's Voice API paths plus a
``/sim/v1`` control API; :class:`SimulatorControl` drives it from Python.
"""

from ivrkit.simulator.app import create_app, run_simulator
from ivrkit.simulator.capture import CaptureDefaults
from ivrkit.simulator.clock import Clock, ManualClock, MaxClock, ScaledClock
from ivrkit.simulator.config import SimulatorConfig
from ivrkit.simulator.control_client import (
    SimulatorControl,
    SimulatorControlError,
    SimulatorTimeout,
)
from ivrkit.simulator.numbers import VirtualNumberSpec
from ivrkit.simulator.phones import Answer, PhoneScript
from ivrkit.simulator.transcript import (
    CallflowReceived,
    Captured,
    Ended,
    LegChanged,
    Note,
    Played,
    Pressed,
    SessionInfo,
    SessionView,
    Spoken,
    TranscriptEntry,
    WebhookSent,
)

__all__ = [
    "Answer",
    "CallflowReceived",
    "CaptureDefaults",
    "Captured",
    "Clock",
    "Ended",
    "LegChanged",
    "ManualClock",
    "MaxClock",
    "Note",
    "PhoneScript",
    "Played",
    "Pressed",
    "ScaledClock",
    "SessionInfo",
    "SessionView",
    "SimulatorConfig",
    "SimulatorControl",
    "SimulatorControlError",
    "SimulatorTimeout",
    "Spoken",
    "TranscriptEntry",
    "VirtualNumberSpec",
    "WebhookSent",
    "create_app",
    "run_simulator",
]
