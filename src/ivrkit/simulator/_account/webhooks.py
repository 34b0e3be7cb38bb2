"""The webhook configuration of each subaccount: one URL per type, as the Webhooks API keeps it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ivrkit.wire import WebhookInfo, WebhookType

__all__ = ["Webhook", "WebhookRegistry"]


@dataclass(frozen=True)
class Webhook:
    type: WebhookType
    url: str
    auth_header: str | None = None
    enabled: bool = True

    def info(self) -> WebhookInfo:
        """How the API lists it: never the secret, only whether there is one."""
        return WebhookInfo(
            type=self.type,
            url=self.url,
            enabled=self.enabled,
            http_auth_header_available=bool(self.auth_header),
        )


class WebhookRegistry:
    """Webhooks by subaccount and type; registering a type again replaces it. ``on_change`` is
    called after each change (the simulator's state file saves them)."""

    def __init__(self) -> None:
        self._hooks: dict[str, dict[WebhookType, Webhook]] = {}
        self.last_vca_subaccount: str | None = None
        self.on_change: Callable[[WebhookRegistry], None] | None = None

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self)

    def set(self, sub_account_id: str, hook: Webhook) -> None:
        self._hooks.setdefault(sub_account_id, {})[hook.type] = hook
        if hook.type is WebhookType.VCA and hook.enabled:
            self.last_vca_subaccount = sub_account_id
        self._changed()

    def subaccounts(self) -> list[str]:
        """The subaccounts with a webhook, in the order they first registered one."""
        return [sub for sub, hooks in self._hooks.items() if hooks]

    def list(self, sub_account_id: str) -> list[Webhook]:
        hooks = self._hooks.get(sub_account_id, {})
        return [hooks[kind] for kind in WebhookType if kind in hooks]

    def delete(self, sub_account_id: str, kind: WebhookType) -> Webhook | None:
        removed = self._hooks.get(sub_account_id, {}).pop(kind, None)
        if removed is not None:
            self._changed()
        return removed

    def active(self, sub_account_id: str, kind: WebhookType) -> Webhook | None:
        """The enabled webhook of that type, if any: where the platform delivers."""
        hook = self._hooks.get(sub_account_id, {}).get(kind)
        return hook if hook is not None and hook.enabled else None

    def clear(self) -> None:
        self._hooks.clear()
        self.last_vca_subaccount = None
        self._changed()
