"""Faults injected into a running simulator, so that IVR tests can meet what production meets.

Each fault is a count: the next N occasions it applies to get it, then it is used up. Delivery
faults apply to the webhook types in ``webhooks`` (CALL_ACTION only, unless told otherwise):

- ``late_answers``: the delivery is made and answered, but the answer counts as arriving after
  the platform's patience (its webhook timeout), so the platform retries with the same body and
  `eventId`; when every attempt is late the session ends with -2002 (CALL_ACTION) — exactly what
  a backend slower than the platform's timeout gets. ``webhook_timeout`` shortens that patience
  for real, for a backend that is really slow.
- ``duplicates``: a delivery that was answered is sent once more, the same bytes at once; the
  platform keeps the first answer.
- ``out_of_order``: a stale copy of the delivery is sent again after the session's next delivery
  of the same type (or after its summary, for the last one), so it arrives out of order.
- ``late_digits``: at the next N capture tries the caller's keys arrive after the capture's
  timeout (they are ignored, and the try fails as a timeout).
- ``hangup_in_flight``: the caller hangs up while the next N CALL_ACTION webhooks are in flight:
  the call ends at once, the summary goes out while the answer is still awaited, and the answer
  (whatever it says) is not executed.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ivrkit.simulator._base import ControlModel
from ivrkit.wire import WebhookType

__all__ = ["DeliveryFault", "FaultPlan"]

DeliveryFault = Literal["late_answers", "duplicates", "out_of_order"]
_COUNT = Field(default=0, ge=0, le=10_000)


class FaultPlan(ControlModel):
    """The faults still to inject (``PUT``/``GET``/``DELETE /sim/v1/faults``)."""

    webhooks: list[WebhookType] = Field(
        default_factory=lambda: [WebhookType.VCA],
        description="Webhook types the delivery faults apply to.",
    )
    late_answers: int = _COUNT
    webhook_timeout: float | None = Field(
        default=None,
        gt=0,
        le=600,
        description="Real seconds the platform waits for a webhook answer (overrides the config).",
    )
    duplicates: int = _COUNT
    out_of_order: int = _COUNT
    late_digits: int = _COUNT
    hangup_in_flight: int = _COUNT

    def take(self, fault: DeliveryFault, kind: WebhookType) -> bool:
        """Use one occurrence of a delivery fault for a webhook of type ``kind``, if any is left."""
        if kind not in self.webhooks or getattr(self, fault) <= 0:
            return False
        setattr(self, fault, getattr(self, fault) - 1)
        return True

    def take_call(self, fault: Literal["late_digits", "hangup_in_flight"]) -> bool:
        """Use one occurrence of a call fault, if any is left."""
        if getattr(self, fault) <= 0:
            return False
        setattr(self, fault, getattr(self, fault) - 1)
        return True
