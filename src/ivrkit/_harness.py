"""The harness behind the ``ivr`` pytest fixture: a simulated Voice platform and ivrkit's
webhook server for one tree on loopback ports, and the calls a test drives through them.

Import it from :mod:`ivrkit.testing`; it lives apart so that the pytest plugin, loaded in every
pytest run where ivrkit is installed, imports none of it until a test uses the ``ivr`` fixture.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Self, TypeVar

from ivrkit._callback import place_callback
from ivrkit._loopback import API_KEY, SUBACCOUNT, WEBHOOK_SECRET, Loopback
from ivrkit._narrate import narrate, summary_line
from ivrkit.errors import SimulatorControlError
from ivrkit.server._switches import SWITCH_TTL, SWITCH_WAIT
from ivrkit.simulator import SessionView, SimulatorConfig
from ivrkit.simulator._calls.transcript import LegChanged, Spoken, TranscriptEntry
from ivrkit.store import SessionRecord
from ivrkit.trees import Tree
from ivrkit.wire import SessionSummaryPayload

__all__ = ["API_KEY", "SUBACCOUNT", "WEBHOOK_SECRET", "Call", "IvrFaults", "IvrHarness"]

E = TypeVar("E", bound=TranscriptEntry)


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


class Call:
    """One simulated call, driven by a test."""

    def __init__(self, harness: IvrHarness, session_id: str, number: str) -> None:
        self.harness = harness
        self.session_id = session_id
        self.number = number
        self.entries: list[TranscriptEntry] = []
        self._cursor = 0
        self._view: SessionView | None = None

    # -- expectations --------------------------------------------------------------------------

    def expect_prompt(self, text: str, *, timeout: float = 10.0) -> str:
        """Wait for the next menu prompt; it must contain ``text`` (case and spacing ignored)."""
        entry = self._next(
            Spoken, lambda e: e.purpose == "prompt", f"a prompt saying {text!r}", timeout
        )
        if _normal(text) not in _normal(entry.text):
            self._fail(f"expected the prompt to say {text!r}, but it said {entry.text!r}")
        return entry.text

    def expect_say(self, text: str, *, timeout: float = 10.0) -> str:
        """Wait until the IVR speaks a text containing ``text`` (prompts included)."""
        wanted = _normal(text)
        entry = self._next(
            Spoken, lambda e: wanted in _normal(e.text), f"speech saying {text!r}", timeout
        )
        return entry.text

    def expect_bridge(self, number: str, *, timeout: float = 10.0) -> None:
        """Wait until the caller is bridged to ``number``."""
        digits = re.sub(r"\D", "", number)

        def bridged(entry: LegChanged) -> bool:
            return entry.event == "bridged" and re.sub(r"\D", "", entry.number) == digits

        self._next(LegChanged, bridged, f"a bridge to {number}", timeout)

    def expect_hangup(self, *, timeout: float = 10.0) -> SessionSummaryPayload:
        """Wait until the IVR hangs up on the caller (a `hangup` action ends the session)."""
        summary = self._summary(timeout)
        if summary.last_action != "HANGUP":
            self._fail(
                f"expected the IVR to hang up, but the last action was {summary.last_action}"
            )
        return summary

    def expect_summary(
        self,
        *,
        status: str | None = None,
        call_count: int | None = None,
        last_action: str | None = None,
        timeout: float = 10.0,
    ) -> SessionSummaryPayload:
        """Wait for the session to end; check its summary (and that the server stored it)."""
        summary = self._summary(timeout)
        for name, wanted, got in [
            ("status", status, summary.session_status),
            ("call_count", call_count, summary.call_count),
            ("last_action", last_action, summary.last_action),
        ]:
            if wanted is not None and wanted != got:
                self._fail(f"expected summary {name}={wanted!r}, got {got!r}")
        stored = self.harness.store.summary(self.session_id)
        if stored is None:
            self._fail("the session summary never reached the webhook server's store")
        return summary

    # -- the caller's actions ------------------------------------------------------------------

    def press(self, digits: str) -> Self:
        """Press keys at the current prompt (then nothing more)."""
        self.harness.control.press(self.session_id, digits, then_silence=True)
        return self

    def no_input(self) -> Self:
        """Press nothing at the current prompt: the capture times out."""
        self.harness.control.press(self.session_id, "", then_silence=True)
        return self

    def hang_up(self) -> Self:
        """The caller hangs up now. A call that has already ended (the agent's talk time ran out
        first on a fast simulated clock) stays ended: check how with :meth:`expect_summary`."""
        try:
            self.harness.control.hangup(self.session_id)
        except SimulatorControlError as exc:
            if exc.http_status != 409:
                raise
        return self

    # -- what happened -------------------------------------------------------------------------

    @property
    def record(self) -> SessionRecord | None:
        """What ivrkit's store recorded about this session."""
        return self.harness.store.session(self.session_id)

    def transcript(self) -> str:
        lines = [line.plain() for line in narrate(self.entries)]
        if self._view is not None and self._view.summary is not None:
            lines.append(summary_line(self._view))
        return "\n".join(lines) or "(nothing happened yet)"

    def _fail(self, message: str) -> None:
        raise AssertionError(
            f"{message}\n--- call {self.session_id} so far ---\n{self.transcript()}"
        )

    def _poll(self, wait: float) -> SessionView:
        view = self.harness.control.session(self.session_id, after=len(self.entries), wait=wait)
        self.entries.extend(view.entries)
        self._view = view
        return view

    def _next(self, kind: type[E], match: Callable[[E], bool], what: str, timeout: float) -> E:
        deadline = time.monotonic() + timeout
        while True:
            while self._cursor < len(self.entries):
                entry = self.entries[self._cursor]
                self._cursor += 1
                if isinstance(entry, kind) and match(entry):
                    return entry
            remaining = deadline - time.monotonic()
            ended = self._view is not None and self._view.state == "ended"
            if remaining <= 0 or ended:
                self._fail(f"expected {what}, but {'the call ended' if ended else 'it never came'}")
            self._poll(min(remaining, 2.0))

    def _summary(self, timeout: float) -> SessionSummaryPayload:
        deadline = time.monotonic() + timeout
        while self._view is None or self._view.state != "ended":
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._fail("expected the call to end, but it is still going")
            self._poll(min(remaining, 2.0))
        assert self._view is not None
        if self._view.summary is None:
            self._fail("the call ended without a session summary")
        assert self._view.summary is not None
        return self._view.summary.payload


class IvrHarness(Loopback):
    """A simulated platform and ivrkit's webhook server for one tree, on loopback ports, and
    the calls a test drives through them."""

    def __init__(
        self,
        tree: Tree | str | Path | None = None,
        *,
        legacy_dtmf: bool = False,
        webhook_secret: str = WEBHOOK_SECRET,
        simulator: SimulatorConfig | None = None,
        store_url: str | None = None,
        switch_ttl: float = SWITCH_TTL,
        switch_wait: float = SWITCH_WAIT,
    ) -> None:
        super().__init__(
            tree,
            legacy_dtmf=legacy_dtmf,
            webhook_secret=webhook_secret,
            simulator=simulator,
            store_url=store_url,
            switch_ttl=switch_ttl,
            switch_wait=switch_wait,
            folder_prefix="ivrkit-test-",
        )
        self._own_clocks: dict[int, Callable[[], datetime]] = {}

    def phone(self, number: str, **script: Any) -> None:
        """Script another phone (an agent who is busy: ``ivr.phone(agent, answer="busy")``)."""
        self.control.set_phone(number, **script)

    def call(
        self,
        number: str,
        *,
        press: list[str] | None = None,
        answer: str = "yes",
        hangup_after: float | None = None,
        client_request_id: str | None = None,
        at: datetime | None = None,
    ) -> Call:
        """Place the tree's callback to ``number``. Without ``press`` the test drives the call
        (``call.press``); with it the phone presses those keys at each prompt by itself.
        ``hangup_after``: the customer hangs up that many seconds after answering. ``at``: the
        time the tree sees when the call is placed (an aware datetime; it runs on from there),
        for business hours; without it, the tree's own clock."""
        self._set_time(at)
        if press is None:
            self.control.set_phone(number, answer=answer, stepped=True, hangup_after=hangup_after)
        else:
            self.control.set_phone(number, answer=answer, press=press, hangup_after=hangup_after)
        response = place_callback(
            self.client, self.tree, number, store=self.store, client_request_id=client_request_id
        )
        return Call(self, response.session_id or "", number)

    def inbound(
        self,
        caller: str,
        number: str,
        *,
        press: list[str] | None = None,
        at: datetime | None = None,
    ) -> Call:
        """``caller`` dials the virtual ``number``; the tree answers the inbound call (``at``:
        the time the tree sees, as for :meth:`call`)."""
        self._set_time(at)
        if press is None:
            self.control.set_phone(caller, stepped=True)
        else:
            self.control.set_phone(caller, press=press)
        session_id = self.control.inbound_call(
            caller, number, sub_account_id=self.platform.subaccount
        )
        return Call(self, session_id, caller)

    def _set_time(self, at: datetime | None) -> None:
        """The served trees' clock reads ``at`` now and runs on in real time; None gives each
        tree back its own clock. One clock serves the calls in progress too: place calls at
        different times one after the other."""
        if at is not None and at.tzinfo is None:
            raise ValueError(
                f"at={at.isoformat()} has no time zone: business hours depend on it; give one "
                "(datetime(2026, 12, 23, 10, 0, tzinfo=ZoneInfo('Europe/Paris')))"
            )
        for tree in self._trees.current():
            own = self._own_clocks.setdefault(id(tree), tree.clock)
            tree.clock = own if at is None else _running_from(at)


def _running_from(at: datetime) -> Callable[[], datetime]:
    started = time.monotonic()
    return lambda: at + timedelta(seconds=time.monotonic() - started)


class IvrFaults:
    """Faults the simulated platform injects into the next calls of an :class:`IvrHarness`
    (its ``/sim/v1/faults``). Each method adds to what is still pending; delivery faults hit
    CALL_ACTION webhooks unless ``webhooks`` names others ("VSS")."""

    def __init__(self, harness: IvrHarness) -> None:
        self._harness = harness

    def _add(self, webhooks: tuple[str, ...] = (), **faults: Any) -> Self:
        self._harness.control.add_faults(webhooks=webhooks, **faults)
        return self

    def late_answers(self, count: int = 1, *, webhooks: tuple[str, ...] = ()) -> Self:
        """The backend's next ``count`` answers come after the platform stopped waiting: it
        delivers the same event again (same `eventId`); when every attempt is late, -2002."""
        return self._add(webhooks, late_answers=count)

    def patience(self, seconds: float) -> Self:
        """How long (real seconds) the platform waits for each webhook answer from now on."""
        self._harness.control.add_faults(webhook_timeout=seconds)
        return self

    def duplicates(self, count: int = 1, *, webhooks: tuple[str, ...] = ()) -> Self:
        """The next ``count`` deliveries are sent twice (the same bytes)."""
        return self._add(webhooks, duplicates=count)

    def out_of_order(self, count: int = 1, *, webhooks: tuple[str, ...] = ()) -> Self:
        """A stale copy of each of the next ``count`` deliveries arrives after the session's
        next delivery of that type (after the summary, for the last one)."""
        return self._add(webhooks, out_of_order=count)

    def late_digits(self, count: int = 1) -> Self:
        """At the next ``count`` capture tries the caller's keys come after the timeout."""
        return self._add(late_digits=count)

    def hangup_in_flight(self, count: int = 1) -> Self:
        """The caller hangs up while each of the next ``count`` CALL_ACTION webhooks is in
        flight: the summary goes out at once and the answer is never executed."""
        return self._add(hangup_in_flight=count)

    def pending(self) -> dict[str, Any]:
        """What is still to be injected (counts go down as faults happen)."""
        return self._harness.control.faults().model_dump(by_alias=False, mode="json")

    def clear(self) -> None:
        self._harness.control.clear_faults()
