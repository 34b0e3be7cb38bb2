"""A worker's senders place their calls over one client's connections, through the simulator
over HTTP and the webhook server, on a real store."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest

from ivrkit.campaigns._runner import SENDERS
from ivrkit.simulator import PhoneScript
from tests.campaigns.conftest import Rig

pytestmark = pytest.mark.e2e

CONTACTS = 240


def test_the_senders_reuse_their_connections_to_the_platform(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A pool that closed connections its senders shared (surplus keep-alive above 20) cut the
    # socket under a request now and then: "ReadError: [Errno 9] Bad file descriptor". Each
    # close shows as a new connection: SENDERS connections must carry every call.
    numbers = [f"+6592{n:06d}" for n in range(CONTACTS)]
    rig.harness.control.set_phones({number: PhoneScript(press=["1"]) for number in numbers})
    rig.create(
        "burst",
        "number\n" + "".join(f"{n}\n" for n in numbers),
        rate=1000,
        max_concurrent=CONTACTS,
        attempts=1,
        summary_timeout=60,
    )
    platform = urlsplit(rig.harness.platform_url).port
    opened: list[Any] = []
    connect: Callable[..., socket.socket] = socket.create_connection

    def counted(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        if address[1] == platform:
            opened.append(address)
        return connect(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", counted)
    result = rig.runner("burst").run(stop_when_idle=True)
    monkeypatch.undo()

    assert result.calls_placed == CONTACTS
    assert rig.calls_by_number() == {number: 1 for number in numbers}
    assert 0 < len(opened) <= SENDERS
