"""``ivrkit campaign run``: one worker calling a campaign's contacts until it is done.

Each round the worker ends the attempts whose summary arrived, claims the contacts due now
(inside their window, within the concurrency limit and the shared pacing slots) and calls them
at their slots. Any number of workers share a campaign on PostgreSQL; SQLite allows one.

An attempt is recorded (with the clientRequestId it sends) before Send Callflow. A worker
killed at any instant leaves either a claim (it expires; another worker takes the contact) or
an attempt being placed, which another worker settles once the dead one's lease has passed: by
the session the store recorded for its clientRequestId (the Send Callflow answer, or the summary
echoing it), else, after ``placing_grace`` with no trace, as never placed. So nobody is called
twice for one attempt. A live worker settles only its own attempts, each round's in one
transaction, so workers do not race each other for the same rows.
"""

from __future__ import annotations

import logging
import math
import os
import random
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from ivrkit._callback import send_callback
from ivrkit._clock import Clock, SystemClock
from ivrkit.campaigns import _model as m
from ivrkit.campaigns import _policy as policy
from ivrkit.campaigns._attempts import Attempts, Ending, OpenAttempt
from ivrkit.campaigns._catalog import CampaignStore
from ivrkit.campaigns._claims import Claims
from ivrkit.campaigns._leases import Leases
from ivrkit.client import VoiceClient
from ivrkit.errors import (
    ApiError,
    AuthenticationError,
    CallflowRejected,
    NotFoundError,
    RateLimited,
    ValidationFailed,
)
from ivrkit.store import IN_PROGRESS
from ivrkit.store._records import OutboundCall
from ivrkit.trees import Tree

log = logging.getLogger("ivrkit.campaigns")

HEARTBEAT_SECONDS = 5.0
SENDERS = 32
"""Send Callflow requests one worker has in flight at once (each waits for its slot)."""
RELEASE = "<release>"
"""A contact not called because a 429 held the campaign before its slot."""
POLL_SECONDS = 0.05
LONGEST_POLL = 0.25
MAX_HOLD_SECONDS = 900.0
"""Longest a 429's Retry-After holds the campaign (then it asks again, at half the rate)."""
CATCH_UP_EVERY = 1.0
"""Seconds between two rounds that catch the store's projections up with its log before
settling, by at most :data:`CATCH_UP_ROWS` rows. The webhook server projects its log (within a
second while it is busy, as it chooses to answer first): a worker catching up in full at every
round did that work in the server's stead, in contention with it and with the other workers.
A little now and then still settles the calls of a log no server projects (one stopped before
projecting what it wrote)."""
CATCH_UP_ROWS = 200
LOOK_EVERY = 1.0
"""Seconds between two looks at what an idle worker waits for."""
SHORT_WAIT = 5.0
"""A timed wait shorter than this (a pacing slot at a few calls a second) is not told."""
QUIET_KINDS = (m.WAIT_BUSY, m.WAIT_CALLS)
"""Waits that come and go with every call: placing a call after them is not news."""
ARITHMETIC = (OverflowError, ValueError, ArithmeticError)
"""What one contact's dates and waits can raise; it ends that contact, never the worker."""
"""Rounds that find nothing to do wait longer and longer, up to this: a worker waiting for a
busy webhook server's summaries must not take the CPU that server needs."""


Sent = tuple[str | None, datetime, OutboundCall | None]
"""What a sender did with one contact: the session id (None: no call; :data:`RELEASE`: given
back), when it sent, and the session to note in the store."""


@dataclass(frozen=True)
class RunResult:
    state: str
    """The campaign's state when the run stopped."""
    reason: str
    """done, cancelled, paused, idle or until."""
    calls_placed: int


class Runner:
    """One worker of one campaign.

    ``clock`` is business time (calling windows, due and retry times, ``until``); ``wall`` is
    the time every worker shares (leases, claims, pacing slots, grace periods), by default the
    campaign store's.
    """

    def __init__(
        self,
        campaigns: CampaignStore,
        name: str,
        client: VoiceClient,
        tree: Tree,
        *,
        clock: Clock | None = None,
        wall: Clock | None = None,
        worker: str | None = None,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.campaigns = campaigns
        self.name = name
        self.client = client
        self.tree = tree
        self.clock: Clock = clock or SystemClock()
        self.wall: Clock = wall or campaigns.wall
        self.claims = Claims(campaigns.store, self.wall)
        self.attempts = Attempts(campaigns.store, self.wall)
        self.leases = Leases(campaigns.store, self.wall)
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.rng = rng
        self.calls_placed = 0
        self._hold_until: datetime | None = None
        """After a 429: calls whose slot comes before this are given back, not sent."""
        self._pending: list[tuple[m.ClaimedContact, str, Future[Sent]]] = []
        self._settled = 0
        """Attempts the last :meth:`settle` placed, found not placed, or ended."""
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._pace_lock = threading.Lock()
        self._sent: deque[datetime] = deque()
        self._told: tuple[str, datetime | None] | None = None
        """The last wait told to ``on_wait`` (its kind and time)."""
        self._caught_up = -CATCH_UP_EVERY
        """When (``time.monotonic()``) a settling round last caught the projections up."""

    def run(
        self,
        *,
        until: datetime | None = None,
        stop_when_idle: bool = False,
        on_progress: Callable[[m.CampaignStatus], None] | None = None,
        progress_every: float = 0.5,
        on_wait: Callable[[m.Wait | None], None] | None = None,
        wait_while_paused: bool = False,
    ) -> RunResult:
        """Work until the campaign is done or cancelled, paused (once its calls in progress
        ended; with ``wait_while_paused`` the worker waits for a resume instead), ``until``
        (business time) passes, or, with ``stop_when_idle``, nothing is in progress and nothing
        is due now (nor will be, while paused).

        ``on_wait`` hears what the worker waits for (a :class:`~ivrkit.campaigns._model.Wait`)
        when it starts waiting and when the reason or its time changes, and None when it
        places calls again after a wait it was told."""
        repo = self.campaigns
        campaign = repo.get(self.name)
        campaign_id = campaign.id  # the name may pass to a new campaign once this one ends
        self._told = None
        looked = -LOOK_EVERY
        if campaign.state in (m.DONE, m.CANCELLED):
            return RunResult(campaign.state, campaign.state, 0)
        lease = campaign.settings.worker_lease
        self.leases.join(campaign, self.worker, socket.gethostname(), os.getpid(), lease)
        heartbeat = min(HEARTBEAT_SECONDS, lease / 3)
        beat = progress = time.monotonic()
        pause = POLL_SECONDS
        self._pool = ThreadPoolExecutor(max_workers=SENDERS, thread_name_prefix="ivrkit-campaign")
        try:
            while True:
                campaign = repo.get_by_id(campaign_id)
                if time.monotonic() - beat >= heartbeat:
                    self.leases.heartbeat(self.worker)
                    beat = time.monotonic()
                placed = self.collect(campaign)
                in_flight = self.settle(campaign)
                if on_progress is not None and time.monotonic() - progress >= progress_every:
                    on_progress(repo.status(campaign))
                    progress = time.monotonic()
                if campaign.state == m.DONE and not self._pending:
                    return self._result(campaign, "done")  # another worker finished it
                if campaign.state == m.CANCELLED and not in_flight:
                    return self._result(campaign, "cancelled")
                if campaign.state == m.PAUSED and not in_flight:
                    if not wait_while_paused or stop_when_idle:
                        return self._result(campaign, "paused")
                submitted = 0
                ended = until is not None and self.clock.now() >= until
                if campaign.state == m.ACTIVE and not ended:
                    claimed = self.claims.claim(campaign, self.worker, self.clock.now())
                    submitted = self.submit(campaign, claimed)
                    if not self._pending and self.claims.finish_if_done(campaign):
                        return self._result(repo.get_by_id(campaign_id), "done")
                now = self.clock.now()
                if until is not None and now >= until and not self._pending:
                    return self._result(campaign, "until")
                if placed or submitted or self._settled:
                    pause = POLL_SECONDS
                    if submitted and on_wait is not None and self._told is not None:
                        if self._told[0] not in QUIET_KINDS:
                            on_wait(None)
                            self._told = None
                else:
                    if on_wait is not None and time.monotonic() - looked >= LOOK_EVERY:
                        self._tell_wait(campaign, now, on_wait)
                        looked = time.monotonic()
                    idle = not self._pending and stop_when_idle and self.claims.idle(campaign, now)
                    if idle:
                        return self._result(campaign, "idle")
                    self.clock.sleep(pause)
                    pause = min(pause * 2, LONGEST_POLL)
        finally:
            self._pool.shutdown(wait=True)
            self.collect(repo.get_by_id(campaign_id))
            if on_progress is not None:
                on_progress(repo.status(repo.get_by_id(campaign_id)))
            self.leases.leave(self.worker)

    def _tell_wait(
        self, campaign: m.Campaign, now: datetime, on_wait: Callable[[m.Wait | None], None]
    ) -> None:
        """Tell ``on_wait`` what the worker waits for, if that is news: a new reason or time,
        and a timed wait long enough to notice."""
        wait = self.campaigns.waiting(campaign, now)
        if wait is None:
            return
        ref = self.wall.now() if wait.kind in (m.WAIT_PACING, m.WAIT_HOLD) else now
        if wait.until is not None and (wait.until - ref).total_seconds() < SHORT_WAIT:
            return
        if wait.key() != self._told:
            self._told = wait.key()
            on_wait(wait)

    def submit(self, campaign: m.Campaign, claimed: list[m.ClaimedContact]) -> int:
        """Record the attempts of claimed contacts and hand their calls to the senders, each
        to be sent at its slot; the number handed over."""
        started = self.attempts.start(campaign, claimed, self.worker)
        for contact, request_id in started:
            future = self._pool.submit(self._place_at_slot, campaign, contact, request_id)
            self._pending.append((contact, request_id, future))
        return len(started)

    def collect(self, campaign: m.Campaign) -> int:
        """Record what the senders finished, each step for all of them at once (the sessions,
        then the attempts); the calls placed."""
        # One pass: a sender finishing between two would leave both lists, its call unrecorded.
        done: list[tuple[m.ClaimedContact, str, Future[Sent]]] = []
        pending: list[tuple[m.ClaimedContact, str, Future[Sent]]] = []
        for item in self._pending:
            (done if item[2].done() else pending).append(item)
        if not done:
            return 0
        self._pending = pending
        sessions: list[tuple[str, str, datetime | None]] = []
        calls: list[OutboundCall] = []
        released: list[str] = []
        for _, request_id, future in done:
            try:
                session_id, sent, call = future.result()
            except ARITHMETIC as exc:
                self._failed(campaign, request_id, exc)
                continue
            if session_id is RELEASE:
                released.append(request_id)
            elif session_id is not None:
                sessions.append((request_id, session_id, sent))
            if call is not None:
                calls.append(call)
        # Before the attempts are marked placed: a placed attempt finds its session by id.
        self.campaigns.store.record_outbound_calls(calls)
        # A 429 held the campaign before their turn: they are called later.
        self.attempts.not_placed(
            campaign, released, due=self.clock.now(), note="held by a 429 before its turn"
        )
        self.attempts.placed(campaign, sessions)
        self.calls_placed += len(sessions)
        return len(sessions)

    def _place_at_slot(
        self, campaign: m.Campaign, contact: m.ClaimedContact, request_id: str
    ) -> Sent:
        self._wait_for(contact.slot)
        sent = self._spaced(campaign.settings.rate)
        if self._hold_until is not None and contact.slot < self._hold_until:
            return RELEASE, sent, None
        session_id, call = self.place(campaign, contact, request_id)
        return session_id, sent, call

    def place(
        self, campaign: m.Campaign, contact: m.ClaimedContact, request_id: str
    ) -> tuple[str | None, OutboundCall | None]:
        """Call one contact whose attempt is recorded; the session id when a call was placed,
        and the session to note in the store (the caller notes many at once)."""
        now = self.clock.now()
        try:
            response, call = send_callback(
                self.client,
                self.tree,
                contact.number,
                client_request_id=request_id,
                variables=contact.variables,
            )
        except RateLimited as exc:
            # Retry-After is the platform's to say, within reason: 60 digits would overflow.
            asked = exc.retry_after if exc.retry_after is not None else 1.0
            hold = min(asked, MAX_HOLD_SECONDS)
            self._hold_until = self.wall.now() + timedelta(seconds=hold)
            self.attempts.not_placed(
                campaign, [request_id], due=now, note=f"429: held {hold:g}s", hold_seconds=hold
            )
            return None, None
        except (CallflowRejected, ValidationFailed) as exc:
            code = exc.status_code
            outcome = "invalid-number" if code == policy.INVALID_NUMBER else "rejected"
            self._refused(campaign, request_id, "NOT_CREATED", outcome, code, str(exc), now)
            return None, None
        except (AuthenticationError, NotFoundError):
            raise  # the account is wrong: every call would fail the same way
        except ApiError as exc:
            # 5xx or a lost connection: the call may exist. The attempt stays "placing" and is
            # settled by its trace (the summary echoing its clientRequestId) or the grace.
            log.warning("campaign %s: %s; settling the attempt later", self.name, exc)
            return None, None
        if response.session_id:
            return response.session_id, call
        self._refused(
            campaign,
            request_id,
            response.session_status,
            "rejected",
            response.status_code,
            response.status_message,
            now,
        )
        return None, None

    def _refused(
        self,
        campaign: m.Campaign,
        request_id: str,
        status: str | None,
        outcome: str,
        code: int | None,
        note: str | None,
        now: datetime,
    ) -> None:
        ending = Ending(
            client_request_id=request_id,
            state=m.ATTEMPT_ENDED,
            status=status,
            outcome=outcome,
            error_code=code,
            note=note,
            retry_at=None,
            counted=True,
        )
        self.attempts.end(campaign, [ending], now)

    def _failed(self, campaign: m.Campaign, request_id: str, exc: Exception) -> None:
        log.warning("campaign %s: attempt %s ended in error: %s", self.name, request_id, exc)
        self.attempts.end(campaign, [_error_ending(request_id, exc)], self.clock.now())

    def settle(self, campaign: m.Campaign) -> int:
        """End the attempts whose summary arrived (this worker's, and those of workers gone);
        the number still in progress."""
        s = campaign.settings
        now = self.clock.now()
        current = self.wall.now()
        mine = {request_id for _, request_id, _ in self._pending}
        catch_up = 0
        if time.monotonic() - self._caught_up >= CATCH_UP_EVERY:
            catch_up, self._caught_up = CATCH_UP_ROWS, time.monotonic()
        rows, open_count = self.attempts.to_settle(campaign, self.worker, catch_up=catch_up)
        endings: list[Ending] = []
        found: list[tuple[str, str, datetime | None]] = []
        lost: list[str] = []
        for row in rows:
            request_id = row.client_request_id
            if row.state == m.PLACING:
                if request_id in mine:  # this worker's sender records it, with its send time
                    continue
                if row.found_session is not None:
                    found.append((request_id, row.found_session, None))
                elif (current - row.placed_at).total_seconds() > s.placing_grace:
                    lost.append(request_id)
                continue
            try:
                endings.append(self._ending(campaign, row, now))
            except ARITHMETIC as exc:
                endings.append(_error_ending(request_id, exc))
        self.attempts.placed(campaign, found)
        self.attempts.not_placed(
            campaign,
            lost,
            due=now,
            note=f"no trace of the call {s.placing_grace:g}s after it was started",
        )
        self.attempts.end(campaign, endings, now)
        self._settled = len(found) + len(lost) + len(endings)
        return open_count - len(lost) - len(endings)

    def _ending(self, campaign: m.Campaign, row: OpenAttempt, now: datetime) -> Ending:
        """How a placed attempt whose session ended (or whose summary is overdue) ends."""
        s = campaign.settings
        if row.found_session is None or row.status == IN_PROGRESS:
            after = policy.retry(policy.UNKNOWN, row.attempts_before, s, now, self.rng)
            status, code, note = None, None, "no summary arrived"
        else:
            assert row.status is not None  # a session row always has a status
            after = policy.after_summary(
                status=row.status,
                label=row.outcome,
                pressed=row.pressed,
                error_code=row.error_code,
                attempts_before=row.attempts_before,
                settings=s,
                now=now,
                random=self.rng,
            )
            status, code, note = row.status, row.error_code, None
        return Ending(
            client_request_id=row.client_request_id,
            state=m.ATTEMPT_ENDED,
            status=status,
            outcome=after.outcome,
            error_code=code,
            note=note,
            retry_at=after.retry_at,
            counted=after.counted,
            slow_down=after.slow_down,
        )

    def _spaced(self, rate: float) -> datetime:
        """Wait until this worker's sends of the last window (one second, or 1/rate when that
        is longer) leave room for one more, and return the send time: senders that fell behind
        their slots catch up, yet no window ever holds more than ``rate`` calls."""
        window = max(1.0, 1.0 / rate)
        room = max(1, math.floor(rate * window))
        with self._pace_lock:
            now = self.wall.now()
            sent = self._sent
            while sent and (now - sent[0]).total_seconds() >= window:
                sent.popleft()
            if len(sent) >= room:
                self.wall.sleep(window - (now - sent[0]).total_seconds())
                sent.popleft()
                now = self.wall.now()
            sent.append(now)
        return now

    def _wait_for(self, slot: datetime) -> None:
        # Slots are at most a couple of seconds ahead (claims stop a second ahead of the
        # campaign's next slot); the bound only guards against a clock jump.
        pause = (slot - self.wall.now()).total_seconds()
        if pause > 0:
            self.wall.sleep(min(pause, 60.0))

    def _result(self, campaign: m.Campaign, reason: str) -> RunResult:
        return RunResult(campaign.state, reason, self.calls_placed)


__all__ = ["RunResult", "Runner"]


def _error_ending(request_id: str, exc: Exception) -> Ending:
    """An attempt whose own numbers could not be worked out (a date past 9999, a wait that
    overflows): it ends with outcome ``error`` and the reason, and the worker goes on."""
    return Ending(
        client_request_id=request_id,
        state=m.ATTEMPT_ENDED,
        status=None,
        outcome="error",
        error_code=None,
        note=f"cannot schedule this contact: {exc}"[:300],
        retry_at=None,
        counted=True,
    )
