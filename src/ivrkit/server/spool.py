"""Last line of defence for session summaries: when the store cannot take one, it is appended
to a local spool file (fsync'd) before the platform gets its 200, and replayed into the store
when it works again. A summary is never dropped."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger("ivrkit.server")


class Spool:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def append(self, channel: str, body: str, headers: dict[str, str]) -> None:
        line = json.dumps(
            {
                "channel": channel,
                "received_at": datetime.now(UTC).isoformat(),
                "headers": headers,
                "body": body,
            }
        )
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line + "\n")
                handle.flush()
                os.fsync(handle.fileno())

    def pending(self) -> int:
        if not self.path.exists():
            return 0
        with self.path.open(encoding="utf-8") as handle:
            return sum(1 for line in handle if line.strip())

    def replay(self, deliver: Callable[[str, str, dict[str, str], datetime], None]) -> int:
        """Feed every spooled delivery to ``deliver``; keep the ones that still fail."""
        with self._lock:
            if not self.path.exists():
                return 0
            lines = [ln for ln in self.path.read_text(encoding="utf-8").splitlines() if ln.strip()]
            kept: list[str] = []
            done = 0
            for line in lines:
                try:
                    item = json.loads(line)
                    deliver(
                        item["channel"],
                        item["body"],
                        item.get("headers", {}),
                        datetime.fromisoformat(item["received_at"]),
                    )
                    done += 1
                except Exception:  # noqa: BLE001 - a spooled summary must survive any failure
                    log.exception("could not replay a spooled delivery; it stays in %s", self.path)
                    kept.append(line)
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
