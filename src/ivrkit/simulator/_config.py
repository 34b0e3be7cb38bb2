"""Settings of a simulator instance: speed, the account it pretends to be, and call timings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ivrkit.errors import ConfigError
from ivrkit.rules import KNOWN_VOICE_PROFILES
from ivrkit.simulator._account.numbers import DEFAULT_VIRTUAL_NUMBERS, VirtualNumberSpec
from ivrkit.simulator._account.scenario import PhoneScenario
from ivrkit.simulator._account.settings import PlatformSettings
from ivrkit.simulator._calls.capture import CaptureDefaults
from ivrkit.simulator._timelines import Timelines, timelines_for_speed

__all__ = ["SimulatorConfig"]


@dataclass(frozen=True)
class SimulatorConfig:
    """How the simulated platform behaves. Durations are simulated seconds unless noted."""

    speed: float | None = None
    """None = "max" (no waiting at all), 1.0 = real time, N = N times faster."""
    api_key: str | None = None
    """When set, the Voice API routes require ``Authorization: Bearer <api_key>``."""
    subaccount: str | None = None
    """When set, only this subaccount exists (others get 404); else any id is served."""
    clock: Timelines | None = None
    """Overrides ``speed``, e.g. a :class:`~ivrkit.simulator.ManualTimeline` for tests."""

    virtual_numbers: tuple[VirtualNumberSpec, ...] = DEFAULT_VIRTUAL_NUMBERS
    voice_profiles: frozenset[str] = KNOWN_VOICE_PROFILES
    allowed_sources: frozenset[str] | None = None
    """Caller IDs the account may use (-1014); None allows any."""
    trunk_capacity: int | None = None
    """Calls (legs) the trunk carries at once; one more fails with -2010. None: no limit."""
    covered_countries: frozenset[str] | None = None
    """Regions (ISO alpha-2) the account may call; elsewhere -2004. None: everywhere."""
    unspeakable_voice_profiles: frozenset[str] = frozenset()
    """Voice profiles the speech engine fails on at run time (-2005)."""
    fetch_files: bool = False
    """Download each playFile URL when it plays; a failure is -2006."""
    dial_delay: float = 0.0
    """Simulated seconds between accepting a request and dialling (a validUntil may pass: -2007)."""
    rate_limit: float | None = None
    """Send Callflow requests a second; past them the platform answers 429. None: no limit."""
    rate_limit_burst: int | None = None
    """Requests saved up for a burst (None: one second's worth)."""
    phones: PhoneScenario | None = None
    """Phone scripts the simulator starts with (and returns to on reset)."""
    state_file: Path | None = None
    """A JSON file that keeps the registered webhooks over a restart (read at start, written
    after each change); None keeps them in memory only."""
    strict_timeouts: bool = False
    """The strict reading of -1005/-1006 (see :mod:`ivrkit.rules`)."""
    legacy_dtmf: bool = False
    """Report digits the older way: ``payload.dtmf`` with callStatus DTMF_RECEIVED."""

    capture_defaults: CaptureDefaults = field(default_factory=CaptureDefaults)
    chars_per_second: float = 15.0
    """Speaking rate of text-to-speech at `speed` 1."""
    file_seconds: float = 5.0
    """How long every `playFile` audio lasts."""
    ring_seconds: float = 3.0
    """Ringing before a phone answers (or turns out busy or failing)."""
    no_answer_seconds: float = 30.0
    """Ringing before an unanswered call gives up (NO_ANSWER)."""
    talk_seconds: float = 30.0
    """How long bridged parties talk when neither phone is scripted to hang up sooner."""
    press_delay_ms: int = 500
    """Time a scripted phone takes before each key."""
    call_quality: tuple[float, float, int] = (4.5, 0.0, 20)
    """(mos, packetLossRate, jitter ms) reported for connected legs."""

    webhook_timeout: float = 10.0
    """Real seconds to wait for a webhook answer."""
    delivery_attempts: int = 3
    """Tries per webhook (1 + retries) for connection errors, timeouts and non-2xx answers."""
    retry_backoff: float = 1.0
    """Simulated seconds before the first retry; doubled for each further one."""
    max_call_actions: int = 50
    """CALL_ACTION exchanges after which the simulated caller gives up and hangs up."""
    max_session_seconds: float = 4 * 3600
    """Simulated duration after which the caller hangs up whatever happens."""
    keep_sessions: int = 1000
    """Ended sessions kept for /sim/v1/sessions; the oldest are forgotten first."""

    recording_upload_seconds: float = 2.0
    """Processing and upload of a call recording after its session ended (then VRU is sent)."""
    log_export_seconds: float = 0.0
    """Simulated seconds a log export job stays `running` (0: done at the first poll)."""
    log_export_days: int = 30
    """How long a finished log export's download link lives (the platform: one month)."""

    def __post_init__(self) -> None:
        if self.speed is not None and not self.speed > 0:
            raise ConfigError(f"speed must be above 0 (or None for max), got {self.speed}")
        if self.delivery_attempts < 1:
            raise ConfigError("delivery_attempts must be at least 1")
        if self.chars_per_second <= 0:
            raise ConfigError("chars_per_second must be above 0")
        if self.trunk_capacity is not None and self.trunk_capacity < 0:
            raise ConfigError(f"trunk_capacity must be 0 or more, got {self.trunk_capacity}")
        if self.rate_limit is not None and not 0 < self.rate_limit <= 1_000_000:
            raise ConfigError(
                f"rate_limit must be above 0 (requests a second), got {self.rate_limit}"
            )
        if self.rate_limit_burst is not None and not 1 <= self.rate_limit_burst <= 1_000_000:
            raise ConfigError(f"rate_limit_burst must be 1 or more, got {self.rate_limit_burst}")
        if not 0 <= self.dial_delay <= 86_400:
            raise ConfigError(f"dial_delay must be within 0..86400 seconds, got {self.dial_delay}")
        if self.recording_upload_seconds < 0 or self.log_export_seconds < 0:
            raise ConfigError("recording_upload_seconds and log_export_seconds must be 0 or more")

    def initial_settings(self) -> PlatformSettings:
        """The run-time settings a new (or reset) simulator starts with."""
        return PlatformSettings(
            trunk_capacity=self.trunk_capacity,
            covered_countries=sorted(self.covered_countries)
            if self.covered_countries is not None
            else None,
            allowed_sources=sorted(self.allowed_sources)
            if self.allowed_sources is not None
            else None,
            unspeakable_voice_profiles=sorted(self.unspeakable_voice_profiles),
            fetch_files=self.fetch_files,
            dial_delay=self.dial_delay,
            rate_limit=self.rate_limit,
            rate_limit_burst=self.rate_limit_burst,
        )

    def make_clock(self) -> Timelines:
        return self.clock if self.clock is not None else timelines_for_speed(self.speed)
