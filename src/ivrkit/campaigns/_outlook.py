"""What a campaign waits for and when it will be through: the next contact due (a calling
window's opening, a retry, the start), what holds the calls due now (pacing, a 429, the
concurrency limit), and an ETA that walks the calling windows of every zone at the campaign's
pace rather than dividing by a rate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, case, func, select

from ivrkit.campaigns import _model as m
from ivrkit.campaigns._claims import SLOTS_AHEAD
from ivrkit.campaigns._tables import CONTACTS, A, C, K
from ivrkit.campaigns._windows import CallingWindow

__all__ = ["Outlook", "outlook", "rate_text"]

MOST_GROUPS = 2000
"""Most (zones, due time) groups of pending contacts read; later ones join the last group."""
MOST_STEPS = 20_000
HORIZON = timedelta(days=400)
RECENT_CALLS = 200
"""Ended attempts whose length estimates how long a call holds a place of the concurrency."""
SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class Group:
    """Pending contacts in the same zones, due at the same time."""

    zones: tuple[str, ...]
    due: datetime
    count: int
    retried: int
    """How many have been called before (they wait for a retry)."""


@dataclass(frozen=True)
class Outlook:
    next_due: datetime | None
    zone: str
    wait: m.Wait | None
    eta: datetime | None


def rate_text(rate: float) -> str:
    """Calls per second as a person writes them: ``5/s``, ``30/m``, ``2/h``."""
    if rate >= 1:
        return f"{rate:.6g}/s"
    if rate * 60 >= 1:
        return f"{rate * 60:.6g}/m"
    return f"{rate * 3600:.6g}/h"


def outlook(
    conn: Connection,
    campaign: m.Campaign,
    now: datetime,
    wall_now: datetime,
    *,
    with_eta: bool = True,
) -> Outlook:
    """The campaign's next due time, what it waits for and (``with_eta``) its ETA, at ``now``
    (business time; ``wall_now`` is the time pacing slots and holds are counted in)."""
    s = campaign.settings
    row = conn.execute(
        select(C.current_rate, C.next_slot_at, C.hold_until).where(C.id == campaign.id)
    ).one()
    groups = [
        Group(_zones(g.timezones), g.due_at, int(g.n), int(g.retried or 0))
        for g in conn.execute(
            select(
                K.timezones,
                K.due_at,
                func.count().label("n"),
                func.sum(case((K.attempts > 0, 1), else_=0)).label("retried"),
            )
            .where(K.campaign_id == campaign.id, K.state == m.PENDING)
            .group_by(K.timezones, K.due_at)
            .order_by(K.due_at)
            .limit(MOST_GROUPS + 1)
        )
    ]
    if len(groups) > MOST_GROUPS:
        pending = conn.execute(
            select(func.count()).where(K.campaign_id == campaign.id, K.state == m.PENDING)
        ).scalar_one()
        seen = sum(g.count for g in groups[: MOST_GROUPS - 1])
        last = groups[MOST_GROUPS - 1]
        groups = [*groups[: MOST_GROUPS - 1], Group(last.zones, last.due, pending - seen, 0)]
    busy = int(
        conn.execute(
            select(func.count()).where(
                K.campaign_id == campaign.id, K.state.in_([m.CLAIMED, m.CALLING])
            )
        ).scalar_one()
    )
    lengths = conn.execute(
        select(A.placed_at, A.ended_at)
        .join(CONTACTS, K.id == A.contact_id)
        .where(K.campaign_id == campaign.id, A.state == m.ATTEMPT_ENDED, A.session_id.is_not(None))
        .order_by(A.id.desc())
        .limit(RECENT_CALLS)
    ).all()
    seconds = [(e - p).total_seconds() for p, e in lengths if e is not None and e > p]
    pace = max(float(row.current_rate), s.rate * 0.01)
    if seconds:
        pace = min(pace, s.max_concurrent / (sum(seconds) / len(seconds)))
    window = s.calling_window()
    start = max(now, s.start) if s.start else now
    nexts = _next_openings(groups, window, start)
    if campaign.state == m.PAUSED:
        next_due, zone = _first(nexts, groups)
        return Outlook(next_due, zone, None, None)
    if campaign.state != m.ACTIVE:
        return Outlook(None, "UTC", None, None)
    next_due, zone = _first(nexts, groups)
    wait = _wait(campaign, groups, nexts, now, wall_now, row, busy, next_due, zone)
    if not with_eta:
        return Outlook(next_due, zone, wait, None)
    eta = _eta(groups, window, pace, start, s.end) if groups else now
    if eta is not None and s.end is not None:
        eta = min(eta, s.end)
    return Outlook(next_due, zone, wait, eta)


def _zones(text: str) -> tuple[str, ...]:
    return tuple(zone for zone in text.split(",") if zone) or ("UTC",)


def _next_openings(
    groups: list[Group], window: CallingWindow, start: datetime
) -> list[datetime | None]:
    """When each group may be called first (None: never, its zones share no window)."""
    return [window.next_open(max(g.due, start), g.zones) for g in groups]


def _first(nexts: list[datetime | None], groups: list[Group]) -> tuple[datetime | None, str]:
    found = [(at, g.zones[0]) for at, g in zip(nexts, groups, strict=True) if at is not None]
    if not found:
        return None, groups[0].zones[0] if groups else "UTC"
    return min(found)


def _wait(
    campaign: m.Campaign,
    groups: list[Group],
    nexts: list[datetime | None],
    now: datetime,
    wall_now: datetime,
    row: Any,
    busy: int,
    next_due: datetime | None,
    zone: str,
) -> m.Wait | None:
    s = campaign.settings
    if not groups:
        if busy:
            return m.Wait(m.WAIT_CALLS, None, zone, busy, f"{busy} call(s) in progress")
        return None
    if next_due is None:
        return m.Wait(m.WAIT_NOTHING, None, zone, sum(g.count for g in groups))
    if next_due <= now:
        if busy >= s.max_concurrent:
            detail = f"{busy} of {s.max_concurrent} calls in progress (--max-concurrent)"
            return m.Wait(m.WAIT_BUSY, None, zone, busy, detail)
        hold = row.hold_until
        if hold is not None and hold > wall_now:
            return m.Wait(m.WAIT_HOLD, hold, zone)
        slot = row.next_slot_at
        if slot is not None and (slot - wall_now).total_seconds() > SLOTS_AHEAD:
            rate = max(float(row.current_rate), s.rate * 0.01)
            return m.Wait(m.WAIT_PACING, slot, zone, 0, f"rate {rate_text(rate)}")
        return None
    due = [g for at, g in zip(nexts, groups, strict=True) if at is not None and at == next_due]
    count = sum(g.count for g in due)
    first = due[0]
    ready = max(first.due, now)
    if next_due - ready >= SECOND or not s.calling_window().is_open(next_due - SECOND, first.zones):
        kind = m.WAIT_WINDOW
    elif any(g.retried for g in due):
        kind = m.WAIT_RETRY
    else:
        kind = m.WAIT_START
    return m.Wait(kind, next_due, zone, count, s.calling_window().describe())


@dataclass
class _Queued:
    due: datetime
    left: float


def _eta(
    groups: list[Group],
    window: CallingWindow,
    rate: float,
    start: datetime,
    end: datetime | None,
) -> datetime | None:
    """When the last pending contact is called once, placing ``rate`` calls a second while
    its window is open in all its zones; None when the walk passes the horizon. Contacts whose
    zones share no window are left out (they end as no-window)."""
    queues: dict[tuple[str, ...], list[_Queued]] = {}
    for g in groups:
        queues.setdefault(g.zones, []).append(_Queued(g.due, float(g.count)))
    for items in queues.values():
        items.sort(key=lambda item: item.due)
    t = start
    for _ in range(MOST_STEPS):
        if t - start > HORIZON:
            return None
        if end is not None and t >= end:
            return end
        live = {zones: items for zones, items in queues.items() if items}
        if not live:
            return t
        events: list[datetime] = []
        open_now: list[_Queued] = []
        for zones, items in live.items():
            if window.is_open(t, zones):
                events.append(window.closes_at(t, zones))
                open_now += [item for item in items if item.due <= t]
                events += [item.due for item in items if item.due > t][:1]
            else:
                opens = window.next_open(max(t, items[0].due), zones)
                if opens is None:
                    queues[zones] = []  # never callable: these end as no-window
                    continue
                events.append(opens)
        available = sum(item.left for item in open_now)
        horizon = min(events) if events else None
        if available <= 0:
            if horizon is None:
                return t
            t = max(horizon, t)
            continue
        needed = timedelta(seconds=available / rate)
        if horizon is None or t + needed <= horizon:
            for item in open_now:
                item.left = 0.0
            t = t + needed
        else:
            room = rate * (horizon - t).total_seconds()
            for item in open_now:
                took = min(room, item.left)
                item.left -= took
                room -= took
            t = horizon
        for zones in live:
            queues[zones] = [item for item in queues[zones] if item.left > 1e-9]
    return None
