"""The webhook app tells route coverage the trees it serves and the routes its answers take."""

from __future__ import annotations

from pathlib import Path

from ivrkit.server import create_app
from ivrkit.store import open_store
from ivrkit.trees import RouteKind, load_tree
from ivrkit.trees._coverage import read_route_log
from ivrkit.trees._observers import log_routes_to, stop_logging
from tests.server.test_app import post_all
from tests.server.test_webhooks import vca_event


def test_served_trees_count_from_the_start_and_answers_check_their_routes_off(
    tmp_path: Path,
) -> None:
    log = log_routes_to(tmp_path / "routes.jsonl")
    store = open_store(f"sqlite:///{tmp_path / 'ivrkit.db'}")
    try:
        app = create_app(
            [load_tree("simple_ivr"), load_tree("restaurant")],
            store=store,
            spool=tmp_path / "spool.jsonl",
        )
        (answered,) = post_all(app, [("POST", "/webhooks/vca", vca_event("1", event_id="e-1"))])
    finally:
        stop_logging(log)
        store.close()
    assert answered.status_code == 200
    restaurant, simple = read_route_log(log.path)
    assert restaurant.name == "restaurant" and restaurant.taken == frozenset()
    assert simple.taken == frozenset({("main", RouteKind.KEY, "1")})
