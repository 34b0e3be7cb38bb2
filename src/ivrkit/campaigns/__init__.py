"""Callback campaigns: call a list of customers with a tree, paced, inside their calling
windows, with retries, each contact ending with its session's outcome.

:class:`CampaignStore` keeps campaigns in the store's database; :class:`Runner` is one worker.
"""

from ivrkit.campaigns.clock import Clock, ManualClock, SystemClock
from ivrkit.campaigns.contacts import (
    ContactList,
    ContactRow,
    parse_contacts,
    read_contacts,
    read_dnc,
)
from ivrkit.campaigns.model import (
    Campaign,
    CampaignSettings,
    CampaignStatus,
    ContactReport,
    parse_duration,
    parse_rate,
)
from ivrkit.campaigns.repo import CampaignStore
from ivrkit.campaigns.runner import Runner, RunResult
from ivrkit.campaigns.windows import CallingWindow

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
    "Runner",
    "SystemClock",
    "parse_contacts",
    "parse_duration",
    "parse_rate",
    "read_contacts",
    "read_dnc",
]
