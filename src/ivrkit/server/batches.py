"""Writing what the webhooks tell, many records at a time, wherever the writer runs (a thread of
the server, or a process of its own): a refused batch is retried one record at a time, and a
record that still fails is appended to the spool file, never dropped."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from ivrkit.server.spool import Spool
from ivrkit.store import Delivery, SessionUpdate, Store
from ivrkit.wire import SessionSummaryEvent

log = logging.getLogger("ivrkit.server")

MAX_BATCH = 256


@dataclass
class VcaRecord:
    """A CALL_ACTION delivery (or any delivery with ``update`` None) and what it changes."""

    delivery: Delivery
    update: SessionUpdate | None = None
    variables: dict[str, str] = field(default_factory=dict)


class BatchWriter:
    def __init__(self, store: Store, spool: Spool | None) -> None:
        self.store = store
        self.spool = spool

    def write_vca(self, batch: list[VcaRecord]) -> None:
        if not batch:
            return
        try:
            self.store.record_vca_batch([(item.delivery, item.update) for item in batch])
            done = batch
        except Exception:  # noqa: BLE001 - fall back to one at a time, then to the spool
            log.warning("a batch of %d events failed; writing them one by one", len(batch))
            done = []
            for item in batch:
                try:
                    self.store.record_vca(item.delivery, item.update)
                    done.append(item)
                except Exception:  # noqa: BLE001
                    log.exception("could not store event %s; spooling it", item.delivery.event_id)
                    self._spool(item)
        for item in done:
            if item.variables and item.update is not None:
                try:
                    self.store.set_variables(item.update.session_id, item.variables)
                except Exception:  # noqa: BLE001
                    log.exception("could not store variables of %s", item.update.session_id)

    def write_summary(self, delivery: Delivery, event: SessionSummaryEvent) -> None:
        """Commit a summary; raises what the store raised (the caller spools it)."""
        self.store.record_summary(delivery, event)

    def _spool(self, item: VcaRecord) -> None:
        if self.spool is None:
            log.error("event lost, no spool configured: %s", item.delivery.body[:2000])
            return
        try:
            self.spool.append(item.delivery.channel, item.delivery.body, item.delivery.headers)
        except OSError:
            # The writer must live on: a dead writer would leave every later summary waiting.
            log.exception("event lost, the spool refused it too: %s", item.delivery.body[:2000])
