"""What every command shares: settings, the console, turning errors into one line."""

from __future__ import annotations

import logging
from typing import Any

import click
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.text import Text

from ivrkit.config import Settings
from ivrkit.errors import ConfigError, IvrkitError

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def settings(**overrides: Any) -> Settings:
    """Settings from env/.env with the given flags (None = not given) on top."""
    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first["loc"])
        raise IvrkitError(f"setting {name} (IVRKIT_{name.upper()}): {first['msg']}") from exc


def run_app(app: typer.Typer) -> int:
    try:
        result = app(standalone_mode=False)
    except IvrkitError as exc:
        err_console.print(Text.assemble(("error:", "bold red"), f" {exc}"), soft_wrap=True)
        return 1
    except click.exceptions.Abort:
        err_console.print("aborted")
        return 130
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    return result if isinstance(result, int) else 0


def configure_logging(verbose: bool, log_format: str = "text") -> dict[str, Any]:
    """Configure this process's logging; returns the options that make uvicorn log the same
    way (in each worker process too)."""
    from ivrkit import logs

    if log_format not in logs.LOG_FORMATS:
        raise ConfigError(f"--log-format takes 'text' or 'json', not {log_format!r}")
    level = "INFO" if verbose else "WARNING"
    if log_format == "text":
        logging.basicConfig(level=level, format=logs.TEXT_FORMAT)
        return {}
    logs.configure("json", level)
    return {"log_config": logs.log_config("json", level)}
