"""A softphone for the simulator: follow a live call, hear (and read) each prompt, type digits.

The phone is a simulated number scripted as interactive; it either calls a virtual number or
waits for the platform to call it. Prompts are spoken aloud with espeak-ng when it is installed.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from typing import TextIO

from ivrkit._narrate import NarratedLine, narrate_entry
from ivrkit.errors import SimulatorControlError, SimulatorTimeout
from ivrkit.simulator import SessionView, SimulatorControl
from ivrkit.simulator._calls.transcript import Spoken

HELP = "type digits and Enter to press them (# and * too); 'h' hangs up; Ctrl-D leaves"


class Speaker:
    """Speaks prompts with espeak-ng, one at a time, without blocking the phone."""

    def __init__(self, enabled: bool) -> None:
        self.command = shutil.which("espeak-ng") if enabled else None
        self._current: subprocess.Popen[bytes] | None = None

    @property
    def available(self) -> bool:
        return self.command is not None

    def say(self, text: str) -> None:
        if self.command is None:
            return
        self.stop()
        self._current = subprocess.Popen(
            [self.command, "--", text], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def stop(self) -> None:
        if self._current is not None and self._current.poll() is None:
            self._current.terminate()
        self._current = None


class Softphone:
    def __init__(
        self,
        control: SimulatorControl,
        number: str,
        *,
        show: Callable[[NarratedLine], None],
        speaker: Speaker | None = None,
    ) -> None:
        self.control = control
        self.number = number
        self.show = show
        self.speaker = speaker or Speaker(False)

    def dial(self, virtual_number: str) -> str:
        """Call a virtual number; returns the new session's id."""
        self.control.set_phone(self.number, interactive=True)
        return self.control.inbound_call(self.number, virtual_number)

    def wait_for_call(self, timeout: float) -> str:
        """Answer the next call the platform places to this number."""
        self.control.set_phone(self.number, interactive=True)
        known = {info.session_id for info in self.control.sessions()}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for info in self.control.sessions():
                if info.session_id not in known and info.caller.endswith(self.number.lstrip("+")):
                    return info.session_id
            time.sleep(0.2)
        raise SimulatorTimeout(f"no call reached {self.number} within {timeout:g}s")

    def follow(self, session_id: str, keys: TextIO, *, timeout: float = 3600.0) -> SessionView:
        """Show the call as it happens while keys typed on ``keys`` are pressed; returns the
        session once it ended."""
        reader = threading.Thread(target=self._read_keys, args=(session_id, keys), daemon=True)
        reader.start()
        seen = 0
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            view = self.control.session(session_id, after=seen, wait=2.0)
            for entry in view.entries:
                seen = max(seen, entry.seq)
                line = narrate_entry(entry)
                if line is not None:
                    self.show(line)
                if isinstance(entry, Spoken):
                    self.speaker.say(entry.text)
            if view.state == "ended":
                self.speaker.stop()
                return self.control.session(session_id)
        raise SimulatorTimeout(f"the call {session_id} did not end within {timeout:g}s")

    def _read_keys(self, session_id: str, keys: TextIO) -> None:
        for raw in keys:
            text = raw.strip()
            try:
                if text.lower() in {"h", "hangup", "q"}:
                    self.control.hangup(session_id)
                    return
                digits = "".join(ch for ch in text if ch in "0123456789*#")
                if digits:
                    self.control.press(session_id, digits)
            except SimulatorControlError:
                return  # the call ended meanwhile
        try:
            self.control.hangup(session_id)  # end of input: the caller leaves
        except SimulatorControlError:
            return
