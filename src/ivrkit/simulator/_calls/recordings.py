"""Call recordings: the push configuration of each subaccount, the recordings of sessions, and
the VRU `CALL_RECORDING_STATUS` webhook once a recording is "uploaded".

A `makeCall` with ``callRecording: true`` records its leg from the moment it is answered until
it ends. When the session is over the recording is processed for ``recording_upload_seconds``
and pushed to the configured S3/SFTP location (nothing is really uploaded); then the VRU webhook,
if one is enabled, gets `UPLOAD_COMPLETED`, and the recording becomes `CALLBACK_COMPLETED` or
`CALLBACK_FAILED` by the webhook's outcome. Without a push configuration the upload fails
(`UPLOAD_FAILED`), which is what the platform's guide warns of (it needs the config first).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from uuid import uuid4

from ivrkit.simulator._calls.legs import LegState
from ivrkit.simulator._calls.session import Session
from ivrkit.simulator._timelines import iso_ms, iso_s
from ivrkit.wire import (
    EVENT_DESCRIPTIONS,
    EventType,
    Recording,
    RecordingProtocol,
    RecordingPushConfigRequest,
    RecordingStatus,
    RecordingStatusEvent,
    WebhookType,
)
from ivrkit.wire._events import RecordingStatusPayload

if TYPE_CHECKING:
    from ivrkit.simulator._account.webhooks import WebhookRegistry
    from ivrkit.simulator._calls.delivery import Deliverer

__all__ = ["CallRecording", "RecordingDesk"]


@dataclass
class CallRecording:
    """One recording: of one leg of one session."""

    session: Session
    leg: LegState
    recording_id: str
    status: RecordingStatus = RecordingStatus.PROCESSING
    file_path: str | None = None
    external_file_url: str | None = None

    @property
    def started(self) -> datetime | None:
        return self.leg.connected

    def duration(self) -> int:
        return self.leg.duration(self.session.now())

    def to_wire(self) -> Recording:
        fields: dict[str, Any] = {
            "recording_id": self.recording_id,
            "session_id": self.session.id,
            "sub_account_id": self.session.sub_account_id,
            "status": self.status,
            "duration": self.duration(),
        }
        if self.external_file_url is not None:
            fields["external_file_url"] = self.external_file_url
        if self.started is not None:
            fields["start_recording_time"] = iso_ms(self.started)
        return Recording(**fields)


class RecordingDesk:
    """Push configurations by subaccount and recordings by session; owns the upload tasks."""

    def __init__(
        self,
        webhooks: WebhookRegistry,
        deliverer: Callable[[], Deliverer],
        *,
        upload_seconds: float,
    ) -> None:
        self._webhooks = webhooks
        self._deliverer = deliverer
        self._upload_seconds = upload_seconds
        self.configs: dict[str, RecordingPushConfigRequest] = {}
        self._by_session: dict[str, list[CallRecording]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    # -- push configuration ------------------------------------------------------------------

    def configure(self, sub_account_id: str, config: RecordingPushConfigRequest) -> None:
        self.configs[sub_account_id] = config

    def config(self, sub_account_id: str) -> RecordingPushConfigRequest | None:
        return self.configs.get(sub_account_id)

    def remove(self, sub_account_id: str) -> RecordingPushConfigRequest | None:
        return self.configs.pop(sub_account_id, None)

    # -- recordings --------------------------------------------------------------------------

    def request(self, session: Session, leg: LegState) -> None:
        """A makeCall asked for ``callRecording``: record ``leg`` once it is answered."""
        recording = CallRecording(session=session, leg=leg, recording_id=str(uuid4()))
        self._by_session.setdefault(session.id, []).append(recording)

    def of_session(self, session_id: str) -> list[CallRecording]:
        """The recordings made so far (legs that were never answered record nothing)."""
        return [r for r in self._by_session.get(session_id, []) if r.started is not None]

    def session_ended(self, session: Session) -> None:
        """Process and push the session's recordings, then tell the VRU webhook."""
        recordings = self.of_session(session.id)
        self._by_session[session.id] = recordings
        if not recordings or session.summary is None:  # reset: cancelled, nothing uploaded
            return
        task = asyncio.ensure_future(self._upload(session, recordings))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def forget(self, session_id: str) -> None:
        self._by_session.pop(session_id, None)

    async def _upload(self, session: Session, recordings: list[CallRecording]) -> None:
        await session.timeline.sleep(self._upload_seconds)
        config = self.configs.get(session.sub_account_id)
        for recording in recordings:
            if config is None:
                recording.status = RecordingStatus.UPLOAD_FAILED
            else:
                _place(recording, config)
                recording.status = RecordingStatus.UPLOAD_COMPLETED
            await self._notify(recording)

    async def _notify(self, recording: CallRecording) -> None:
        session = recording.session
        hook = self._webhooks.active(session.sub_account_id, WebhookType.VRU)
        if hook is None:
            return
        payload: dict[str, Any] = {
            "session_id": session.id,
            "recording_id": recording.recording_id,
            "duration_seconds": recording.duration(),
            "status": recording.status,
        }
        if recording.file_path is not None:
            payload["file_path"] = recording.file_path
        event = RecordingStatusEvent(
            namespace="VOICE",
            event_type=EventType.CALL_RECORDING_STATUS,
            description=EVENT_DESCRIPTIONS[EventType.CALL_RECORDING_STATUS],
            payload=RecordingStatusPayload(**payload),
        )
        result = await self._deliverer().deliver(session, hook, event, timeline=session.timeline)
        if recording.status is RecordingStatus.UPLOAD_COMPLETED:
            recording.status = (
                RecordingStatus.CALLBACK_COMPLETED if result.ok else RecordingStatus.CALLBACK_FAILED
            )

    async def aclose(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def reset(self) -> None:
        await self.aclose()
        self.configs.clear()
        self._by_session.clear()


def _place(recording: CallRecording, config: RecordingPushConfigRequest) -> None:
    """Where the pushed file lands: ``<host><path>/<date>/<session>/<recording>_<start>.mp3``
    (the VRU example's layout), and the URL it can be fetched from."""
    started = recording.started or recording.session.now()
    folder = (config.path or "/").rstrip("/")
    name = f"{recording.recording_id}_{iso_ms(started)}.mp3"
    relative = f"{iso_s(started)[:10]}/{recording.session.id}/{name}"
    recording.file_path = f"{config.host}{folder}/{relative}"
    if config.protocol is RecordingProtocol.S3:
        base = f"https://s3.{config.host}.amazonaws.com{folder}"
    else:
        scheme = config.protocol.value.lower()
        port = f":{config.port}" if config.port else ""
        base = f"{scheme}://{config.host}{port}{folder}"
    recording.external_file_url = f"{base}/{quote(relative)}"
