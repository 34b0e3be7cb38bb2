"""The simulated platform as a whole: account configuration, phones, sessions and their tasks."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import Any

from ivrkit.rules import Platform
from ivrkit.simulator._account.faults import FaultPlan
from ivrkit.simulator._account.numbers import NumberCatalogue, VirtualNumberSpec, e164
from ivrkit.simulator._account.phones import PhoneBook
from ivrkit.simulator._account.ratelimit import TokenBucket
from ivrkit.simulator._account.saved import SavedState
from ivrkit.simulator._account.settings import PlatformSettings
from ivrkit.simulator._account.webhooks import WebhookRegistry
from ivrkit.simulator._calls.delivery import Deliverer
from ivrkit.simulator._calls.files import FileCache
from ivrkit.simulator._calls.judge import AnswerJudge
from ivrkit.simulator._calls.log_exports import LogExports
from ivrkit.simulator._calls.posting import Poster
from ivrkit.simulator._calls.recordings import RecordingDesk
from ivrkit.simulator._calls.runner import CallRunner
from ivrkit.simulator._calls.session import Session
from ivrkit.simulator._calls.transcript import CallflowReceived, Later
from ivrkit.simulator._config import SimulatorConfig
from ivrkit.simulator._timelines import ManualTimeline, Timelines
from ivrkit.wire import MakeCall, SendCallflowRequest, WebhookType

__all__ = ["SimulatorState"]

logger = logging.getLogger("ivrkit.simulator")


class SimulatorState:
    """Owns every session task and the HTTP client; :meth:`aclose` leaves nothing running."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.clock: Timelines = config.make_clock()
        self.phones = PhoneBook()
        self.webhooks = WebhookRegistry()
        self._saved = None if config.state_file is None else SavedState(config.state_file)
        if self._saved is not None:
            self._saved.load(self.webhooks)
            self.webhooks.on_change = self._save_webhooks
        self.numbers = NumberCatalogue(config.virtual_numbers)
        self.sessions: dict[str, Session] = {}
        self.recordings = RecordingDesk(
            self.webhooks,
            lambda: self.deliverer,
            upload_seconds=config.recording_upload_seconds,
        )
        self.log_exports = LogExports()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._poster: Poster | None = None
        self._ended_ids: deque[str] = deque()
        """Ended sessions, oldest first: the ones forgotten when keep_sessions is passed."""
        self._deliverer: Deliverer | None = None
        self._bucket: TokenBucket | None = None
        self._settings = config.initial_settings()
        self.settings = self._settings
        self._load_configured_phones()
        self._faults = FaultPlan()
        self.answers = AnswerJudge()
        """Judgements of CALL_ACTION answers, by their bytes."""
        self.fetched = FileCache()
        """playFile URLs downloaded (when the settings say to fetch files)."""

    def _save_webhooks(self, registry: WebhookRegistry) -> None:
        """Keep the webhooks in the state file; a failed write is logged and the simulator goes
        on with them in memory (the file keeps what it held)."""
        assert self._saved is not None
        try:
            self._saved.save(registry)
        except OSError as exc:
            logger.warning("could not save the webhooks to %s: %s", self._saved.path, exc)

    @property
    def settings(self) -> PlatformSettings:
        return self._settings

    @settings.setter
    def settings(self, settings: PlatformSettings) -> None:
        """New settings; a changed rate limit starts a new (full) token bucket."""
        limit = (settings.rate_limit, settings.burst)
        if self._bucket is None or (self._bucket.rate, self._bucket.burst) != limit:
            self._bucket = (
                None
                if settings.rate_limit is None
                else TokenBucket(settings.rate_limit, settings.burst, self._limit_time)
            )
        self._settings = settings

    def _limit_time(self) -> float:
        """Seconds for the rate limit: real ones (a limit on HTTP requests), except under a
        manual clock, whose simulated seconds a test steps."""
        if isinstance(self.clock, ManualTimeline):
            return self.clock.now().timestamp()
        return time.monotonic()

    def rate_limited(self) -> float:
        """Spend a Send Callflow token: 0, or the seconds to wait when the limit is reached."""
        return 0.0 if self._bucket is None else self._bucket.take()

    def _load_configured_phones(self) -> None:
        scenario = self.config.phones
        if scenario is not None:
            self.phones.load(
                scenario.phones, scenario.patterns, default=scenario.default, replace=True
            )

    @property
    def faults(self) -> FaultPlan:
        return self._faults

    @faults.setter
    def faults(self, plan: FaultPlan) -> None:
        self._faults = plan
        if self._deliverer is not None:
            self._deliverer.faults = plan

    def trunks_in_use(self) -> int:
        """Calls ringing or connected right now, over every session (what the trunk carries)."""
        running = [self.sessions.get(session_id) for session_id in self._tasks]  # not ended ones
        return sum(
            1
            for session in running
            if session is not None and session.active
            for leg in session.legs.values()
            if not leg.over
        )

    @property
    def deliverer(self) -> Deliverer:
        if self._deliverer is None:
            self._poster = Poster()
            self._deliverer = Deliverer(
                self._poster,
                attempts=self.config.delivery_attempts,
                timeout=self.config.webhook_timeout,
                backoff=self.config.retry_backoff,
            )
            self._deliverer.faults = self._faults
        return self._deliverer

    def subaccount_exists(self, sub_account_id: str) -> bool:
        return self.config.subaccount is None or sub_account_id == self.config.subaccount

    def rules_platform(self, session_or_sub: Session | str) -> Platform:
        """What the validator knows about this account (profiles, caller IDs, VCA webhook)."""
        sub = session_or_sub if isinstance(session_or_sub, str) else session_or_sub.sub_account_id
        return Platform(
            voice_profiles=self.config.voice_profiles,
            allowed_sources=None
            if self.settings.allowed_sources is None
            else frozenset(self.settings.allowed_sources),
            vca_webhook=self.webhooks.active(sub, WebhookType.VCA) is not None,
            strict_timeouts=self.config.strict_timeouts,
            now=self.clock.now,
        )

    def start_outbound(self, sub_account_id: str, request: SendCallflowRequest) -> Session:
        """A Send Callflow request was accepted: dial its first makeCall."""
        first = request.callflow[0]
        destination = first.params.destination if isinstance(first, MakeCall) else ""
        script = self.phones.get(destination)
        session = Session(
            sub_account_id=sub_account_id,
            direction="OUTBOUND",
            caller=e164(destination),
            timeline=self.clock.timeline(live=script.interactive and not script.stepped),
            interactive=script.interactive,
            stepped=script.stepped,
            patience=script.patience,
            client_request_id=request.client_request_id,
        )
        session.record(
            CallflowReceived,
            origin="request",
            callflow=Later(lambda: request.to_wire()["callflow"]),
            status_code=1,
            status_message="Created",
        )
        self._spawn(session, CallRunner(self, session).outbound(request))
        return session

    def start_inbound(self, caller: str, number: VirtualNumberSpec, sub_account_id: str) -> Session:
        """A simulated phone calls a virtual number."""
        script = self.phones.get(caller)
        session = Session(
            sub_account_id=sub_account_id,
            direction="INBOUND",
            caller=e164(caller),
            timeline=self.clock.timeline(live=script.interactive and not script.stepped),
            interactive=script.interactive,
            stepped=script.stepped,
            patience=script.patience,
        )
        self._spawn(session, CallRunner(self, session).inbound(number))
        return session

    def inbound_subaccount(self, number: VirtualNumberSpec, requested: str | None) -> str | None:
        """Whose call it is: as asked, else the number's, the configured one, or the last
        subaccount that registered a VCA webhook."""
        return (
            requested
            or number.sub_account_id
            or self.config.subaccount
            or self.webhooks.last_vca_subaccount
        )

    def _spawn(self, session: Session, work: Any) -> None:
        self.sessions[session.id] = session
        task: asyncio.Task[None] = asyncio.ensure_future(work)
        self._tasks[session.id] = task
        task.add_done_callback(lambda _: self._ended(session))

    def _ended(self, session: Session) -> None:
        self._tasks.pop(session.id, None)
        self.recordings.session_ended(session)
        self._ended_ids.append(session.id)
        while len(self._ended_ids) > self.config.keep_sessions:
            forgotten = self._ended_ids.popleft()
            self.sessions.pop(forgotten, None)
            self.recordings.forget(forgotten)

    async def _cancel_all(self) -> None:
        tasks: list[asyncio.Task[Any]] = list(self._tasks.values())
        for session in self.sessions.values():
            tasks.extend(session.telemetry)
            tasks.extend(session.in_flight)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()

    async def reset(self) -> None:
        """Forget everything: sessions (cancelled, no summary), webhooks, phones, faults,
        recordings and export jobs; the run-time settings and the phones return to the
        configured ones."""
        await self._cancel_all()
        await self.recordings.reset()
        self.log_exports.clear()
        self._bucket = None  # a reset bucket starts full
        self.settings = self.config.initial_settings()
        self.faults = FaultPlan()
        self.fetched.clear()
        self.sessions.clear()
        self._ended_ids.clear()
        self.webhooks.clear()
        self.phones.clear()
        self._load_configured_phones()

    async def aclose(self) -> None:
        await self._cancel_all()
        await self.recordings.aclose()
        if self._poster is not None:
            self._poster.close()
        self._poster = None
        await self.fetched.aclose()
        self._deliverer = None
