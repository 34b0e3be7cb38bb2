"""The simulated account's run-time settings, changeable while the simulator runs.

They decide the platform's run-time errors (spec §6.6): the trunk's capacity (-2010), where the
account has coverage (-2004), the caller IDs it may present (-2008), voices the speech engine
cannot render (-2005), whether `playFile` URLs are really downloaded (-2006), how long the
platform takes before dialling (so that a `validUntil` can pass first: -2007), and how many
Send Callflow requests a second it accepts before answering 429
(:mod:`ivrkit.simulator._account.ratelimit`).
"""

from __future__ import annotations

import math
import re

from pydantic import Field, field_validator

from ivrkit.simulator._base import ControlModel

__all__ = ["PlatformSettings", "SettingsPatch"]


class PlatformSettings(ControlModel):
    """What the platform checks when it runs a session (``GET /sim/v1/settings``)."""

    trunk_capacity: int | None = Field(
        default=None,
        ge=0,
        le=1_000_000,
        description=(
            "Calls (legs ringing or connected, over every session) the trunk carries at once; "
            "one more fails with -2010. None: no limit."
        ),
    )
    covered_countries: list[str] | None = Field(
        default=None,
        description=(
            "ISO alpha-2 regions the account may call; a makeCall whose destination or source "
            "lies elsewhere fails with -2004. None: everywhere."
        ),
    )
    allowed_sources: list[str] | None = Field(
        default=None,
        description=(
            "Caller IDs the account may present: -1014 when a request names another, -2008 when "
            "a call is dialled with one (a bridge in a CALL_ACTION answer, or a whitelist changed "
            "after the request was accepted). None: any."
        ),
    )
    unspeakable_voice_profiles: list[str] = Field(
        default_factory=list,
        description="Voice profiles the validator accepts but the speech engine fails on (-2005).",
    )
    fetch_files: bool = Field(
        default=False,
        description=(
            "Download each playFile URL when it plays (cached for an hour of simulated time); "
            "a failed download, a non-2xx answer or a file over 5120 KB is -2006."
        ),
    )
    dial_delay: float = Field(
        default=0.0,
        ge=0,
        le=86_400,
        description=(
            "Simulated seconds between accepting a Send Callflow request and dialling; a "
            "validUntil that passes meanwhile ends the session with -2007."
        ),
    )
    rate_limit: float | None = Field(
        default=None,
        gt=0,
        le=1_000_000,
        description=(
            "Send Callflow requests a second the account may make (a token bucket); past it the "
            "platform answers 429 with Retry-After. None: no limit."
        ),
    )
    rate_limit_burst: int | None = Field(
        default=None,
        ge=1,
        le=1_000_000,
        description="Requests the bucket saves up for a burst. None: one second's worth.",
    )

    @property
    def burst(self) -> int:
        """The bucket's size: as set, else one second of requests (at least one)."""
        if self.rate_limit_burst is not None:
            return self.rate_limit_burst
        return max(1, math.ceil(self.rate_limit or 1))

    @field_validator("covered_countries")
    @classmethod
    def _regions(cls, regions: list[str] | None) -> list[str] | None:
        if regions is None:
            return None
        bad = [region for region in regions if not re.fullmatch(r"[A-Za-z]{2}", region)]
        if bad:
            raise ValueError(f"regions are ISO 3166 alpha-2 codes such as SG; got {bad}")
        return [region.upper() for region in regions]


class SettingsPatch(ControlModel):
    """``PATCH /sim/v1/settings``: only the fields given change (null clears a limit)."""

    trunk_capacity: int | None = Field(default=None, ge=0, le=1_000_000)
    covered_countries: list[str] | None = None
    allowed_sources: list[str] | None = None
    unspeakable_voice_profiles: list[str] | None = None
    fetch_files: bool | None = None
    dial_delay: float | None = Field(default=None, ge=0, le=86_400)
    rate_limit: float | None = Field(default=None, gt=0, le=1_000_000)
    rate_limit_burst: int | None = Field(default=None, ge=1, le=1_000_000)

    def apply(self, settings: PlatformSettings) -> PlatformSettings:
        changes = {name: getattr(self, name) for name in self.model_fields_set}
        for name in ("unspeakable_voice_profiles", "fetch_files", "dial_delay"):
            if name in changes and changes[name] is None:
                del changes[name]  # these have no "no limit" value: null leaves them as they are
        return PlatformSettings.model_validate({**settings.model_dump(by_alias=False), **changes})
