"""Last line of defence for deliveries: when the store cannot take one in time, it is appended to
a local spool file (fsync'd) before the platform gets its answer, and replayed into the store as
soon as the store works again. A record the store refuses for what it holds goes to a quarantine
file beside the spool instead: kept and visible, never retried in a loop."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ivrkit.errors import StoreRefused
from ivrkit.store import Delivery, SessionUpdate, VcaWrite
from ivrkit.store._engine import parse_store_url, spool_path_of

log = logging.getLogger("ivrkit.server")


def spool_path_for(db_url: str) -> Path:
    """Where a server on the store at ``db_url`` spools deliveries: what
    :attr:`ivrkit.store.Store.spool_path` says, without opening the store."""
    return spool_path_of(parse_store_url(db_url))


class Spool:
    def __init__(self, path: Path) -> None:
        self.path = path
        name = path.name
        self.quarantine_path = path.with_name(
            name.replace(".spool", ".quarantine") if ".spool" in name else f"{name}.quarantine"
        )
        self._lock = threading.Lock()

    # -- writing -------------------------------------------------------------------------------

    def append(self, channel: str, body: str, headers: dict[str, str]) -> None:
        """Spool a raw delivery (what the server received, before deciding anything)."""
        self._append(self.path, _line(channel, body, headers, datetime.now(UTC)))

    def append_delivery(self, delivery: Delivery, write: VcaWrite | None = None) -> None:
        """Spool a delivery with what was answered and what it tells about its session, so
        that the replay stores exactly what a commit would have."""
        line = _line(delivery.channel, delivery.body, delivery.headers, delivery.received_at)
        line["delivery"] = {
            "http_status": delivery.http_status,
            "answer": delivery.answer,
            "outcome": delivery.outcome,
            "note": delivery.note,
            "event_id": delivery.event_id,
            "event_type": delivery.event_type,
            "session_id": delivery.session_id,
            "latency_ms": delivery.latency_ms,
            "version": delivery.version,
        }
        if write is not None and write.update is not None:
            line["update"] = {**asdict(write.update), "at": write.update.at.isoformat()}
            line["variables"] = dict(write.variables)
        self._append(self.path, line)

    def quarantine(self, delivery: Delivery, reason: str) -> None:
        """Keep a delivery the store refuses, with the reason (``ivrkit sessions`` warns)."""
        line = _line(delivery.channel, delivery.body, delivery.headers, delivery.received_at)
        line["reason"] = reason
        self._append(self.quarantine_path, line)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """This process's threads, and every other worker sharing the spool, one at a time:
        a replay rewrites the file, and must not lose a line appended meanwhile."""
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock_path = self.path.with_name(f"{self.path.name}.lock")
            with lock_path.open("a") as lock_file:
                fcntl.flock(lock_file, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(lock_file, fcntl.LOCK_UN)

    def _append(self, path: Path, line: dict[str, Any]) -> None:
        text = json.dumps(line) + "\n"
        with self._locked():
            with path.open("a", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())

    # -- reading -------------------------------------------------------------------------------

    def pending(self) -> int:
        """Deliveries waiting in the spool."""
        return _count(self.path)

    def quarantined(self) -> int:
        """Deliveries kept in the quarantine file."""
        return _count(self.quarantine_path)

    def replay(self, deliver: Callable[[dict[str, Any]], None], *, probe: bool = False) -> int:
        """Feed every spooled delivery to ``deliver``; keep the ones that fail for a reason that
        may pass, quarantine the ones the store refuses. Returns how many were delivered. With
        ``probe`` the first such failure keeps the rest untried (the store is still down: one
        try, one log line)."""
        if not self.path.exists():
            return 0
        with self._locked():
            if not self.path.exists():
                return 0
            lines = [ln for ln in self.path.read_text(encoding="utf-8").splitlines() if ln.strip()]
            kept: list[str] = []
            refused: list[str] = []
            done = 0
            for line in lines:
                if probe and kept:
                    kept.append(line)
                    continue
                try:
                    deliver(json.loads(line))
                    done += 1
                except StoreRefused as exc:
                    log.error("the store refuses a spooled delivery (%s); quarantined it", exc)
                    refused.append(_with_reason(line, str(exc)))
                except Exception:  # noqa: BLE001 - a spooled delivery must survive any failure
                    log.exception("could not replay a spooled delivery; it stays in %s", self.path)
                    kept.append(line)
            if refused:
                with self.quarantine_path.open("a", encoding="utf-8") as handle:
                    handle.write("".join(f"{line}\n" for line in refused))
                    handle.flush()
                    os.fsync(handle.fileno())
            if not kept:
                self.path.unlink(missing_ok=True)
            else:
                tmp = self.path.with_suffix(".tmp")
                with tmp.open("w", encoding="utf-8") as handle:
                    handle.write("".join(f"{line}\n" for line in kept))
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, self.path)
            _sync_folder(self.path.parent)
            return done


def spooled_delivery(item: dict[str, Any], note: str) -> tuple[Delivery, SessionUpdate | None]:
    """The delivery (and session update) a spool line holds; lines of older versions hold only
    the raw request."""
    fields: dict[str, Any] = item.get("delivery") or {}
    delivery = Delivery(
        channel=item["channel"],
        received_at=datetime.fromisoformat(item["received_at"]),
        body=item["body"],
        headers=item.get("headers", {}),
        http_status=fields.get("http_status", 200),
        answer=fields.get("answer"),
        outcome=fields.get("outcome", "replayed"),
        note="; ".join(filter(None, [fields.get("note"), note])),
        event_id=fields.get("event_id"),
        event_type=fields.get("event_type"),
        session_id=fields.get("session_id"),
        latency_ms=fields.get("latency_ms"),
        version=fields.get("version"),
    )
    update_fields = item.get("update")
    update = None
    if isinstance(update_fields, dict):
        update = SessionUpdate(
            **{**update_fields, "at": datetime.fromisoformat(update_fields["at"])}
        )
    return delivery, update


def _line(channel: str, body: str, headers: dict[str, str], at: datetime) -> dict[str, Any]:
    return {"channel": channel, "received_at": at.isoformat(), "headers": headers, "body": body}


def _with_reason(line: str, reason: str) -> str:
    try:
        item = json.loads(line)
        item["reason"] = reason
        return json.dumps(item)
    except ValueError:
        return line


def _count(path: Path) -> int:
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            return sum(1 for line in handle if line.strip())
    except FileNotFoundError:
        return 0
    except OSError:
        log.exception("cannot read %s", path)
        return 0


def _sync_folder(folder: Path) -> None:
    """Make a rename or unlink in ``folder`` survive a crash (where the OS allows it)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
