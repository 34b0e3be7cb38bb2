"""Voice API client: send callflows; webhooks, speech profiles, numbers, recordings, log exports.

:class:`VoiceClient` (blocking) and :class:`AsyncVoiceClient` are twins on one base that builds
every request and reads every answer; only sending and sleeping differ. Both check a callflow
with :mod:`ivrkit.rules` before sending it, retry what is worth retrying, and turn failures into
the :class:`ivrkit.errors.ApiError` tree.
"""

from ivrkit.client._async import AsyncVoiceClient
from ivrkit.client._base import (
    DEFAULT_BASE_URL,
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_JITTER,
    DEFAULT_MAX_DELAY,
    is_retryable,
)
from ivrkit.client._sync import VoiceClient

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_JITTER",
    "DEFAULT_MAX_DELAY",
    "AsyncVoiceClient",
    "VoiceClient",
    "is_retryable",
]
