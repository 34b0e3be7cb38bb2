"""The webhook traffic of ``make bench``: whole calls, as the platform delivers them.

Every call has its own sessionId, its own customer number (the callee of the callback) and its
own caller number; each CALL_ACTION has an eventId never sent before. A call is a script of keys
pressed at the menu (1, 2, 3, a wrong key, or a wrong key and then a routed one), one
CALL_ACTION per key, then its SESSION_SUMMARY, so summaries are about two fifths of the
deliveries, as the simple IVR's calls give them. ``ACTIVE`` calls are in progress per generator
thread and take turns, so the events of one call are spread out among other calls' and the next
event of a call is sent long after the answer to the previous one (as on the platform, where a
call waits for its answer).

This module holds the model once: :class:`Traffic` generates it in Python (the fallback load
generator and the tests use it), and ``wrk_traffic.lua`` runs the same model inside wrk, with the
scripts and templates handed over by :func:`wrk_environment`.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
FIXTURES = BENCH_DIR.parent / "tests" / "data" / "fixtures"
VCA_PATH = "/webhooks/vca"
VSS_PATH = "/webhooks/vss"

SCRIPTS: tuple[tuple[str, ...], ...] = (
    ("1",),  # resolved: the tree hangs up
    ("2",),  # to an agent
    ("3", "1"),  # 3 is not a route: the menu again, then resolved
    ("1",),
    ("9", "2"),  # a wrong key, then the agent
    ("2",),
    ("1",),
    ("3", "3"),  # two wrong entries: the tree gives up
)
"""The keys pressed in each call, taken in turn: 8 calls, 11 CALL_ACTIONs, 8 summaries."""

ACTIVE = 64
"""Calls in progress per generator thread (more than the connections, so a call's next event
goes out well after its previous answer)."""


def vca_template() -> str:
    """The vendor's CALL_ACTION example with placeholders: @EVENT@, @SESSION@, @DIGITS@, @SRC@,
    @DST@ (the call waits at the entry menu, ``main``)."""
    event = json.loads((FIXTURES / "vca_dtmf_eventdata.json").read_text())
    payload = event["payload"]
    payload.update(
        eventId="@EVENT@",
        sessionId="@SESSION@",
        clientActionId="main",
        eventData={"dtmf": "@DIGITS@"},
        source="@SRC@",
        destination="@DST@",
    )
    return json.dumps(event, separators=(",", ":"))


def vss_template() -> str:
    """The vendor's SESSION_SUMMARY example (a completed call) with @SESSION@, @SRC@, @DST@."""
    event = json.loads((FIXTURES / "vss_ivr_scenario1_bridge_completed.json").read_text())
    payload = event["payload"]
    payload["sessionId"] = "@SESSION@"
    payload.pop("clientRequestId", None)
    leg = payload["details"]["callA"]
    leg.update(source="@SRC@", destination="@DST@")
    payload["details"] = {"callA": leg}
    payload["callCount"] = 1
    return json.dumps(event, separators=(",", ":"))


def numbers(thread: int, call: int) -> tuple[str, str]:
    """(caller, customer) of call ``call`` of generator thread ``thread``: unique per call (a
    London caller, a Singapore mobile)."""
    n = thread * 1_000_000 + call % 1_000_000
    return f"+4420{n % 100_000_000:08d}", f"+659{n % 10_000_000:07d}"


@dataclass(frozen=True)
class Delivery:
    path: str
    body: bytes
    kind: str  # "vca" or "vss"
    session: str
    digits: str | None = None


@dataclass
class _Call:
    number: int
    keys: tuple[str, ...]
    sent: int = 0


@dataclass
class Traffic:
    """The deliveries of one generator thread, in the order they are sent (the Lua script's
    ``request()``, written again in Python)."""

    run: str
    thread: int
    vca: str = field(default_factory=vca_template)
    vss: str = field(default_factory=vss_template)
    active: int = ACTIVE
    scripts: tuple[tuple[str, ...], ...] = SCRIPTS
    _calls: list[_Call | None] = field(default_factory=list)
    _next_call: int = 0
    _slot: int = 0
    _events: int = 0

    def __post_init__(self) -> None:
        self._calls = [None] * self.active

    def _start(self) -> _Call:
        call = _Call(self._next_call, self.scripts[self._next_call % len(self.scripts)])
        self._next_call += 1
        return call

    def next(self) -> Delivery:
        slot = self._slot
        self._slot = (slot + 1) % self.active
        call = self._calls[slot]
        if call is None:
            call = self._calls[slot] = self._start()
        session = f"{self.run}-{self.thread}-{call.number}"
        caller, customer = numbers(self.thread, call.number)
        body: str
        if call.sent < len(call.keys):
            digits = call.keys[call.sent]
            call.sent += 1
            self._events += 1
            body = (
                self.vca.replace("@EVENT@", f"{self.run}-{self.thread}-e{self._events}")
                .replace("@SESSION@", session)
                .replace("@DIGITS@", digits)
                .replace("@SRC@", caller)
                .replace("@DST@", customer)
            )
            return Delivery(VCA_PATH, body.encode(), "vca", session, digits)
        self._calls[slot] = None
        body = self.vss.replace("@SESSION@", session).replace("@SRC@", caller)
        return Delivery(VSS_PATH, body.replace("@DST@", customer).encode(), "vss", session)

    def __iter__(self) -> Iterator[Delivery]:
        while True:
            yield self.next()


def wrk_environment(run: str, workdir: Path) -> dict[str, str]:
    """What ``wrk_traffic.lua`` reads: the templates (written to files) and the model."""
    vca, vss = workdir / "vca_template.json", workdir / "vss_template.json"
    vca.write_text(vca_template())
    vss.write_text(vss_template())
    return {
        "WRK_VCA_FILE": str(vca),
        "WRK_VSS_FILE": str(vss),
        "WRK_RUN": run,
        "WRK_ACTIVE": str(ACTIVE),
        "WRK_SCRIPTS": ";".join(",".join(keys) for keys in SCRIPTS),
    }


# -- the fallback load generator ---------------------------------------------------------------


@dataclass
class Tally:
    """What a load run saw; the same fields as the line ``wrk_traffic.lua`` prints."""

    requests: int = 0
    sent: int = 0
    duration_us: int = 0
    latencies_us: list[int] = field(default_factory=list)
    not_2xx: int = 0
    socket_errors: int = 0
    timeouts: int = 0
    sent_vca: int = 0
    sent_vss: int = 0

    def as_wrk(self) -> dict[str, int]:
        ordered = sorted(self.latencies_us) or [0]

        def pct(p: float) -> int:
            return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]

        return {
            "requests": self.requests,
            "sent": self.sent,
            "sent_vca": self.sent_vca,
            "sent_vss": self.sent_vss,
            "duration_us": self.duration_us,
            "p50_us": pct(50),
            "p90_us": pct(90),
            "p99_us": pct(99),
            "max_us": ordered[-1],
            "not_2xx": self.not_2xx,
            "socket_errors": self.socket_errors,
            "timeouts": self.timeouts,
        }


async def _connection(
    host: str,
    port: int,
    auth: str,
    traffic: Traffic,
    tally: Tally,
    stop_at: float,
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.monotonic() < stop_at:
            delivery = traffic.next()
            tally.sent += 1
            if delivery.kind == "vca":
                tally.sent_vca += 1
            else:
                tally.sent_vss += 1
            head = (
                f"POST {delivery.path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                f"Authorization: {auth}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(delivery.body)}\r\n\r\n"
            )
            began = time.perf_counter()
            writer.write(head.encode() + delivery.body)
            try:
                status_line = await asyncio.wait_for(reader.readline(), 5)
                length = 0
                while True:
                    line = await reader.readline()
                    if line in (b"\r\n", b""):
                        break
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                await reader.readexactly(length)
            except TimeoutError:
                tally.timeouts += 1
                return
            except (OSError, asyncio.IncompleteReadError):
                tally.socket_errors += 1
                return
            tally.latencies_us.append(int((time.perf_counter() - began) * 1e6))
            tally.requests += 1
            parts = status_line.split()
            if len(parts) < 2 or not parts[1].startswith(b"2"):
                tally.not_2xx += 1
    finally:
        writer.close()


async def _load(
    host: str, port: int, auth: str, run: str, seconds: float, connections: int
) -> Tally:
    traffic = Traffic(run, 1)  # one thread: the connections share its calls, as in wrk
    tally = Tally()
    began = time.monotonic()
    await asyncio.gather(
        *(
            _connection(host, port, auth, traffic, tally, began + seconds)
            for _ in range(connections)
        ),
        return_exceptions=False,
    )
    tally.duration_us = int((time.monotonic() - began) * 1e6)
    return tally


def python_load(
    host: str, port: int, auth: str, run: str, seconds: float, connections: int
) -> dict[str, int]:
    """Drive a server with the traffic above, like wrk (slower: it may be the limit)."""
    return asyncio.run(_load(host, port, auth, run, seconds, connections)).as_wrk()


def main() -> None:
    """``python bench/traffic.py HOST PORT AUTH RUN SECONDS CONNECTIONS``: one load run, its
    figures printed as wrk_traffic.lua prints them (run pinned with taskset like wrk)."""
    import sys

    host, port, auth, run, seconds, connections = sys.argv[1:7]
    result = python_load(host, int(port), auth, run, float(seconds), int(connections))
    print("BENCH " + json.dumps(result))


if __name__ == "__main__":
    main()
