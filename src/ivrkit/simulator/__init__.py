"""The 8x8 Voice platform on a laptop: its REST surface, call sessions, phones and time.

``create_simulator(SimulatorConfig(...))`` is an ASGI app serving the vendor's Voice API paths plus
a ``/sim/v1`` control API; :class:`SimulatorControl` drives it from Python.

Inside, along its seams: ``account/`` (settings, numbers, webhooks, phones, faults),
``calls/`` (sessions, the callflow runner, delivery, transcripts), ``vendor/`` (the vendor's
REST paths), ``control/`` (``/sim/v1`` and its client); ``timelines`` is simulated time and
``state`` holds one running simulator together.
"""

from ivrkit.simulator._account.numbers import VirtualNumberSpec
from ivrkit.simulator._account.phones import Answer, PhoneScript
from ivrkit.simulator._app import create_app as create_simulator
from ivrkit.simulator._app import run_simulator
from ivrkit.simulator._calls.capture import CaptureDefaults
from ivrkit.simulator._calls.transcript import (
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
from ivrkit.simulator._config import SimulatorConfig
from ivrkit.simulator._control.client import (
    SimulatorControl,
    SimulatorControlError,
    SimulatorTimeout,
)
from ivrkit.simulator._timelines import InstantTimelines, ManualTimeline, ScaledTimelines, Timelines

__all__ = [
    "Answer",
    "CallflowReceived",
    "CaptureDefaults",
    "Captured",
    "Timelines",
    "Ended",
    "LegChanged",
    "ManualTimeline",
    "InstantTimelines",
    "Note",
    "PhoneScript",
    "Played",
    "Pressed",
    "ScaledTimelines",
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
    "create_simulator",
    "run_simulator",
]
