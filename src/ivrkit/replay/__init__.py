"""What-if replay: the callers a store recorded, played again against a changed tree through the
webhook server's own answering, and how their calls would end (:func:`replay_store`).

A replayed caller answers the N-th capture it hears with the keys recorded at the N-th capture
of the original call (the same keys at every try of that capture; a silence stays a silence),
whatever node now asks; once the recording runs out it hangs up during the next prompt. So a
caller who pressed 2 at a menu the new tree replaced presses 2 at whatever menu comes first,
and a caller who hung up during the third prompt hangs up during the third prompt again.

A session's old outcome is the one it recorded, unless that cannot be trusted (an answer was
the server's fallback, or the platform ended the call in error): then the version of the tree
that answered it, as the store kept it, is replayed too, and the comparison is between the two
replays.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from pydantic import ValidationError

from ivrkit.calendars import Switch
from ivrkit.errors import IvrkitError
from ivrkit.replay._behaviour import CallerBehaviour, behaviour_of
from ivrkit.replay._platform import Replayed, ReplayPlatform
from ivrkit.replay._recorded import recorded_sessions
from ivrkit.replay._report import Cell, ReplayReport, SessionChange, build_report
from ivrkit.store import Store
from ivrkit.store._calendars import SwitchStore
from ivrkit.store._versions import TreeVersions
from ivrkit.trees import Tree, TreeSpec
from ivrkit.trees._engine import Engine

__all__ = [
    "CallerBehaviour",
    "Cell",
    "ReplayPlatform",
    "ReplayReport",
    "Replayed",
    "SessionChange",
    "replay_callers",
    "replay_store",
]


def replay_callers(
    engine: Engine,
    callers: list[CallerBehaviour],
    *,
    switches: Mapping[str, Switch] | None = None,
) -> ReplayReport:
    """Replay ``callers`` against ``engine``'s tree and compare the outcomes."""
    platform = ReplayPlatform(engine, switches=switches)
    kept: list[CallerBehaviour] = []
    replayed: list[Replayed] = []
    skipped: list[tuple[str, str]] = []
    for caller in callers:
        try:
            replayed.append(platform.replay(caller))
        except (IvrkitError, ValueError) as exc:
            skipped.append((caller.session_id, _unplayable(exc)))
            continue
        kept.append(caller)
    report = build_report(engine.spec.name, engine.version, engine.spec.entry, kept, replayed)
    return replace(report, skipped=tuple(skipped))


def _unplayable(exc: Exception) -> str:
    said = " ".join(str(exc).split())[:200] or type(exc).__name__
    return f"cannot be replayed: {said}"


def replay_store(
    store: Store,
    engine: Engine,
    *,
    since: datetime | None = None,
    limit: int | None = None,
) -> ReplayReport:
    """Replay the ended sessions ``store`` recorded (started at ``since`` or later, the newest
    ``limit``) against ``engine``'s tree, with the calendars' switches that are on now."""
    callers: list[CallerBehaviour] = []
    unreadable: list[tuple[str, str]] = []
    for recorded in recorded_sessions(store, since=since, limit=limit):
        try:
            callers.append(behaviour_of(recorded))
        except (IvrkitError, ValueError) as exc:
            unreadable.append((recorded.record.session_id, _unplayable(exc)))
    switches = SwitchStore(store).closed() if engine.uses_calendars else None
    if not all(caller.trusted for caller in callers):
        callers = _replayed_old(store, engine, callers, switches)
    report = replay_callers(engine, callers, switches=switches)
    return replace(report, skipped=(*unreadable, *report.skipped))


def _replayed_old(
    store: Store,
    engine: Engine,
    callers: list[CallerBehaviour],
    switches: Mapping[str, Switch] | None,
) -> list[CallerBehaviour]:
    """``callers`` with the recorded outcome and path of each untrusted session replaced by a
    replay of the tree version that answered it (kept when the store lacks that version)."""
    platforms: dict[tuple[str, str], ReplayPlatform | None] = {}
    found: list[CallerBehaviour] = []
    for caller in callers:
        platform = None
        if not caller.trusted and caller.flow and caller.version:
            key = (caller.flow, caller.version)
            if key not in platforms:
                platforms[key] = _old_platform(store, engine, *key, switches)
            platform = platforms[key]
        if platform is None:
            found.append(caller)
            continue
        try:
            old = platform.replay(caller)
        except (IvrkitError, ValueError):
            found.append(caller)  # compared with its recorded outcome; its own replay says why
            continue
        found.append(replace(caller, outcome=old.outcome, path=old.path))
    return found


def _old_platform(
    store: Store,
    engine: Engine,
    flow: str,
    version: str,
    switches: Mapping[str, Switch] | None,
) -> ReplayPlatform | None:
    """A platform answering with the version of ``flow`` the store kept (None when it kept
    none, or it no longer loads as itself)."""
    try:
        kept = [v for v in TreeVersions(store).kept(flow) if v.version == version]
        if not kept:
            return None
        old = Tree(
            TreeSpec.model_validate_json(kept[0].spec),
            source=f"<{flow} version {version}>",
            hooks=engine.hooks,
            calendars=engine.calendars,
        )
    except (IvrkitError, ValidationError):
        return None
    if old.version != version:
        return None
    return ReplayPlatform(old, switches=switches)
