"""`ivrkit webhooks register|list|delete`."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ivrkit._cli.common import console, settings
from ivrkit._cli.options import require_account
from ivrkit.errors import ConfigError
from ivrkit.wire import WebhookType

webhooks_app = typer.Typer(
    help="Register, list and delete the platform's webhooks.", no_args_is_help=True
)

ApiBaseOpt = Annotated[str | None, typer.Option(help="Voice API base URL.")]


def _kind(name: str) -> WebhookType:
    """A webhook type from the command line; an unknown one is a one-line error, before any
    request is sent."""
    try:
        return WebhookType(name.upper())
    except ValueError:
        choices = ", ".join(kind.value for kind in WebhookType)
        raise ConfigError(f"{name!r} is not a webhook type; use one of {choices}") from None


@webhooks_app.command("register")
def register(
    url: Annotated[
        str | None,
        typer.Option(help="Public base URL of `ivrkit serve`, e.g. https://ivr.example.com"),
    ] = None,
    webhook_secret: Annotated[
        str | None,
        typer.Option(
            "--webhook-secret", help="Sent back by the platform as the Authorization header."
        ),
    ] = None,
    types: Annotated[
        list[str] | None,
        typer.Option("--type", help="Webhook types to register (default VCA and VSS)."),
    ] = None,
    api_base: ApiBaseOpt = None,
) -> None:
    """Point the platform's VCA and VSS webhooks at this server."""
    from ivrkit.client import VoiceClient

    cfg = settings(public_url=url, webhook_secret=webhook_secret, api_base=api_base)
    if not cfg.public_url:
        raise ConfigError("no public URL: pass --url or set IVRKIT_PUBLIC_URL")
    kinds = [_kind(t).value for t in (types or ["VCA", "VSS"])]
    api_key, subaccount = require_account(cfg.api_key, cfg.subaccount)
    base = cfg.public_url.rstrip("/")
    with VoiceClient(api_key, subaccount, base_url=cfg.api_base) as client:
        for kind in kinds:
            client.create_webhook(
                kind, f"{base}/webhooks/{kind.lower()}", http_auth_header=cfg.webhook_secret
            )
            console.print(
                f"{kind} → {base}/webhooks/{kind.lower()}"
                f"{' (with auth header)' if cfg.webhook_secret else ''}"
            )


@webhooks_app.command("list")
def list_(
    api_base: ApiBaseOpt = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show the webhooks configured on the subaccount."""
    from ivrkit.client import VoiceClient

    cfg = settings(api_base=api_base)
    api_key, subaccount = require_account(cfg.api_key, cfg.subaccount)
    with VoiceClient(api_key, subaccount, base_url=cfg.api_base) as client:
        listing = client.list_webhooks()
    if as_json:
        console.print_json(json.dumps(listing.to_wire()))
        return
    for hook in listing.webhooks:
        auth = "auth header set" if hook.http_auth_header_available else "no auth header"
        state = "enabled" if hook.enabled else "disabled"
        console.print(f"{hook.type:4} {hook.url}  ({state}, {auth})")
    if not listing.webhooks:
        console.print("no webhooks configured")


@webhooks_app.command("delete")
def delete(
    kind: Annotated[str, typer.Argument(help="VCA, VSS, VCS, VRU or VNU.")],
    api_base: ApiBaseOpt = None,
) -> None:
    """Remove the webhook of one type."""
    from ivrkit.client import VoiceClient

    chosen = _kind(kind)
    cfg = settings(api_base=api_base)
    api_key, subaccount = require_account(cfg.api_key, cfg.subaccount)
    with VoiceClient(api_key, subaccount, base_url=cfg.api_base) as client:
        removed = client.delete_webhook(chosen)
    console.print(f"deleted {removed.type} → {removed.url}")
