"""Audio files as the platform fetches them for `playFile`: downloaded when played, at most
5120 KB, and cached for an hour by URL (spec §4.3); a failure is the session's -2006."""

from __future__ import annotations

import asyncio

import httpx

__all__ = ["CACHE_SECONDS", "MAX_FILE_BYTES", "FileCache", "download_problem"]

MAX_FILE_BYTES = 5120 * 1024
CACHE_SECONDS = 3600.0


async def download_problem(client: httpx.AsyncClient, url: str, timeout: float) -> str | None:
    """None when ``url`` gives a file the platform can play, else what went wrong."""
    try:
        async with asyncio.timeout(timeout):
            async with client.stream("GET", url, follow_redirects=True) as response:
                if not 200 <= response.status_code < 300:
                    return f"HTTP {response.status_code}"
                size = 0
                async for chunk in response.aiter_raw(64 * 1024):
                    size += len(chunk)
                    if size > MAX_FILE_BYTES:
                        return f"the file is over {MAX_FILE_BYTES // 1024} KB"
    except (TimeoutError, httpx.TimeoutException):
        return f"no answer within {timeout:g}s"
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
        return f"could not download: {type(exc).__name__}: {exc}"
    return None


class FileCache:
    """URLs downloaded, each until when (simulated epoch seconds) its copy may be played, and
    the HTTP client that downloads them (made at the first download)."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}
        self._client: httpx.AsyncClient | None = None

    async def problem(self, url: str, timeout: float) -> str | None:
        """Download ``url`` as the platform does: None when it can be played."""
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=timeout)
        return await download_problem(self._client, url, timeout)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def fresh(self, url: str, now: float) -> bool:
        return self._until.get(url, 0.0) > now

    def add(self, url: str, now: float) -> None:
        self._until[url] = now + CACHE_SECONDS

    def clear(self) -> None:
        self._until.clear()
