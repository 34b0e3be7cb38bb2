"""Audio files as the platform fetches them for `playFile`: downloaded when played, at most
5120 KB, and cached for an hour by URL (spec §4.3); a failure is the session's -2006."""

from __future__ import annotations

import aiohttp

__all__ = ["CACHE_SECONDS", "MAX_FILE_BYTES", "FileCache", "download_problem"]

MAX_FILE_BYTES = 5120 * 1024
CACHE_SECONDS = 3600.0


async def download_problem(client: aiohttp.ClientSession, url: str, timeout: float) -> str | None:
    """None when ``url`` gives a file the platform can play, else what went wrong."""
    try:
        async with client.get(
            url, timeout=aiohttp.ClientTimeout(total=timeout), allow_redirects=True
        ) as response:
            if not 200 <= response.status < 300:
                return f"HTTP {response.status}"
            size = 0
            async for chunk in response.content.iter_chunked(64 * 1024):
                size += len(chunk)
                if size > MAX_FILE_BYTES:
                    return f"the file is over {MAX_FILE_BYTES // 1024} KB"
    except TimeoutError:
        return f"no answer within {timeout:g}s"
    except (aiohttp.ClientError, ValueError) as exc:
        return f"could not download: {type(exc).__name__}: {exc}"
    return None


class FileCache:
    """URLs downloaded, each until when (simulated epoch seconds) its copy may be played."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}

    def fresh(self, url: str, now: float) -> bool:
        return self._until.get(url, 0.0) > now

    def add(self, url: str, now: float) -> None:
        self._until[url] = now + CACHE_SECONDS

    def clear(self) -> None:
        self._until.clear()
