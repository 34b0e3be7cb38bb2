"""The webhook server: answers the platform's CALL_ACTION webhooks from an IVR tree and records
every delivery and session summary."""

from ivrkit.server._app import create_app
from ivrkit.server._pipeline import WebhookPipeline

__all__ = ["WebhookPipeline", "create_app"]
