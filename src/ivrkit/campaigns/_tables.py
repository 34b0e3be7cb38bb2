"""The campaign tables as the campaign modules read them: short names for their columns, and a
campaign row turned into a :class:`~ivrkit.campaigns._model.Campaign`."""

from __future__ import annotations

from typing import Any

from ivrkit.campaigns import _model as m
from ivrkit.store import _schema as schema

CAMPAIGNS = schema.campaigns
CONTACTS = schema.campaign_contacts
ATTEMPTS = schema.campaign_attempts
WORKERS = schema.campaign_workers
CHANGES = schema.campaign_changes

C = CAMPAIGNS.c
K = CONTACTS.c
A = ATTEMPTS.c
W = WORKERS.c
H = CHANGES.c
S = schema.sessions.c
DG = schema.session_digits.c

IN_CHUNK = 500
"""Most ids one ``IN (...)`` lists."""


def campaign_from_row(row: Any) -> m.Campaign:
    return m.Campaign(
        id=row["id"],
        name=row["name"],
        state=row["state"],
        settings=m.CampaignSettings.model_validate(row["settings"]),
        created_at=row["created_at"],
    )


def chunks(items: list[Any]) -> list[list[Any]]:
    """``items`` in lists of at most :data:`IN_CHUNK`."""
    return [items[start : start + IN_CHUNK] for start in range(0, len(items), IN_CHUNK)]


__all__ = ["campaign_from_row", "chunks"]
