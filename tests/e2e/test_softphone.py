"""The softphone as a person uses it: a real process, prompts on screen, digits typed in."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from ivrkit.simulator import SimulatorConfig
from ivrkit.testing import API_KEY, SUBACCOUNT, IvrHarness

pytestmark = pytest.mark.e2e


def test_calling_the_ivr_and_pressing_1_on_the_keyboard() -> None:
    fast = SimulatorConfig(
        api_key=API_KEY,
        subaccount=SUBACCOUNT,
        chars_per_second=5000,
        ring_seconds=0,
        press_delay_ms=0,
    )
    with IvrHarness(simulator=fast) as ivr:
        phone = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from ivrkit._cli import main; main()",
                "phone",
                "--sim",
                ivr.platform_url,
                "--call",
                "+6561115777",
                "--no-speak",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
        )
        assert phone.stdin is not None and phone.stdout is not None
        seen: list[str] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = phone.stdout.readline()
            if not line:
                break
            seen.append(line)
            if "IVR asks" in line:
                phone.stdin.write("1\n")
                phone.stdin.flush()
            if "session ended" in line:
                break
        out, err = phone.communicate(timeout=30)
        text = "".join(seen) + out
        assert phone.returncode == 0, err
        assert 'IVR asks: "Dear customer' in text
        assert "caller presses 1" in text
        assert "session ended: COMPLETED" in text
        (session,) = ivr.store.sessions()
        assert session.digits == ["1"] and session.direction == "INBOUND"
