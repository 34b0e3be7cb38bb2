"""Reading a webhook body without trusting its size, and the headers kept with a delivery."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.requests import ClientDisconnect
from starlette.types import Receive

MAX_BODY_BYTES = 64 * 1024
"""Largest webhook body accepted; real events are a few hundred bytes."""

KEPT_HEADERS = ("content-type", "content-length", "user-agent", "x-forwarded-for", "x-request-id")
"""Headers recorded with each delivery; the Authorization value never is."""
KEPT_HEADER_CHARS = 256
"""Characters kept of one header value: a stranger's 60 KB User-Agent must not fill the store."""


class BodyTooLarge(Exception):
    def __init__(self, size: int, limit: int = MAX_BODY_BYTES) -> None:
        super().__init__(f"body of {size}+ bytes is over the {limit}-byte limit")
        self.size = size


async def read_body(receive: Receive, declared: bytes | None, limit: int = MAX_BODY_BYTES) -> bytes:
    """The whole body, or :class:`BodyTooLarge` as soon as it passes ``limit`` bytes
    (``declared``: the Content-Length header)."""
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(int(declared), limit)
    chunks: list[bytes] = []
    size = 0
    while True:  # the ASGI messages themselves: cheaper than Request.stream() on the hot path
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(size, limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


_KEPT = {name.encode(): name for name in KEPT_HEADERS}


def kept_headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """The headers recorded with a delivery (from the ASGI scope's raw list, names lower-case),
    each cut to :data:`KEPT_HEADER_CHARS`; of a repeated header, the first value."""
    kept: dict[str, str] = {}
    for key, value in raw:
        name = _KEPT.get(key)
        if name is not None:
            if name not in kept:
                kept[name] = value.decode("latin-1")
        elif key == b"authorization":
            kept["authorization"] = "(present)"
    for name, text in kept.items():
        if len(text) > KEPT_HEADER_CHARS:
            kept[name] = _cut(text)
    return kept


def _cut(value: str) -> str:
    if len(value) <= KEPT_HEADER_CHARS:
        return value
    return f"{value[:KEPT_HEADER_CHARS]}… ({len(value)} characters)"
