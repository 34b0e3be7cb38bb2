"""What a running call needs from the platform around it, and nothing more.

The call code (:mod:`~ivrkit.simulator._calls.line`, :mod:`~ivrkit.simulator._calls.runner`) is
written against this protocol, not against the simulator as a whole, so it imports nothing above
it: :class:`~ivrkit.simulator._state.SimulatorState` provides it, and so can a replay that runs
calls against a tree in process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from ivrkit.rules import Platform

if TYPE_CHECKING:
    from ivrkit.simulator._account.faults import FaultPlan
    from ivrkit.simulator._account.numbers import NumberCatalogue
    from ivrkit.simulator._account.phones import PhoneBook
    from ivrkit.simulator._account.settings import PlatformSettings
    from ivrkit.simulator._account.webhooks import WebhookRegistry
    from ivrkit.simulator._calls.delivery import Deliverer
    from ivrkit.simulator._calls.files import FileCache
    from ivrkit.simulator._calls.judge import AnswerJudge
    from ivrkit.simulator._calls.recordings import RecordingDesk
    from ivrkit.simulator._calls.session import Session
    from ivrkit.simulator._config import SimulatorConfig
    from ivrkit.simulator._timelines import Timelines

__all__ = ["Exchange"]


class Exchange(Protocol):
    """The platform as one call sees it: the account's phones, numbers, webhooks, settings and
    faults; where webhooks go out; the answers already judged; the recorder."""

    config: SimulatorConfig
    clock: Timelines
    phones: PhoneBook
    numbers: NumberCatalogue
    webhooks: WebhookRegistry
    recordings: RecordingDesk
    answers: AnswerJudge
    fetched: FileCache

    @property
    def settings(self) -> PlatformSettings: ...

    @property
    def faults(self) -> FaultPlan: ...

    @property
    def deliverer(self) -> Deliverer: ...

    def rules_platform(self, session_or_sub: Session | str) -> Platform: ...

    def trunks_in_use(self) -> int:
        """Legs ringing or connected right now, over every session."""
        ...
