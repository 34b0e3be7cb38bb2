"""Callback campaigns: call a list of customers with a tree, paced, inside their calling
windows, with retries, each contact ending with its session's outcome.

:class:`CampaignStore` keeps campaigns in the store's database (what their owner does and
reads); :class:`Runner` is one worker (claims, attempts and leases are its state transitions).
"""

from ivrkit._clock import Clock, ManualClock, ShiftedClock, SystemClock
from ivrkit.campaigns._catalog import CampaignStore
from ivrkit.campaigns._contacts import (
    ContactList,
    ContactRow,
    parse_contacts,
    read_contacts,
    read_dnc,
)
from ivrkit.campaigns._model import (
    Campaign,
    CampaignSettings,
    CampaignStatus,
    ContactReport,
    parse_duration,
    parse_rate,
)
from ivrkit.campaigns._runner import Runner, RunResult
from ivrkit.campaigns._windows import CallingWindow

__all__ = [
    "CallingWindow",
    "Campaign",
    "CampaignSettings",
    "CampaignStatus",
    "CampaignStore",
    "Clock",
    "ContactList",
    "ContactReport",
    "ContactRow",
    "ManualClock",
    "RunResult",
    "ShiftedClock",
    "Runner",
    "SystemClock",
    "parse_contacts",
    "parse_duration",
    "parse_rate",
    "read_contacts",
    "read_dnc",
]
