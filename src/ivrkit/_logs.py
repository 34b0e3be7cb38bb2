"""Log lines for operators: plain text, or one JSON object per line that carries the ids of the
delivery being handled (``sessionId``, ``eventId``, ``clientActionId``) on every line."""

from __future__ import annotations

import json
import logging
import logging.config
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal

from ivrkit._masking import mask_numbers_in

LogFormat = Literal["text", "json"]
LOG_FORMATS: tuple[LogFormat, ...] = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
DELIVERIES = "ivrkit.deliveries"
"""The logger of the one line per webhook delivery (INFO): shown by `ivrkit serve` unless
``--quiet``; its JSON form carries the delivery's fields under their wire names."""


class DeliveryIds:
    """The ids of the delivery a task is handling; filled in as the body is parsed."""

    __slots__ = ("client_action_id", "event_id", "session_id")

    def __init__(self) -> None:
        self.session_id: str | None = None
        self.event_id: str | None = None
        self.client_action_id: str | None = None


current_delivery: ContextVar[DeliveryIds | None] = ContextVar(
    "ivrkit_current_delivery", default=None
)
"""Set by the webhook pipeline for the time it handles one delivery (threads it starts with
``anyio.to_thread`` see it too)."""


class MaskNumbers(logging.Filter):
    """Masks the phone numbers in every line (:func:`ivrkit._masking.mask_numbers_in`): a log
    keeps no more of a number than the dashboard or a report shows."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_numbers_in(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message"}``, the delivery's ids while one is handled, and
    ``exception`` with the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        ids = current_delivery.get()
        if ids is not None:
            line["sessionId"] = ids.session_id
            line["eventId"] = ids.event_id
            line["clientActionId"] = ids.client_action_id
        fields = getattr(record, "delivery", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def log_config(
    log_format: LogFormat, level: str = "WARNING", *, deliveries: bool = False
) -> dict[str, Any]:
    """A :func:`logging.config.dictConfig` configuration: every logger (ivrkit's, uvicorn's) writes
    to standard error in ``log_format``; with ``deliveries``, one line per webhook delivery as
    well (:data:`DELIVERIES` at INFO, whatever ``level``). Also usable as uvicorn's
    ``log_config``, which applies it in each worker process."""
    formatter: dict[str, Any] = (
        {"()": f"{__name__}.JsonFormatter"} if log_format == "json" else {"format": TEXT_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"ivrkit": formatter},
        "filters": {"numbers": {"()": f"{__name__}.MaskNumbers"}},
        "handlers": {
            "ivrkit": {
                "class": "logging.StreamHandler",
                "formatter": "ivrkit",
                "filters": ["numbers"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["ivrkit"], "level": level.upper()},
        # uvicorn's loggers keep no handlers of their own: their lines go through the root's.
        "loggers": {
            **{
                name: {"handlers": [], "propagate": True}
                for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
            },
            DELIVERIES: {"level": "INFO" if deliveries else "WARNING", "propagate": True},
        },
    }


def configure(log_format: LogFormat, level: str = "WARNING", *, deliveries: bool = False) -> None:
    """Configure logging of this process (see :func:`log_config`)."""
    logging.config.dictConfig(log_config(log_format, level, deliveries=deliveries))
