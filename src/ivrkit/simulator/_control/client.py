"""A typed, synchronous Python client for the simulator's ``/sim/v1`` control API."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Self

import httpx

from ivrkit.errors import SimulatorControlError, SimulatorTimeout
from ivrkit.simulator._account.faults import FaultPlan
from ivrkit.simulator._account.phones import Answer, PhoneEntry, PhonePattern, PhoneScript
from ivrkit.simulator._account.scenario import PhoneBookSize
from ivrkit.simulator._account.settings import PlatformSettings
from ivrkit.simulator._base import ControlModel
from ivrkit.simulator._calls.transcript import SessionInfo, SessionView

__all__ = ["SimulatorControl", "SimulatorControlError", "SimulatorTimeout"]


MAX_CHUNK_BYTES = 512 * 1024
"""Bytes of phone entries per ``PUT /sim/v1/phones`` (the simulator refuses bodies over 1 MiB)."""


def _compact(model: ControlModel) -> dict[str, Any]:
    """A model's JSON without its defaults: 10,000 phones fit in a few requests."""
    return model.model_dump(mode="json", by_alias=True, exclude_defaults=True)


def _chunks(first: dict[str, Any], entries: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Request bodies: ``first`` (patterns, default) with the first entries, then the rest."""
    body, size = dict(first, phones=[]), 0
    for entry in entries:
        length = len(json.dumps(entry)) + 1
        if body["phones"] and size + length > MAX_CHUNK_BYTES:
            yield body
            body, size = {"phones": []}, 0
        body["phones"].append(entry)
        size += length
    yield body


class SimulatorControl:
    """Drive a running simulator: script phones, call in, read transcripts, wait for the end.

    >>> sim = SimulatorControl("http://127.0.0.1:8700")
    >>> sim.set_phone("+6512345678", press=["2"])
    >>> view = sim.wait_for_end(session_id, timeout=10)
    """

    def __init__(
        self, base_url: str, *, timeout: float = 10.0, client: httpx.Client | None = None
    ) -> None:
        self._client = client or httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)
        self._owns_client = client is None

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Any = None,
        timeout: float | None = None,
    ) -> Any:
        try:
            response = self._client.request(
                method,
                path,
                json=json,
                params=params,
                timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.HTTPError as exc:
            raise SimulatorControlError(
                f"the simulator at {self._client.base_url} could not be reached: {exc}"
            ) from exc
        if response.status_code >= 400:
            try:
                detail = response.json().get("error", response.text)
            except ValueError:
                detail = response.text
            raise SimulatorControlError(
                f"{method} {path} failed with {response.status_code}: {detail}",
                http_status=response.status_code,
            )
        return response.json() if response.content else None

    def set_phone(
        self,
        number: str,
        *,
        answer: Answer | str = Answer.YES,
        press: Sequence[str] = (),
        hangup_after: float | None = None,
        press_delay_ms: int | None = None,
        ring_seconds: float | None = None,
        hangup_during_prompt: int | None = None,
        interactive: bool = False,
        stepped: bool = False,
        patience: float = 30.0,
    ) -> PhoneScript:
        """Script how ``number`` answers and which keys it presses at each capture prompt."""
        try:
            script = PhoneScript(
                answer=Answer(answer),
                press=list(press),
                hangup_after=hangup_after,
                press_delay=press_delay_ms,
                ring_seconds=ring_seconds,
                hangup_during_prompt=hangup_during_prompt,
                interactive=interactive,
                stepped=stepped,
                patience=patience,
            )
        except ValueError as exc:  # pydantic's ValidationError included
            raise SimulatorControlError(f"invalid phone script for {number}: {exc}") from None
        data = self._call("PUT", f"/sim/v1/phones/{number}", json=script.to_json_dict())
        return PhoneScript.model_validate(data["script"])

    def set_phones(
        self,
        phones: Mapping[str, PhoneScript] | Iterable[PhoneEntry] = (),
        *,
        patterns: Iterable[PhonePattern] = (),
        default: PhoneScript | None = None,
        replace: bool = False,
    ) -> PhoneBookSize:
        """Script many phones at once: exact numbers (a mapping number → script, or entries),
        ``patterns`` (ranges and prefixes) and a ``default`` (set only when given). The book
        keeps what it had unless ``replace``. Large lists go in several requests, each under
        the simulator's body limit (with ``replace``, only the first one replaces)."""
        if isinstance(phones, Mapping):
            try:
                entries = [PhoneEntry(number=n, script=script) for n, script in phones.items()]
            except ValueError as exc:  # pydantic's ValidationError included
                raise SimulatorControlError(f"invalid phone entry: {exc}") from None
        else:
            entries = list(phones)
        first: dict[str, Any] = {"patterns": [_compact(p) for p in patterns]}
        if default is not None:
            first["default"] = _compact(default)
        size: PhoneBookSize | None = None
        for chunk in _chunks(first, [_compact(entry) for entry in entries]):
            params = {"replace": "true" if replace and size is None else "false"}
            data = self._call("PUT", "/sim/v1/phones", json=chunk, params=params)
            size = PhoneBookSize.model_validate(data)
        assert size is not None
        return size

    def inbound_call(self, from_: str, to: str, *, sub_account_id: str | None = None) -> str:
        """A simulated phone ``from_`` calls the virtual number ``to``; returns the session id."""
        body: dict[str, Any] = {"from": from_, "to": to}
        if sub_account_id is not None:
            body["subAccountId"] = sub_account_id
        data = self._call("POST", "/sim/v1/calls", json=body)
        return str(data["sessionId"])

    def sessions(self) -> list[SessionInfo]:
        data = self._call("GET", "/sim/v1/sessions")
        return [SessionInfo.model_validate(item) for item in data["sessions"]]

    def session(self, session_id: str, *, after: int = 0, wait: float = 0.0) -> SessionView:
        """A session's transcript (entries after ``after``); ``wait`` long-polls for news."""
        params = {"after": after, "wait": wait} if wait else {"after": after}
        data = self._call(
            "GET", f"/sim/v1/sessions/{session_id}", params=params, timeout=wait + 10.0
        )
        return SessionView.model_validate(data)

    def wait_for_end(self, session_id: str, timeout: float = 10.0) -> SessionView:
        """Block until the session ended (its summary delivered); raise SimulatorTimeout."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SimulatorTimeout(f"session {session_id} did not end within {timeout}s")
            view = self.session(session_id, after=10**9, wait=min(remaining, 5.0))
            if view.state == "ended":
                return self.session(session_id)

    def press(self, session_id: str, digits: str, *, then_silence: bool = False) -> None:
        """Keys pressed live by an interactive phone; ``then_silence``: nothing more follows,
        so the capture may end as a timeout would (the way a stepped test says "no input")."""
        body = {"digits": digits, "silence": then_silence}
        self._call("POST", f"/sim/v1/sessions/{session_id}/press", json=body)

    def hangup(self, session_id: str, leg: str = "callA") -> None:
        """The party of ``leg`` hangs up now."""
        self._call("POST", f"/sim/v1/sessions/{session_id}/hangup", json={"leg": leg})

    def reset(self) -> None:
        self._call("POST", "/sim/v1/reset")

    def settings(self) -> PlatformSettings:
        """The run-time settings (trunk capacity, coverage, caller IDs, ...)."""
        return PlatformSettings.model_validate(self._call("GET", "/sim/v1/settings"))

    def change_settings(self, **changes: Any) -> PlatformSettings:
        """Change some run-time settings by field name (``trunk_capacity=2``; None: no limit)."""
        try:
            body = {
                PlatformSettings.model_fields[name].alias or name: value
                for name, value in changes.items()
            }
        except KeyError as exc:
            raise SimulatorControlError(f"no such setting: {exc.args[0]}") from None
        return PlatformSettings.model_validate(self._call("PATCH", "/sim/v1/settings", json=body))

    def inject_faults(self, plan: FaultPlan | None = None, **faults: Any) -> FaultPlan:
        """Replace the faults still to inject: a plan, or its fields (``late_answers=1``)."""
        try:
            chosen = plan if plan is not None else FaultPlan(**faults)
        except ValueError as exc:  # pydantic's ValidationError included
            raise SimulatorControlError(f"invalid faults: {exc}") from None
        return FaultPlan.model_validate(
            self._call("PUT", "/sim/v1/faults", json=chosen.to_json_dict())
        )

    def add_faults(
        self, *, webhooks: Sequence[str] = (), webhook_timeout: float | None = None, **counts: int
    ) -> FaultPlan:
        """Add to the faults still to inject: counts add up, ``webhooks`` join the types the
        delivery faults apply to, ``webhook_timeout`` (if given) replaces the patience."""
        current = self.faults()
        data = current.model_dump(by_alias=False)
        for name, count in counts.items():
            if name not in data or name in ("webhooks", "webhook_timeout"):
                raise SimulatorControlError(f"no such fault: {name}")
            data[name] += count
        data["webhooks"] = list(dict.fromkeys([*current.webhooks, *webhooks]))
        if webhook_timeout is not None:
            data["webhook_timeout"] = webhook_timeout
        return self.inject_faults(**data)

    def faults(self) -> FaultPlan:
        """The faults still to inject (each count goes down as it is used)."""
        return FaultPlan.model_validate(self._call("GET", "/sim/v1/faults"))

    def clear_faults(self) -> None:
        self._call("DELETE", "/sim/v1/faults")

    def advance_clock(self, seconds: float) -> str:
        """Move a manual clock forward; returns the new simulated time."""
        return str(self._call("POST", "/sim/v1/clock/advance", json={"seconds": seconds})["now"])

    def clock(self) -> dict[str, Any]:
        data: dict[str, Any] = self._call("GET", "/sim/v1/clock")
        return data
