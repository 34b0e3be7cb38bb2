"""What every page of the dashboard reads, kept in ``app.state.dashboard``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import jinja2
from starlette.requests import Request
from starlette.templating import Jinja2Templates

from ivrkit.analytics import Analytics
from ivrkit.dashboard._auth import LoginLimiter
from ivrkit.dashboard._browse import Browser
from ivrkit.dashboard._live import LiveFeed
from ivrkit.dashboard._settings import DashboardSettings
from ivrkit.dashboard._shared_limit import SharedLoginLimiter
from ivrkit.store import Store
from ivrkit.trees._model import TreeSpec

__all__ = ["Dashboard", "TreeLookup", "no_trees", "of"]

TreeLookup = Callable[[str], TreeSpec | None]
"""The tree a flow name stands for (to draw it), None when it is not known here."""


def no_trees(name: str) -> TreeSpec | None:
    return None


@dataclass
class Dashboard:
    """What every page reads: the store (through the browser and the analytics), the trees, the
    settings, the templates; kept in ``app.state.dashboard``."""

    store: Store
    settings: DashboardSettings
    trees: TreeLookup = no_trees
    browser: Browser = field(init=False)
    analytics: Analytics = field(init=False)
    feed: LiveFeed = field(init=False)
    limiter: LoginLimiter | SharedLoginLimiter = field(init=False)
    templates: Jinja2Templates = field(init=False)

    def __post_init__(self) -> None:
        self.browser = Browser(self.store)
        self.analytics = Analytics(self.store, clock=self.settings.clock)
        self.feed = LiveFeed(self.browser, self.settings)
        shared = self.settings.login_limit_dir
        attempts = self.settings.login_attempts
        self.limiter = (
            LoginLimiter(attempts) if shared is None else SharedLoginLimiter(shared, attempts)
        )
        env = jinja2.Environment(
            loader=jinja2.PackageLoader("ivrkit.dashboard", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        self.templates = Jinja2Templates(env=env)


def of(request: Request) -> Dashboard:
    dashboard: Dashboard = request.app.state.dashboard
    return dashboard
