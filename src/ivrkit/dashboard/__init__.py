"""The web dashboard: calls, trees with their funnels, sessions and their timelines, campaigns,
live; served by ``ivrkit serve`` at ``/dashboard`` or alone by ``ivrkit dashboard``."""

from __future__ import annotations

from ivrkit.dashboard._app import PREFIX, create_dashboard, standalone_app
from ivrkit.dashboard._settings import DashboardSettings

__all__ = ["PREFIX", "DashboardSettings", "create_dashboard", "standalone_app"]
