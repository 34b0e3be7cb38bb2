"""Schema migrations on a real SQLite file and (with IVRKIT_TEST_POSTGRES_URL) a real PostgreSQL:
a store made before migrations upgrades in place with its data, revisions go down and up again,
and a store behind or ahead of this ivrkit is refused with what to run."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, MetaData, insert, select, text

from ivrkit.analytics import rebuild
from ivrkit.errors import StoreError, StoreSchemaError
from ivrkit.store import _migrate as migrate
from ivrkit.store import _schema as schema
from ivrkit.store import open_store
from ivrkit.store._engine import create_store_engine, parse_store_url
from tests.store import legacy_v1
from tests.store.helpers import (
    T0,
    summary_delivery,
    summary_event,
    vca_delivery,
    vca_event,
    vca_update,
)

pytestmark = pytest.mark.migrations

HEAD = migrate.head()


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    """Raw access to the test's database, as an operator's SQL client has it."""
    made = create_store_engine(parse_store_url(store_url))
    try:
        yield made
    finally:
        made.dispose()


def at(seconds: float) -> Any:
    return T0 + timedelta(seconds=seconds)


def make_legacy_store(engine: Engine) -> None:
    """A store as ivrkit made and filled it before migrations: its own DDL path (frozen copy),
    rows in every table, times, JSON and text beyond ASCII."""
    with engine.begin() as conn:
        legacy_v1.initialise(conn)
        conn.execute(
            insert(legacy_v1.sessions),
            [
                {
                    "session_id": "s-1",
                    "status": "COMPLETED",
                    "direction": "INBOUND",
                    "sub_account_id": "acme",
                    "customer": "+6512345678",
                    "flow": "simple_ivr",
                    "node": "main",
                    "answer_last_action": "SAY_AND_CAPTURE",
                    "summary_last_action": "HANGUP",
                    "started_at": at(0),
                    "ended_at": at(31.5),
                    "call_count": 1,
                    "error_code": None,
                    "error_message": None,
                    "client_request_id": "cr-1",
                    "request_id": "rq-1",
                    "updated_at": at(31.5),
                },
                {
                    "session_id": "s-2",
                    "status": "IN_PROGRESS",
                    "direction": "OUTBOUND",
                    "sub_account_id": None,
                    "customer": "+6598765432",
                    "flow": "restaurant",
                    "node": "menu",
                    "answer_last_action": None,
                    "summary_last_action": None,
                    "started_at": at(40),
                    "ended_at": None,
                    "call_count": None,
                    "error_code": -1013,
                    "error_message": "Invalid Callflow",
                    "client_request_id": None,
                    "request_id": None,
                    "updated_at": at(41),
                },
            ],
        )
        conn.execute(
            insert(legacy_v1.session_digits),
            [
                {"session_id": "s-1", "digits": "1", "at": at(5)},
                {"session_id": "s-1", "digits": "2#", "at": at(9)},
            ],
        )
        answered = {
            "channel": "vca",
            "received_at": at(5),
            "body": '{"payload":{"eventId":"ev-1","note":"café ☎"}}',
            "headers": {"content-type": "application/json", "x-note": "é"},
            "http_status": 200,
            "answer": '{"callflow":[{"action":"hangup"}]}',
            "outcome": "answered",
            "note": None,
            "event_id": "ev-1",
            "event_type": "CALL_ACTION",
            "session_id": "s-1",
            "answered_event_id": "ev-1",
        }
        conn.execute(
            insert(legacy_v1.deliveries),
            [
                answered,
                {
                    **answered,
                    "received_at": at(6),
                    "outcome": "duplicate",
                    "answered_event_id": None,
                },
                {
                    **answered,
                    "received_at": at(7),
                    "body": "{not json",
                    "http_status": 400,
                    "answer": None,
                    "outcome": "bad-json",
                    "note": "Expecting property name",
                    "event_id": None,
                    "event_type": None,
                    "session_id": None,
                    "answered_event_id": None,
                },
            ],
        )
        summary_id = conn.execute(
            insert(legacy_v1.summaries).returning(legacy_v1.summaries.c.id),
            {
                "session_id": "s-1",
                "session_status": "COMPLETED",
                "received_at": at(32),
                "payload": {"sessionId": "s-1", "legs": {"callerLeg": {"status": "DONE"}}},
                "version": 3,
            },
        ).scalar_one()
        conn.execute(
            insert(legacy_v1.legs),
            [
                {
                    "summary_id": summary_id,
                    "name": "callerLeg",
                    "call_id": "c-1",
                    "direction": "INBOUND",
                    "call_type": "PSTN",
                    "status": "DONE",
                    "source": "+6512345678",
                    "destination": "+6560000000",
                    "initiated_at": at(0),
                    "connected_at": at(1),
                    "disconnected_at": at(31),
                    "duration_seconds": 30,
                    "mos": 4.3,
                    "packet_loss_rate": 0.01,
                    "jitter": 2.5,
                },
                {
                    "summary_id": summary_id,
                    "name": "calleeLeg",
                    "call_id": None,
                    "direction": None,
                    "call_type": None,
                    "status": "NOT_CONNECTED",
                    "source": None,
                    "destination": None,
                    "initiated_at": None,
                    "connected_at": None,
                    "disconnected_at": None,
                    "duration_seconds": None,
                    "mos": None,
                    "packet_loss_rate": None,
                    "jitter": None,
                },
            ],
        )
        conn.execute(
            insert(legacy_v1.variables),
            [
                {"session_id": "s-2", "name": "pin", "value": "1234"},
                {"session_id": "no-session-yet", "name": "lang", "value": "fr"},
            ],
        )


def rows(engine: Engine, metadata: MetaData = legacy_v1.metadata) -> dict[str, list[Any]]:
    """Every row of every table, read through the given layout's types."""
    with engine.connect() as conn:
        return {
            table.name: [
                tuple(row)
                for row in conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            ]
            for table in metadata.sorted_tables
        }


def schema_version(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(
                select(legacy_v1.meta.c.value).where(legacy_v1.meta.c.key == "schema_version")
            ).scalar_one()
        )


def schema_diff(conn: Connection) -> list[Any]:
    context = MigrationContext.configure(
        conn,
        opts={"include_name": migrate.include_name, "version_table": migrate.VERSION_TABLE},
    )
    return list(compare_metadata(context, schema.metadata))


def test_a_store_made_before_migrations_upgrades_in_place_with_its_data(
    store_url: str, engine: Engine
) -> None:
    make_legacy_store(engine)
    before = rows(engine)
    assert sum(len(found) for found in before.values()) == 13

    with pytest.raises(StoreSchemaError, match="made before schema migrations") as refused:
        open_store(store_url)
    assert refused.value.behind and refused.value.current is None
    assert "ivrkit db upgrade" in str(refused.value)

    was, now = migrate.upgrade(store_url)
    assert (was.kind, now.kind, now.current) == ("legacy", "head", HEAD)

    after = rows(engine)
    assert {k: v for k, v in after.items() if k != "ivrkit_meta"} == {
        k: v for k, v in before.items() if k != "ivrkit_meta"
    }
    assert schema_version(engine) == "2"
    with engine.connect() as conn:
        assert schema_diff(conn) == []

    with open_store(store_url) as store:
        s1 = store.session("s-1")
        assert s1 is not None
        assert (s1.status, s1.digits, s1.customer) == ("COMPLETED", ["1", "2#"], "+6512345678")
        assert s1.started_at == at(0) and s1.ended_at == at(31.5)
        summary = store.summary("s-1")
        assert summary is not None and summary.version == 3
        assert [leg.name for leg in summary.legs] == ["calleeLeg", "callerLeg"]
        assert summary.legs[1].connected == at(1) and summary.legs[1].mos == 4.3
        found = store.find_answered("ev-1")
        assert found is not None and found.headers["x-note"] == "é"
        assert found.body.endswith('"café ☎"}}')
        assert store.variables("s-2") == {"pin": "1234"}
        assert len(store.deliveries()) == 3
        # New rows still get fresh ids (PostgreSQL's sequences came through) and obey the
        # unique answer per eventId.
        event = vca_event(event_id="ev-new", session_id="s-2", digits="3")
        stored, fresh = store.record_vca(vca_delivery(event), vca_update(event))
        assert fresh and stored.id is not None and stored.id > 3
        old = vca_event(event_id="ev-1", session_id="s-1", digits="1")
        assert store.record_vca(vca_delivery(old), vca_update(old))[1] is False


def test_the_ivrkit_from_before_migrations_refuses_an_upgraded_store(
    store_url: str, engine: Engine
) -> None:
    make_legacy_store(engine)
    migrate.upgrade(store_url)
    with engine.begin() as conn, pytest.raises(StoreError, match="newer than this ivrkit"):
        legacy_v1.initialise(conn)


def test_down_to_the_first_revision_and_up_again_keeps_the_data(
    store_url: str, engine: Engine
) -> None:
    with open_store(store_url) as store:
        event = vca_event(event_id="ev-a", session_id="s-a", digits="4")
        store.record_vca(vca_delivery(event), vca_update(event))
        summary = summary_event("vss_vm_success.json")
        store.record_summary(summary_delivery(summary), summary)
        store.set_variables("s-a", {"lang": "en"})
    at_head = rows(engine, schema.metadata)
    assert sum(len(found) for found in at_head.values()) >= 6

    was, now = migrate.downgrade(store_url, "0001")
    assert (was.current, now.kind, now.current) == (HEAD, "behind", "0001")
    assert schema_version(engine) == "1"
    with engine.begin() as conn:
        legacy_v1.initialise(conn)  # the ivrkit from before migrations takes it back
    with pytest.raises(StoreSchemaError, match="is at schema revision 0001") as refused:
        open_store(store_url)
    assert refused.value.current == "0001" and refused.value.head == HEAD

    with open_store(store_url, upgrade=True) as store:
        assert store.variables("s-a") == {"lang": "en"}
        assert store.summary(summary.payload.session_id) is not None
        # The analytics counters are derived data: a downgrade drops them, a rebuild restores.
        assert rows(engine, schema.metadata)["ivrkit_path_sessions"] == []
        rebuild(store)
    # What a CALL_ACTION told about its session (the log's facts) is derived data too: the
    # session tables projected from it stay.
    facts = list(schema.deliveries.c.keys()).index("facts")
    at_head["ivrkit_deliveries"] = [
        (*row[:facts], None, *row[facts + 1 :]) for row in at_head["ivrkit_deliveries"]
    ]
    assert rows(engine, schema.metadata) == at_head
    assert migrate.current(store_url).kind == "head"


def test_down_to_base_drops_the_tables_and_a_new_store_is_made_on_the_next_open(
    store_url: str, engine: Engine
) -> None:
    with open_store(store_url) as store:
        store.set_variables("s", {"a": "b"})
    _, now = migrate.downgrade(store_url, "base")
    assert now.kind == "empty"
    with engine.connect() as conn:
        assert schema_diff(conn)  # every table is missing
    with open_store(store_url) as store:
        assert store.variables("s") == {}


@pytest.mark.parametrize("start", ["empty", "legacy"])
def test_the_migrations_build_exactly_the_tables_schema_py_declares(
    start: str, store_url: str, engine: Engine
) -> None:
    if start == "legacy":
        make_legacy_store(engine)
    migrate.upgrade(store_url)
    with engine.connect() as conn:
        assert schema_diff(conn) == [], (
            "schema.py and the migrations disagree: write a migration (docs/migrations.md)"
        )


def test_a_new_store_is_created_at_head(store_url: str, engine: Engine) -> None:
    assert migrate.current(store_url).kind == "empty"
    open_store(store_url).close()
    assert migrate.current(store_url) == migrate.SchemaState("head", HEAD, HEAD)
    assert schema_version(engine) == "2"


def test_a_store_from_a_newer_ivrkit_is_refused_by_everything(
    store_url: str, engine: Engine
) -> None:
    open_store(store_url).close()
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE {migrate.VERSION_TABLE} SET version_num = '9999'"))
    with pytest.raises(StoreSchemaError, match="newer than this ivrkit knows") as refused:
        open_store(store_url, upgrade=True)
    assert not refused.value.behind and refused.value.current == "9999"
    assert f"ivrkit db downgrade {HEAD}" in str(refused.value)
    with pytest.raises(StoreSchemaError):
        migrate.upgrade(store_url)
    with pytest.raises(StoreSchemaError):
        migrate.downgrade(store_url, "0001")
    assert migrate.current(store_url).kind == "ahead"


def test_other_applications_tables_and_their_alembic_version_are_left_alone(
    store_url: str, engine: Engine
) -> None:
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('abc123')"))
        conn.execute(text("CREATE TABLE orders (id INTEGER PRIMARY KEY)"))
    assert migrate.current(store_url).kind == "empty"
    open_store(store_url).close()
    migrate.downgrade(store_url, "base")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "abc123"
        assert conn.execute(text("SELECT count(*) FROM orders")).scalar() == 0


def test_an_unknown_revision_is_one_line_naming_the_history_command(store_url: str) -> None:
    open_store(store_url).close()
    with pytest.raises(StoreError, match="ivrkit db history") as caught:
        migrate.upgrade(store_url, "nope")
    assert "\n" not in str(caught.value)


def test_several_workers_opening_one_new_database_at_once_all_succeed(store_url: str) -> None:
    def open_one(_: int) -> str:
        with open_store(store_url) as store:
            return str(len(store.sessions()))

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(open_one, range(4))) == ["0"] * 4
    assert migrate.current(store_url).kind == "head"


def test_the_revisions_are_listed_newest_first_from_any_folder(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    listed = migrate.revisions()
    assert [rev.revision for rev in listed][-2:] == ["0002", "0001"]
    assert listed[0].is_head and listed[0].revision == HEAD
    assert listed[-1].down_revision is None


def test_schema_py_names_the_newest_migration() -> None:
    assert schema.REVISION == HEAD


@pytest.mark.e2e
def test_opening_a_store_at_head_does_not_import_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ivrkit.db'}"
    open_store(url).close()
    check = (
        "import sys; from ivrkit.store import open_store; "
        f"open_store({url!r}).close(); "
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'alembic'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout == "[]\n"


def test_threads_creating_different_stores_at_once_each_get_every_table(tmp_path: Path) -> None:
    urls = [f"sqlite:///{tmp_path / f'store{n}.db'}" for n in range(4)]
    barrier = threading.Barrier(len(urls))

    def create(url: str) -> None:
        barrier.wait()
        open_store(url).close()

    for _ in range(2):
        with ThreadPoolExecutor(len(urls)) as pool:
            list(pool.map(create, urls))
        for url in urls:
            engine = create_store_engine(parse_store_url(url))
            try:
                with engine.connect() as conn:
                    assert schema_diff(conn) == []
            finally:
                engine.dispose()
            migrate.downgrade(url, "base")


def test_on_sqlite_a_migration_may_rebuild_a_table_that_others_refer_to(tmp_path: Path) -> None:
    from alembic.operations import Operations

    url = f"sqlite:///{tmp_path / 'ivrkit.db'}"
    with open_store(url) as store:
        event = vca_event(event_id="ev-1", session_id="s-1", digits="5")
        store.record_vca(vca_delivery(event), vca_update(event))
    engine = create_store_engine(parse_store_url(url))
    try:
        # What batch mode does to alter a SQLite table: copy it, drop the old one, rename.
        with migrate._migrating(engine) as conn:
            operations = Operations(MigrationContext.configure(conn))
            with operations.batch_alter_table("ivrkit_sessions", recreate="always"):
                pass
        with engine.connect() as conn:
            kept = conn.execute(select(schema.session_digits.c.digits)).scalars().all()
            assert kept == ["5"]
        with pytest.raises(StoreError, match="ivrkit_session_digits pointing at a missing"):
            with migrate._migrating(engine) as conn:
                conn.execute(
                    insert(schema.session_digits).values(session_id="nobody", digits="1", at=T0)
                )
        with engine.connect() as conn:  # the pooled connection has its foreign keys back
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()
    with open_store(url) as store:
        session = store.session("s-1")
        assert session is not None and session.digits == ["5"]
        assert store.deliveries()[0].session_id == "s-1"
