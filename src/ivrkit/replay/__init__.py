"""What-if replay: the callers a store recorded, played again through the simulator against a
changed tree, and how their calls would end (:func:`replay_store`).

A replayed caller answers the N-th capture it hears with the keys recorded at the N-th capture
of the original call (the same keys at every try of that capture; a silence stays a silence),
whatever node now asks; once the recording runs out it hangs up during the next prompt. So a
caller who pressed 2 at a menu the new tree replaced presses 2 at whatever menu comes first,
and a caller who hung up during the third prompt hangs up during the third prompt again.
"""

from __future__ import annotations

from datetime import datetime

from ivrkit.replay.behaviour import CallerBehaviour, behaviour_of
from ivrkit.replay.platform import Replayed, ReplayPlatform, run_replay
from ivrkit.replay.recorded import recorded_sessions
from ivrkit.replay.report import Cell, ReplayReport, SessionChange, build_report
from ivrkit.store import Store
from ivrkit.trees.engine import Engine

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


def replay_callers(engine: Engine, callers: list[CallerBehaviour]) -> ReplayReport:
    """Replay ``callers`` against ``engine``'s tree and compare the outcomes."""
    replayed = run_replay(engine, callers)
    return build_report(engine.spec.name, engine.version, engine.spec.entry, callers, replayed)


def replay_store(
    store: Store,
    engine: Engine,
    *,
    since: datetime | None = None,
    limit: int | None = None,
) -> ReplayReport:
    """Replay the ended sessions ``store`` recorded (started at ``since`` or later, the newest
    ``limit``) against ``engine``'s tree."""
    callers = [
        behaviour_of(recorded) for recorded in recorded_sessions(store, since=since, limit=limit)
    ]
    return replay_callers(engine, callers)
