"""Tree versions in the store: kept once with a tag replicas agree on, found by tag, noted when
served; which version answered each delivery and a session's first and latest events; the
migration that adds them goes down and up again."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import inspect

from ivrkit.store import Store, VcaWrite, open_store
from ivrkit.store import _migrate as migrate
from ivrkit.store import _schema as schema
from ivrkit.store._engine import create_store_engine, parse_store_url
from ivrkit.store._versions import MIN_TAG, TreeVersions, choose_tag
from ivrkit.trees import TreeSpec, load_tree
from ivrkit.trees._engine import spec_text
from tests.store.helpers import T0, vca_delivery, vca_event, vca_update

A = "3fa9c1d2e4"
B = "8b2d0e11aa"


def test_a_version_is_kept_once_and_found_by_its_tag(store: Store) -> None:
    book = TreeVersions(store)
    tree = load_tree()
    tag = book.record("simple_ivr", tree.version, spec_text(tree.spec), T0)
    assert tag == tree.version[:MIN_TAG]
    again = book.record("simple_ivr", tree.version, "{}", T0 + timedelta(hours=1))
    assert again == tag, "a version keeps its tag"
    found = book.find("simple_ivr", tag)
    assert found is not None
    assert found.spec == spec_text(tree.spec), "a version keeps its first content"
    assert TreeSpec.model_validate_json(found.spec) == tree.spec
    assert (found.first_served_at, found.last_served_at) == (T0, T0 + timedelta(hours=1))
    assert book.find("simple_ivr", "ffffff") is None
    assert book.find("restaurant", tag) is None, "tags belong to one tree"


def test_a_version_sharing_the_start_of_another_gets_a_longer_tag(store: Store) -> None:
    book = TreeVersions(store)
    first = book.record("t", "abcdef0123", "{}", T0)
    second = book.record("t", "abcdef4567", "{}", T0)
    third = book.record("t", "abcdef4599", "{}", T0)
    assert (first, second, third) == ("abcdef", "abcdef4", "abcdef459")
    found = {tag: book.find("t", tag) for tag in (first, second, third)}
    assert {tag: kept.version for tag, kept in found.items() if kept} == {
        "abcdef": "abcdef0123",
        "abcdef4": "abcdef4567",
        "abcdef459": "abcdef4599",
    }, "an older, shorter tag still finds its own version"
    assert [found.version for found in book.kept("t")] == [
        "abcdef0123",
        "abcdef4567",
        "abcdef4599",
    ]


def test_choose_tag_is_the_shortest_unshared_start() -> None:
    assert choose_tag(A, []) == A[:MIN_TAG]
    assert choose_tag(A, [A]) == A[:MIN_TAG], "a version does not collide with itself"
    assert choose_tag("abcdef0123", ["abcdef0999"]) == "abcdef01"
    assert choose_tag("abcdef0123", ["abcdef0124"]) == "abcdef0123"


def test_a_later_serving_moves_last_served_and_an_earlier_one_does_not(store: Store) -> None:
    book = TreeVersions(store)
    book.record("t", A, "{}", T0)
    book.touch("t", A, T0 + timedelta(minutes=5))
    book.touch("t", A, T0 + timedelta(minutes=1))
    (kept,) = book.kept("t")
    assert (kept.first_served_at, kept.last_served_at) == (T0, T0 + timedelta(minutes=5))


def test_each_delivery_and_the_session_record_the_versions_that_answered(store: Store) -> None:
    first = vca_event(event_id="v-1", session_id="s-v", digits="9")
    second = vca_event(event_id="v-2", session_id="s-v", digits="2")
    store.record_vca(replace(vca_delivery(first), version=A), replace(vca_update(first), version=A))
    (stored, fresh) = store.record_vca_batch(
        [
            VcaWrite(
                delivery=replace(vca_delivery(second), version=B),
                update=replace(vca_update(second), version=B),
            )
        ]
    )[0]
    assert fresh
    assert [d.version for d in store.deliveries("s-v")] == [A, B]
    session = store.session("s-v")
    assert session is not None
    assert (session.first_version, session.last_version) == (A, B)


def test_an_answer_without_a_version_keeps_the_sessions_versions(store: Store) -> None:
    event = vca_event(event_id="w-1", session_id="s-w", digits="1")
    store.record_vca(vca_delivery(event), replace(vca_update(event), version=A))
    later = vca_event(event_id="w-2", session_id="s-w", digits="1")
    store.record_vca(vca_delivery(later), vca_update(later))
    session = store.session("s-w")
    assert session is not None
    assert (session.first_version, session.last_version) == (A, A)


def test_down_below_versions_and_up_again(store_url: str) -> None:
    with open_store(store_url) as store:
        TreeVersions(store).record("t", A, "{}", T0)
        event = vca_event(event_id="m-1", session_id="s-m", digits="1")
        store.record_vca(
            replace(vca_delivery(event), version=A), replace(vca_update(event), version=A)
        )
    migrate.downgrade(store_url, "0005")  # the revision below the versions'
    engine = create_store_engine(parse_store_url(store_url))
    try:
        with engine.connect() as conn:
            found = inspect(conn)
            assert "ivrkit_tree_versions" not in found.get_table_names()
            assert "version" not in {c["name"] for c in found.get_columns("ivrkit_deliveries")}
            session_columns = {c["name"] for c in found.get_columns("ivrkit_sessions")}
            assert not {"first_version", "last_version"} & session_columns
    finally:
        engine.dispose()
    with open_store(store_url, upgrade=True) as store:
        assert store.schema_revision() == schema.REVISION
        assert TreeVersions(store).kept() == []
        assert [d.version for d in store.deliveries("s-m")] == [None]
        assert store.session("s-m") is not None
        tag = TreeVersions(store).record("t", A, "{}", T0)
        assert tag == A[:MIN_TAG]
