"""What a restarted simulator keeps: the webhooks registered through the Webhooks API, in a JSON
file written whole (a temporary file beside it, then a rename) after each change.

Only what a user registers through the platform's API is kept. The phones come back from
``--phones`` and the run-time settings from the command line's flags; calls, faults and the
phones' live scripts end with the process, as calls do on the platform.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ivrkit.errors import ConfigError
from ivrkit.simulator._account.webhooks import Webhook, WebhookRegistry
from ivrkit.wire import WebhookType

__all__ = ["SavedState"]

_FORMAT = 1


class SavedState:
    """The state file of one simulator: :meth:`load` fills a registry, :meth:`save` writes it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self, registry: WebhookRegistry) -> int:
        """Register the saved webhooks and say how many; no file is an empty state, a damaged
        one a ConfigError (one line: which file, what is wrong, what to do)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return 0
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"cannot read the simulator's state file {self.path}: {exc}"
            ) from None
        try:
            hooks = _parse(json.loads(text))
        except (ValueError, TypeError, KeyError) as exc:
            raise ConfigError(
                f"{self.path} is not a simulator state file ({_reason(exc)}): fix it, or delete "
                "it to start with no webhooks registered"
            ) from None
        for sub_account_id, hook in hooks:
            registry.set(sub_account_id, hook)
        return len(hooks)

    def save(self, registry: WebhookRegistry) -> None:
        """Write the registry's webhooks: the file is the old one or the new one, never half."""
        data = {
            "format": _FORMAT,
            "webhooks": {
                sub: [_dump(hook) for hook in registry.list(sub)] for sub in registry.subaccounts()
            },
        }
        folder = self.path.parent
        folder.mkdir(parents=True, exist_ok=True)
        # 0600 (mkstemp's mode): a webhook's Authorization value is a secret.
        handle, temporary = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=folder)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump(data, file, indent=2)
                file.write("\n")
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def _dump(hook: Webhook) -> dict[str, Any]:
    return {
        "type": hook.type.value,
        "url": hook.url,
        "authHeader": hook.auth_header,
        "enabled": hook.enabled,
    }


def _parse(data: Any) -> list[tuple[str, Webhook]]:
    if not isinstance(data, dict) or data.get("format") != _FORMAT:
        raise ValueError(f'expected an object with "format": {_FORMAT}')
    by_subaccount = data["webhooks"]
    if not isinstance(by_subaccount, dict):
        raise ValueError('"webhooks" is not an object of subaccounts')
    found: list[tuple[str, Webhook]] = []
    for sub, hooks in by_subaccount.items():
        if not isinstance(hooks, list):
            raise ValueError(f"the webhooks of {sub!r} are not a list")
        for entry in hooks:
            url, auth, enabled = entry["url"], entry.get("authHeader"), entry.get("enabled", True)
            if not isinstance(url, str) or not isinstance(enabled, bool):
                raise ValueError(f"a webhook of {sub!r} has no url or a bad enabled")
            if auth is not None and not isinstance(auth, str):
                raise ValueError(f"a webhook of {sub!r} has a bad authHeader")
            hook = Webhook(WebhookType(entry["type"]), url, auth_header=auth, enabled=enabled)
            found.append((sub, hook))
    return found


def _reason(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"{exc} is missing"
    if isinstance(exc, json.JSONDecodeError):
        return f"not JSON: {exc.msg} at line {exc.lineno}"
    return str(exc)
