"""What several commands share: the common options and the Voice API account check."""

from __future__ import annotations

from typing import Annotated

import typer

from ivrkit.errors import ConfigError

FlowOpt = Annotated[str | None, typer.Option("--flow", help="IVR tree file (default: simple_ivr).")]
DbOpt = Annotated[
    str | None, typer.Option("--db", help="Store URL: sqlite:///file or postgresql://…")
]
MAX_LIMIT = 1_000_000
"""Most sessions one listing may ask for (a number the database can take, whatever it is)."""
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def require_account(api_key: str | None, subaccount: str | None) -> tuple[str, str]:
    if not api_key:
        raise ConfigError("no API key: set IVRKIT_API_KEY (or put it in .env)")
    if not subaccount:
        raise ConfigError("no subaccount: set IVRKIT_SUBACCOUNT (or put it in .env)")
    return api_key, subaccount
