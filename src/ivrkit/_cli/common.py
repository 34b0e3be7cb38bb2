"""What every command shares: settings, the console, turning errors into one line."""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.text import Text

from ivrkit._config import Settings
from ivrkit.errors import ConfigError, IvrkitError, StoreNotFound

if TYPE_CHECKING:
    from ivrkit.store import Store

console = Console(highlight=False, soft_wrap=True)
"""Standard output. Lines never wrap (``soft_wrap``): lint, validate and --json output is read
by programs, and a pipe's default width of 80 columns would break it."""
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def settings(**overrides: Any) -> Settings:
    """Settings from env/.env with the given flags (None = not given) on top."""
    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**given)
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f".env is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset "
            f"{exc.start}): save it as UTF-8"
        ) from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first["loc"])
        raise IvrkitError(f"setting {name} (IVRKIT_{name.upper()}): {first['msg']}") from exc


def open_store_of(db: str | None, *, create: bool = False) -> Store:
    """The store ``--db`` (or IVRKIT_DB) names (:func:`ivrkit.store.open_store`); unless
    ``create``, only one that exists: a typo must not leave an empty database behind. The
    store keeps the analytics counters (a command may place a call or rebuild the projections)."""
    from ivrkit.analytics._folding import COUNTERS
    from ivrkit.store import open_store

    try:
        return open_store(settings(db=db).db, create=create, counters=COUNTERS)
    except StoreNotFound as exc:
        raise ConfigError(f"{exc}: check --db or IVRKIT_DB") from None


def existing_store_url(db: str | None) -> str:
    """The store URL ``--db`` (or IVRKIT_DB) names, refused when it names a SQLite file that
    does not exist (for commands that read the schema without opening the store)."""
    from ivrkit.store._engine import parse_store_url
    from ivrkit.store._sql import require_store_file

    url = settings(db=db).db
    try:
        require_store_file(parse_store_url(url))
    except StoreNotFound as exc:
        raise ConfigError(f"{exc}: check --db or IVRKIT_DB") from None
    return url


def _click_base(name: str) -> type[Exception]:
    """A class of the click that typer runs on, found through typer's public ``BadParameter``:
    typer up to 0.2x uses the installed click, later versions bundle their own copy, and
    exceptions of one are not instances of the other's classes."""
    for cls in typer.BadParameter.__mro__:
        if cls.__name__ == name:
            return cls
    raise LookupError(f"typer's click has no {name}")  # pragma: no cover


_CLICK_ERROR = _click_base("ClickException")
_USAGE_ERROR = _click_base("UsageError")
_CLICK = sys.modules[_CLICK_ERROR.__module__]
# typer's own Abort and Exit, and click's where that click still has them (they moved to typer)
_ABORT = tuple({typer.Abort, getattr(_CLICK, "Abort", typer.Abort)})
_EXIT = tuple({typer.Exit, getattr(_CLICK, "Exit", typer.Exit)})


def _one_line(text: str) -> str:
    return " ".join(text.split())


def run_app(app: typer.Typer | Callable[..., object], args: list[str] | None = None) -> int:
    """Run the app; every mistake ends as one line on stderr and an exit code, never a
    traceback (1: the command failed, 2: it was called wrongly, 130: interrupted).

    ``app`` may also be the click command ``typer.main.get_command`` built from the app: Typer
    builds it again on every call, which a process running many commands (the tests) skips."""
    try:
        result = app(args=args, standalone_mode=False)
    except IvrkitError as exc:
        _error(str(exc))
        return 1
    except _ABORT:
        _error("aborted")
        return 130
    except _EXIT as exc:
        return int(getattr(exc, "exit_code", 1))
    except _CLICK_ERROR as exc:
        return _usage(exc)
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        return _os_error(exc)
    return result if isinstance(result, int) else 0


def _usage(exc: Exception) -> int:
    code = int(getattr(exc, "exit_code", 2))
    if type(exc).__name__ == "NoArgsIsHelpError":
        # typer shows the help itself (rich) or leaves it in the message (plain click)
        text = str(getattr(exc, "format_message", lambda: "")())
        if text.strip():
            err_console.print(text, markup=False, highlight=False, soft_wrap=True)
        return code
    message = _one_line(str(getattr(exc, "format_message", lambda: str(exc))()))
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, _USAGE_ERROR) and ctx is not None:
        message += f" (see: {ctx.command_path} --help)"
    _error(message)
    return code


def _os_error(exc: OSError) -> int:
    """An error of the system the CLI itself meets, mostly writing its output (a full disk, a
    closed pipe); whatever Python still holds to write is dropped, or it would fail again."""
    _silence_stdout()
    if exc.errno == errno.EPIPE:
        return 1
    where = f" ({exc.filename})" if exc.filename else ""
    _error(f"{exc.strerror or exc}{where}")
    return 1


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def flush_output() -> int:
    """Flush stdout before exiting; a write that only fails now (a full disk) is one line too."""
    try:
        sys.stdout.flush()
    except OSError as exc:
        return _os_error(exc)
    return 0


def _error(message: str) -> None:
    try:
        err_console.print(Text.assemble(("error:", "bold red"), f" {message}"), soft_wrap=True)
    except OSError:
        pass  # stderr itself is gone: the exit code is all that is left


def configure_logging(
    verbose: bool, log_format: str = "text", *, deliveries: bool = False
) -> dict[str, Any]:
    """Configure this process's logging (with ``deliveries``, one line per webhook delivery);
    returns the options that make uvicorn log the same way (in each worker process too)."""
    from ivrkit import _logs as logs

    if log_format not in logs.LOG_FORMATS:
        raise ConfigError(f"--log-format takes 'text' or 'json', not {log_format!r}")
    level = "INFO" if verbose else "WARNING"
    chosen: logs.LogFormat = "json" if log_format == "json" else "text"
    logs.configure(chosen, level, deliveries=deliveries)
    return {"log_config": logs.log_config(chosen, level, deliveries=deliveries)}
