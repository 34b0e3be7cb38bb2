"""Log lines for operators: plain text, or one JSON object per line that carries the ids of the
delivery being handled (``sessionId``, ``eventId``, ``clientActionId``) on every line."""

from __future__ import annotations

import json
import logging
import logging.config
import os
import threading
import weakref
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


class TextFormatter(logging.Formatter):
    """``TEXT_FORMAT``, with the time text made once a second rather than once a line."""

    def __init__(self, fmt: str = TEXT_FORMAT) -> None:
        super().__init__(fmt)
        self._second = -1
        self._time = ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's name
        second = int(record.created)
        if second != self._second:
            self._second, self._time = second, super().formatTime(record, "%Y-%m-%d %H:%M:%S")
        return f"{self._time},{int(record.msecs):03d}"


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


FLUSH_EVERY = 0.2
"""Most seconds a line below WARNING waits in :class:`BatchingStreamHandler` before it is
written."""
MOST_PENDING = 512
"""Lines a :class:`BatchingStreamHandler` holds at most before it writes them."""


class BatchingStreamHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler that writes lines in batches: a line below WARNING waits at most
    :data:`FLUSH_EVERY` seconds (or until :data:`MOST_PENDING` lines wait) and goes out with the
    others in one write; a WARNING or worse goes out at once, after the lines before it.

    A busy server logs a line per delivery. Written one by one, each line was a system call on
    the event loop's thread, which hands the interpreter lock to the commit thread for every
    line: measured at 40–80 µs of CPU a delivery, a fifth of the server's work. Batched, a line
    costs its formatting. Lines still waiting when the process is killed (``kill -9``) are lost;
    an orderly exit writes them (:func:`logging.shutdown` flushes every handler)."""

    def __init__(self, stream: Any = None) -> None:
        super().__init__(stream)
        self._pending: list[str] = []
        self._wake = threading.Event()
        self._closed = False
        self._flusher: threading.Thread | None = None
        _BATCHING.add(self)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + self.terminator
        except Exception:  # noqa: BLE001 - logging's own rule: a bad record never raises
            self.handleError(record)
            return
        self._pending.append(line)  # under the handler's lock (Handler.handle)
        if record.levelno >= logging.WARNING or len(self._pending) >= MOST_PENDING:
            self._write_pending()
        elif self._flusher is None:
            self._start_flusher()

    def flush(self) -> None:
        self.acquire()
        try:
            self._write_pending()
        finally:
            self.release()

    def close(self) -> None:
        self._closed = True
        self._wake.set()
        try:
            self.flush()
        finally:
            super().close()

    def _write_pending(self) -> None:
        """Write what waits, in one write (the caller holds the handler's lock)."""
        if self._pending:
            text, self._pending = "".join(self._pending), []
            try:
                self.stream.write(text)
            except (OSError, ValueError):  # the stream is gone (closed pipe, closed file)
                return
        if self.stream and hasattr(self.stream, "flush"):
            try:
                self.stream.flush()
            except (OSError, ValueError):
                pass

    def _start_flusher(self) -> None:
        self._flusher = threading.Thread(target=self._flush_now_and_then, daemon=True)
        self._flusher.name = "ivrkit-log-flusher"
        self._flusher.start()

    def _flush_now_and_then(self) -> None:
        while not self._closed:
            self._wake.wait(FLUSH_EVERY)
            if self._pending:
                self.flush()


_BATCHING: weakref.WeakSet[BatchingStreamHandler] = weakref.WeakSet()


def _after_fork() -> None:
    """A forked child has none of its parent's threads: its handlers start flushers anew."""
    for handler in list(_BATCHING):
        handler._flusher = None  # noqa: SLF001 - the module's own handlers


os.register_at_fork(after_in_child=_after_fork)


def log_config(
    log_format: LogFormat, level: str = "WARNING", *, deliveries: bool = False
) -> dict[str, Any]:
    """A :func:`logging.config.dictConfig` configuration: every logger (ivrkit's, uvicorn's) writes
    to standard error in ``log_format``; with ``deliveries``, one line per webhook delivery as
    well (:data:`DELIVERIES` at INFO, whatever ``level``). Also usable as uvicorn's
    ``log_config``, which applies it in each worker process."""
    formatter: dict[str, Any] = {
        "()": f"{__name__}.JsonFormatter" if log_format == "json" else f"{__name__}.TextFormatter"
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"ivrkit": formatter},
        "filters": {"numbers": {"()": f"{__name__}.MaskNumbers"}},
        "handlers": {
            "ivrkit": {
                "class": f"{__name__}.BatchingStreamHandler",
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
