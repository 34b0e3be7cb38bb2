"""The two documents that carry a callflow: the Send Callflow request and the answer to a VCA."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field

from ivrkit.errors import WrongLayerError
from ivrkit.wire._actions import Action, AnyAction
from ivrkit.wire._base import Outbound


def _actions_only(value: Any) -> Any:
    """Refuse, in one clear line, a model that is not a callflow action (a tree node, say)."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, BaseModel) and not isinstance(item, Action):
                kind = type(item)
                home = "ivrkit.trees" if kind.__module__.startswith("ivrkit.trees") else None
                name = f"{home or kind.__module__}.{kind.__qualname__}"
                raise WrongLayerError(
                    f"callflow[{index}] is {name}, not a callflow action: build actions with "
                    "ivrkit.say(...), ivrkit.hangup(), ivrkit.Say(...) and the like (tree nodes "
                    "such as ivrkit.trees.SayNode belong in a TreeSpec; a Tree turns them into "
                    "callflows)"
                )
    return value


ActionList = Annotated[list[AnyAction], BeforeValidator(_actions_only)]
"""The actions of a callflow, in order."""


def format_valid_until(moment: datetime) -> str:
    """Write a moment as the platform writes `validUntil`: ``YYYY-MM-DDTHH:MM:SS.SSSZ`` in UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_valid_until(text: str) -> datetime:
    """Read a `validUntil` value; seconds without milliseconds and explicit offsets are accepted.

    Raises ``ValueError`` for anything that is not an ISO 8601 date-time.
    """
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if "T" not in text.upper():
        raise ValueError(f"{text!r} has no time part")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class SendCallflowRequest(Outbound):
    """Body of ``POST /api/v1/subaccounts/{id}/callflows``: starts an outbound session.

    The first action must be `makeCall`. `clientRequestId` is not in the vendor's schema but is
    echoed in the session summary by the IVR docs (A16), so it is accepted and sent when given.
    """

    callflow: ActionList
    valid_until: str | None = Field(
        default=None, description="YYYY-MM-DDTHH:MM:SS.SSSZ; see format_valid_until()."
    )
    client_request_id: str | None = None


class Callflow(Outbound):
    """The body of a backend's HTTP 200 answer to a CALL_ACTION webhook.

    `clientActionId` is stored by the platform and echoed in the session's next CALL_ACTION, so
    it is where a stateless backend keeps its place in the menu tree.
    """

    callflow: ActionList
    client_action_id: str | None = None
