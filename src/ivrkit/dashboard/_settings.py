"""How the dashboard is served: who may see it (a token, or a loopback bind), whether numbers are
shown whole, how often live views look at the store, the time zone times are shown in, and the
clock that decides what "today" is."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ivrkit.dashboard._zones import parse_zone

__all__ = ["DashboardSettings", "is_loopback", "wall_clock"]

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
MIN_POLL = 0.2
MAX_POLL = 10.0


def wall_clock() -> datetime:
    return datetime.now(UTC)


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` serves this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _host_name(host_header: str) -> str:
    """``example.com:8080`` → ``example.com``; ``[::1]:8080`` → ``::1``."""
    text = host_header.strip().lower()
    if text.startswith("["):
        return text[1:].partition("]")[0]
    return text.rpartition(":")[0] if text.count(":") == 1 else text


@dataclass(frozen=True, kw_only=True)
class DashboardSettings:
    """Everything the dashboard is told by ``ivrkit serve`` or ``ivrkit dashboard``."""

    host: str = "127.0.0.1"
    """The address the server binds: without a token, only a loopback bind serves the pages."""
    token: str | None = None
    """The login token (IVRKIT_DASHBOARD_TOKEN); None: no login, loopback binds only."""
    show_numbers: bool = False
    """Show phone numbers whole; by default only their last four digits."""
    poll_interval: float = 1.0
    """Seconds between two looks at the store by a live stream (0.2 to 10)."""
    stream_lifetime: float = 30.0
    """Seconds a live stream stays open before the browser reconnects (and resumes where it was):
    a server shutting down never waits longer than this for its streams."""
    max_streams: int = 500
    """Live streams open at once per process; one more is answered 503 (Retry-After)."""
    session_hours: float = 12.0
    """How long a login lasts."""
    login_attempts: int = 5
    """Failed logins a client may make per minute before it is refused (429)."""
    login_limit_dir: Path | None = None
    """A folder the processes of one server share (``ivrkit serve --workers N`` makes one): they
    count failed logins there together, so N workers allow ``login_attempts``, not N times it.
    None: this process counts alone."""
    allowed_hosts: frozenset[str] = frozenset()
    """Host names (besides localhost, the loopback addresses and the bound address) a browser
    may reach the dashboard by when no token protects it, such as an SSH tunnel's name."""
    timezone: str = "UTC"
    """The IANA zone times are shown in (and ranges without an offset read in) unless a viewer
    chooses another: ``Asia/Singapore``, ``America/New_York``."""
    clock: Callable[[], datetime] = field(default=wall_clock)
    """The time now (UTC, aware): "today", cookie expiry and login limits follow it."""

    def __post_init__(self) -> None:
        if self.token is not None and not self.token.strip():
            raise ValueError("the dashboard token is empty: give a long random string, or none")
        parse_zone(self.timezone)  # ZoneError (a ValueError) names it
        if not MIN_POLL <= self.poll_interval <= MAX_POLL:
            raise ValueError(
                f"the poll interval takes {MIN_POLL} to {MAX_POLL} seconds, "
                f"not {self.poll_interval}"
            )

    @property
    def served(self) -> bool:
        """Whether the pages are served at all: with a token, or on a loopback bind."""
        return self.token is not None or is_loopback(self.host)

    def host_allowed(self, host_header: str) -> bool:
        """Whether a request's ``Host`` names this machine (or an allowed name). Without a token
        a page on another name is a DNS rebinding: a web page whose name now points at
        127.0.0.1 would read the dashboard with the visitor's browser."""
        if self.token is not None:
            return True
        name = _host_name(host_header)
        return (
            name in LOOPBACK_NAMES
            or name.endswith(".localhost")
            or name == self.host.lower().strip("[]")
            or name in {allowed.lower() for allowed in self.allowed_hosts}
            or is_loopback(name)
        )

    @property
    def refusal(self) -> str:
        """Why the pages are not served (when :attr:`served` is False), in one line."""
        return (
            f"the dashboard is off: the server binds {self.host}, which is not loopback, and no "
            "token is set (set IVRKIT_DASHBOARD_TOKEN or pass a token, or bind 127.0.0.1)"
        )
