"""What is done to a campaign, kept: an edit of its settings (and what it changes for the
contacts waiting), each recorded with who did it and when, old → new, beside its creation,
pauses, resumes, cancel and renaming."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, insert, select, update

from ivrkit.campaigns import _model as m
from ivrkit.campaigns._outlook import rate_text
from ivrkit.campaigns._tables import CAMPAIGNS, CHANGES, CONTACTS, C, H, K
from ivrkit.errors import CampaignError, ConfigError

__all__ = ["EDITABLE", "apply_edit", "paused_wait", "read_changes", "record"]

EDITABLE = ("rate", "window", "days", "attempts", "end", "max_concurrent", "retry_after", "flow")
"""The settings an edit changes on a campaign that has begun."""


def apply_edit(
    conn: Connection,
    campaign: m.Campaign,
    changes: Mapping[str, Any],
    now: datetime,
    actor: str,
) -> list[m.CampaignChange]:
    """Change the settings of an active or paused campaign (keys of :data:`EDITABLE`; ``end``
    None removes the end), in the transaction of ``conn``, the campaign row locked; each
    setting that changed is recorded, old → new, and returned.

    A new rate applies from the next call (and ends a slow-down); a new window or days apply
    at once to the contacts never called (those waiting for the old window's opening become due
    now), and to a retry from its due time; fewer attempts end the contacts that have had
    them (with their last outcome)."""
    name = campaign.name
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise CampaignError(f"cannot edit {', '.join(unknown)}; editable: {', '.join(EDITABLE)}")
    row = conn.execute(
        select(C.state, C.settings).where(C.id == campaign.id).with_for_update()
    ).one()
    if row.state not in (m.ACTIVE, m.PAUSED):
        raise CampaignError(f"campaign {name!r} is {row.state}: nothing to edit")
    old = m.CampaignSettings.model_validate(row.settings)
    new = _edited(name, old, changes)
    done = [
        m.CampaignChange(
            at=now,
            actor=actor,
            action=m.EDITED,
            setting=key,
            old=_shown(key, getattr(old, key)),
            new=_shown(key, getattr(new, key)),
        )
        for key in EDITABLE
        if getattr(old, key) != getattr(new, key)
    ]
    if not done:
        return []
    values: dict[str, Any] = {"settings": new.model_dump(mode="json"), "flow": new.flow}
    if new.rate != old.rate:
        values["current_rate"] = new.rate
    conn.execute(update(CAMPAIGNS).where(C.id == campaign.id).values(**values))
    if (new.window, new.days) != (old.window, old.days):
        due = max(now, new.start) if new.start else now
        conn.execute(
            update(CONTACTS)
            .where(
                K.campaign_id == campaign.id,
                K.state == m.PENDING,
                K.attempts == 0,
                K.due_at > due,
            )
            .values(due_at=due, updated_at=now)
        )
    if new.attempts < old.attempts:
        conn.execute(
            update(CONTACTS)
            .where(
                K.campaign_id == campaign.id,
                K.state == m.PENDING,
                K.attempts >= new.attempts,
            )
            .values(state=m.ENDED, note=f"attempts lowered to {new.attempts}", updated_at=now)
        )
    for change in done:
        record(conn, campaign.id, now, actor, m.EDITED, change.setting, change.old, change.new)
    return done


def _edited(name: str, old: m.CampaignSettings, changes: Mapping[str, Any]) -> m.CampaignSettings:
    try:
        return m.CampaignSettings.model_validate({**old.model_dump(), **changes})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        where = f"{where}: " if where else ""
        raise CampaignError(f"campaign {name}: {where}{message}") from None
    except ConfigError as exc:
        raise CampaignError(f"campaign {name}: {exc}") from None


def record(
    conn: Connection,
    campaign_id: int,
    at: datetime,
    actor: str,
    action: str,
    setting: str | None = None,
    old: str | None = None,
    new: str | None = None,
) -> None:
    """Keep one thing done to a campaign, in the transaction that does it."""
    conn.execute(
        insert(CHANGES),
        {
            "campaign_id": campaign_id,
            "at": at,
            "actor": actor[:200],
            "action": action,
            "setting": setting,
            "old": old,
            "new": new,
        },
    )


def read_changes(conn: Connection, campaign_id: int) -> list[m.CampaignChange]:
    """What was done to a campaign, oldest first."""
    rows = conn.execute(
        select(H.at, H.actor, H.action, H.setting, H.old, H.new)
        .where(H.campaign_id == campaign_id)
        .order_by(H.id)
    ).all()
    return [
        m.CampaignChange(
            at=row.at,
            actor=row.actor,
            action=row.action,
            setting=row.setting,
            old=row.old,
            new=row.new,
        )
        for row in rows
    ]


def paused_wait(
    campaign: m.Campaign, changes: list[m.CampaignChange], zone: str, remaining: int
) -> m.Wait | None:
    """A paused campaign's wait: who paused it and when (None when it is not paused)."""
    if campaign.state != m.PAUSED:
        return None
    paused = [c for c in changes if c.action == m.STATE_ACTIONS[m.PAUSED]]
    detail = "paused"
    if paused:
        detail = f"paused by {paused[-1].actor} at {m.when(paused[-1].at, 'UTC')}"
    return m.Wait(m.WAIT_PAUSED, None, zone, remaining, detail)


def _shown(key: str, value: Any) -> str:
    """A setting's value as the CLI takes it: ``5/s``, ``1800s``, an ISO time, ``none``."""
    if value is None:
        return "none"
    if key == "rate":
        return rate_text(float(value))
    if key == "retry_after":
        return f"{float(value):g}s"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
