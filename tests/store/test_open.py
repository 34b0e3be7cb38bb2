"""Opening stores: URLs, errors a person can act on, persistence, threads, and the public names."""

from __future__ import annotations

import importlib.util
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import ivrkit.store
from ivrkit.errors import StoreError
from ivrkit.store import Store, open_store
from ivrkit.store import _engine as store_engine
from tests.store.helpers import (
    plain_delivery,
    summary_delivery,
    summary_event,
    vca_delivery,
    vca_event,
    vca_update,
)


def test_the_public_names() -> None:
    assert set(ivrkit.store.__all__) == {
        "IN_PROGRESS",
        "Delivery",
        "LegRecord",
        "SessionRecord",
        "SessionUpdate",
        "Store",
        "SummaryRecord",
        "SummaryWrite",
        "VcaWrite",
        "open_store",
    }


def test_everything_survives_closing_and_reopening(store_url: str) -> None:
    first = open_store(store_url)
    try:
        event = vca_event(digits="7")
        answered, _ = first.record_vca(vca_delivery(event), vca_update(event))
        summary = summary_event("vss_vm_success.json")
        first.record_summary(summary_delivery(summary), summary)
        first.set_variables(event.payload.session_id, {"pin": "1234"})
    finally:
        first.close()

    again = open_store(store_url)
    try:
        assert again.find_answered(event.payload.event_id) == answered
        assert again.record_vca(vca_delivery(event), vca_update(event)) == (answered, False)
        session = again.session(event.payload.session_id)
        assert session is not None and session.digits == ["7"]
        assert again.record_summary(summary_delivery(summary), summary) is False
        assert again.variables(event.payload.session_id) == {"pin": "1234"}
        assert len(again.sessions()) == 2
    finally:
        again.close()


def test_a_closed_store_says_so(store_url: str) -> None:
    closed = open_store(store_url)
    closed.close()
    with pytest.raises(StoreError, match="closed"):
        closed.sessions()


def test_the_sqlite_file_and_its_folders_are_created(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "ivrkit.db"
    with open_store(f"sqlite:///{path}") as store:
        store.record_delivery(plain_delivery())
    assert path.is_file()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "not a database URL"),
        ("", "not a database URL"),
        ("mysql://root@localhost/ivrkit", "unsupported database 'mysql'"),
        ("sqlite+aiosqlite:///x.db", "unsupported SQLite driver"),
        # what IVRKIT_DB=sqlite:///$UNSET gives: SQLite would keep it all in memory
        ("sqlite:///", "'sqlite:///' names no file"),
        (" sqlite:/// ", "'sqlite:///' names no file"),
    ],
)
def test_a_bad_url_is_a_store_error(url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message) as caught:
        open_store(url)
    assert "sqlite:///" in str(caught.value)


def test_a_folder_or_a_foreign_file_is_not_a_sqlite_store(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open the SQLite database"):
        open_store(f"sqlite:///{tmp_path}")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database, just some text that is long enough" * 100)
    with pytest.raises(StoreError, match="cannot open the SQLite database"):
        open_store(f"sqlite:///{junk}")


def test_an_unreachable_postgresql_is_a_store_error_without_the_password() -> None:
    with pytest.raises(StoreError, match="cannot connect to PostgreSQL") as caught:
        open_store("postgresql://ivr:s3cret@127.0.0.1:1/ivrkit")
    assert "s3cret" not in str(caught.value)
    assert "127.0.0.1:1" in str(caught.value)


def test_postgres_urls_are_normalised_to_psycopg_3() -> None:
    for url in ("postgresql://u@h/db", "postgres://u@h/db", "postgresql+psycopg2://u@h/db"):
        assert store_engine.parse_store_url(url).drivername == "postgresql+psycopg"


def test_missing_psycopg_gives_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, *args: object) -> object:
        return None if name == "psycopg" else real_find_spec(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(StoreError) as caught:
        open_store("postgresql://postgres@127.0.0.1/test")
    assert str(caught.value) == "PostgreSQL support needs: pip install 'ivrkit[postgres]'"


def test_an_in_memory_store_is_one_database_for_every_thread() -> None:
    with open_store("sqlite://") as store:
        barrier = threading.Barrier(8)

        def work(n: int) -> None:
            barrier.wait()
            for k in range(20):
                ev = vca_event(event_id=f"{n}-{k}", session_id=f"s{n}", digits=str(k))
                store.record_vca(vca_delivery(ev), vca_update(ev))
                store.sessions()

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(work, range(8)))

        def read() -> list[str]:
            return [s.session_id for s in store.sessions()]

        with ThreadPoolExecutor(1) as pool:
            seen = pool.submit(read).result()
        assert sorted(seen) == [f"s{n}" for n in range(8)]
        session = store.session("s3")
        assert session is not None
        assert session.digits == [str(k) for k in range(20)]


def test_many_threads_write_one_file_store_at_once(store: Store) -> None:
    barrier = threading.Barrier(8)

    def work(n: int) -> None:
        barrier.wait()
        for k in range(15):
            ev = vca_event(event_id=f"{n}-{k}", session_id=f"s{n}", digits=str(k))
            store.record_vca(vca_delivery(ev), vca_update(ev))

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(work, range(8)))

    assert len(store.sessions()) == 8
    assert len(store.deliveries(limit=1000)) == 8 * 15
    for n in range(8):
        session = store.session(f"s{n}")
        assert session is not None
        assert session.digits == [str(k) for k in range(15)]


def _synchronous(store: Store) -> int:
    with store.reading() as conn:
        return int(conn.exec_driver_sql("PRAGMA synchronous").scalar_one())


def test_a_sqlite_store_syncs_every_commit_to_disk_when_its_url_asks(tmp_path: Path) -> None:
    # PRAGMA synchronous: 1 is NORMAL (the default), 2 is FULL.
    with open_store(f"sqlite:///{tmp_path / 'normal.db'}") as normal:
        assert _synchronous(normal) == 1
    full_url = f"sqlite:///{tmp_path / 'full.db'}?synchronous=FULL"
    with open_store(full_url) as full:
        assert _synchronous(full) == 2
        event = vca_event(event_id="e-full")
        assert full.record_vca(vca_delivery(event), vca_update(event))[1]
    assert (tmp_path / "full.db").exists() and not (tmp_path / "full.db?synchronous=FULL").exists()
    with open_store(full_url) as again:  # reopened: the same file, the same setting
        assert again.find_answered("e-full") is not None
        assert _synchronous(again) == 2


def test_a_synchronous_setting_sqlite_does_not_take_is_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'off.db'}?synchronous=off"
    with pytest.raises(
        StoreError, match="synchronous='off' .* is not one of normal, full"
    ) as caught:
        open_store(url)
    assert "\n" not in str(caught.value)
    assert not (tmp_path / "off.db").exists()  # refused before anything was made
