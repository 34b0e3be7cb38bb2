"""The login limit the workers of one server share: two limiters on one file count together,
concurrent tries cannot slip under the limit, and a file that fails never locks anyone out."""

from __future__ import annotations

import logging
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ivrkit.dashboard import _shared_limit
from ivrkit.dashboard._shared_limit import FILE_NAME, SharedLoginLimiter

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
CLIENT = "203.0.113.7"


def test_two_limiters_on_one_file_count_together(tmp_path: Path) -> None:
    first, second = SharedLoginLimiter(tmp_path, 3), SharedLoginLimiter(tmp_path, 3)
    assert [first.admit(CLIENT, NOW), second.admit(CLIENT, NOW), first.admit(CLIENT, NOW)] == [
        True,
        True,
        True,
    ]
    assert not second.admit(CLIENT, NOW)
    assert not first.admit(CLIENT, NOW + timedelta(seconds=59))
    assert second.admit("198.51.100.1", NOW)  # another client has its own count
    assert first.admit(CLIENT, NOW + timedelta(seconds=61))  # the window has passed


def test_a_right_token_on_one_clears_the_count_of_both(tmp_path: Path) -> None:
    first, second = SharedLoginLimiter(tmp_path, 2), SharedLoginLimiter(tmp_path, 2)
    assert first.admit(CLIENT, NOW) and first.admit(CLIENT, NOW)
    assert not second.admit(CLIENT, NOW)
    second.succeeded(CLIENT, NOW)
    assert first.admit(CLIENT, NOW)


def test_concurrent_tries_through_two_limiters_never_pass_the_limit(tmp_path: Path) -> None:
    limiters = [SharedLoginLimiter(tmp_path, 5), SharedLoginLimiter(tmp_path, 5)]
    with ThreadPoolExecutor(8) as pool:
        admitted = list(pool.map(lambda i: limiters[i % 2].admit(CLIENT, NOW), range(64)))
    assert admitted.count(True) == 5


def test_the_file_keeps_one_row_per_try_and_prunes_old_ones(tmp_path: Path) -> None:
    limiter = SharedLoginLimiter(tmp_path, 5)
    for second in range(4):
        limiter.admit(f"10.0.0.{second}", NOW + timedelta(seconds=second))
    limiter.admit("10.0.0.9", NOW + timedelta(seconds=62))  # three are a minute old or more
    limiter.close()
    with sqlite3.connect(tmp_path / FILE_NAME) as conn:
        rows = conn.execute("SELECT client FROM failures ORDER BY at").fetchall()
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert [client for (client,) in rows] == ["10.0.0.3", "10.0.0.9"]
    assert mode == "wal"


def test_a_flood_from_many_addresses_keeps_the_file_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_shared_limit, "MAX_ROWS", 50)
    limiter = SharedLoginLimiter(tmp_path, 5)
    for index in range(200):
        assert limiter.admit(f"10.0.{index // 256}.{index % 256}", NOW)
    limiter.close()
    with sqlite3.connect(tmp_path / FILE_NAME) as conn:
        (count,) = conn.execute("SELECT count(*) FROM failures").fetchone()
    assert count <= 50


@pytest.mark.parametrize("breakage", ["missing folder", "a file, not a folder", "not a database"])
def test_a_file_that_fails_falls_back_to_this_process(
    tmp_path: Path, breakage: str, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "shared"
    if breakage == "a file, not a folder":
        folder.write_text("")
    elif breakage == "not a database":
        folder.mkdir()
        (folder / FILE_NAME).write_bytes(b"this is not SQLite\n" * 100)
    caplog.set_level(logging.WARNING, logger="ivrkit.dashboard")
    limiter = SharedLoginLimiter(folder, 2)
    answers = [limiter.admit(CLIENT, NOW) for _ in range(3)]
    limiter.succeeded(CLIENT, NOW)
    after_success = limiter.admit(CLIENT, NOW)
    assert answers == [True, True, False]  # the limit of one process, never a lock-out
    assert after_success
    said = [r.getMessage() for r in caplog.records if "login limit" in r.getMessage()]
    assert len(said) == 1, said


def test_the_file_is_tried_again_a_window_later(tmp_path: Path) -> None:
    folder = tmp_path / "later"
    limiter = SharedLoginLimiter(folder, 2)
    assert limiter.admit(CLIENT, NOW)  # no folder yet: counted in this process
    folder.mkdir()
    other = SharedLoginLimiter(folder, 2)
    assert other.admit(CLIENT, NOW + timedelta(minutes=2))
    assert other.admit(CLIENT, NOW + timedelta(minutes=2))
    assert not limiter.admit(CLIENT, NOW + timedelta(minutes=2))  # reads the file again
