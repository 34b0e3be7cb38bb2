"""`ivrkit report` as a person and a script use it: the numbers of the analytics API as tables,
JSON and CSV, two ranges or two tree versions side by side, masked numbers, one-line mistakes."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from bench.synthetic import fill
from typer.testing import CliRunner

from ivrkit._cli import app
from ivrkit._cli.common import run_app
from ivrkit.analytics import Analytics, Filters, Window
from ivrkit.store import Store, open_store
from ivrkit.trees import Tree, load_tree, parse_tree
from ivrkit.trees._loader import builtin_path
from tests.cli.run import built_command, ivrkit

UNTIL = datetime(2026, 3, 2, tzinfo=UTC)
"""The end of every report here: the synthetic calls lie before it, so no test reads the clock."""
UNTIL_TEXT = "2026-03-02T00:00:00Z"
NARROW = {"COLUMNS": "20"}
"""A terminal 20 columns wide: output for machines must not care."""

runner = CliRunner()


def report(*args: str) -> str:
    result = runner.invoke(app, ["report", *args], env=NARROW, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ivrkit.db'}"


@pytest.fixture
def store(db: str) -> Iterator[Store]:
    opened = open_store(db, upgrade=True)
    yield opened
    opened.close()


def simple_ivr_v2() -> Tree:
    """The simple IVR with another prompt: the same tree name, another version."""
    text = builtin_path("simple_ivr").read_text(encoding="utf-8")
    return parse_tree(text.replace("Thank you for contacting", "Thanks for calling"))


@pytest.fixture(scope="module")
def two_weeks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, str]]:
    """Two weeks of synthetic calls of the simple IVR, more in the last week than before, and
    the store's URL: made once for the tests that only read them (writing 650 calls costs a
    quarter of a second of CPU)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('two-weeks') / 'ivrkit.db'}"
    store = open_store(url, upgrade=True)
    try:
        fill(store, 400, since=UNTIL - timedelta(days=7), until=UNTIL, seed=1)
        fill(store, 250, since=UNTIL - timedelta(days=14), until=UNTIL - timedelta(days=7), seed=2)
        yield store, url
    finally:
        store.close()


@pytest.fixture
def filled(two_weeks: tuple[Store, str]) -> Store:
    return two_weeks[0]


@pytest.fixture
def url(two_weeks: tuple[Store, str]) -> str:
    """The URL of the ``filled`` store."""
    return two_weeks[1]


def week(days_back: int = 0) -> Window:
    end = UNTIL - timedelta(days=days_back)
    return Window(since=end - timedelta(days=7), until=end)


def test_json_has_the_numbers_of_the_analytics_api(filled: Store, url: str) -> None:
    body = json.loads(report("--flow", "simple_ivr", "--db", url, "--until", UNTIL_TEXT, "--json"))
    expected = Analytics(filled).report("simple_ivr", week(), Filters(flow="simple_ivr"))
    overview = expected.overview
    assert body["flow"] == "simple_ivr"
    assert body["window"] == {"since": "2026-02-23T00:00:00+00:00", "until": UNTIL.isoformat()}
    got = body["overview"]
    assert got["sessions"] == overview.sessions == 400
    for name in ("contained", "transferred", "abandoned", "failed", "in_progress"):
        assert got[name] == getattr(overview, name), name
    assert got["containment_rate"] == round(overview.containment_rate, 4)
    assert got["outcomes"] == overview.outcomes
    assert expected.funnel is not None
    nodes = {row["node"]: row for row in body["nodes"]}
    assert [row["node"] for row in body["nodes"]] == ["main", "resolved", "agent"]
    for name, stats in expected.funnel.nodes.items():
        row = nodes[name]
        assert (row["reached"], row["visits"], row["dropped"]) == (
            stats.reached,
            stats.visits,
            stats.dropped,
        )
        assert (row["invalid"], row["no_input"], row["retries"]) == (
            stats.invalid,
            stats.no_input,
            stats.retries,
        )
        assert row["keys"] == stats.keys and row["next"] == stats.next
    assert [(tuple(p["nodes"]), p["sessions"], p["outcome"]) for p in body["paths"]] == [
        (p.nodes, p.sessions, p.outcome) for p in expected.paths
    ]
    assert body["against"] is None and body["differences"] is None
    assert len(body["series"]) == 7  # a week: by day


def test_the_terminal_shows_overview_funnel_and_paths(filled: Store, url: str) -> None:
    out = report("--flow", "simple_ivr", "--db", url, "--until", UNTIL_TEXT)
    expected = Analytics(filled).report("simple_ivr", week(), Filters(flow="simple_ivr"))
    assert expected.funnel is not None
    main = expected.funnel.nodes["main"]
    lines = out.splitlines()
    sessions = next(line for line in lines if line.startswith("│ sessions"))
    assert f" {expected.overview.sessions} " in sessions
    row = next(line for line in lines if line.startswith("│ main "))
    cells = [cell.strip() for cell in row.strip("│").split("│")]
    assert cells[:2] == ["main", str(main.reached)]
    assert cells[2] == " ".join(f"{key}:{count}" for key, count in sorted(main.keys.items()))
    assert "Top paths" in out and "main > resolved" in out


def test_csv_writes_each_table_and_one_table_alone(filled: Store, url: str) -> None:
    args = ("--flow", "simple_ivr", "--db", url, "--until", UNTIL_TEXT, "--csv")
    nodes = list(csv.DictReader(io.StringIO(report(*args, "--table", "nodes"))))
    funnel = Analytics(filled).funnel("simple_ivr", week(), Filters(flow="simple_ivr"))
    assert [row["node"] for row in nodes] == ["main", "resolved", "agent"]
    for row in nodes:
        assert row["side"] == "current"
        assert int(row["reached"]) == funnel.nodes[row["node"]].reached
    everything = report(*args)
    sections = [line for line in everything.splitlines() if line.startswith("# ")]
    assert sections == ["# overview", "# nodes", "# paths", "# series"]
    overview = everything.split("# nodes")[0].splitlines()[1:]
    row = next(csv.DictReader(overview))
    assert int(row["sessions"]) == 400 and row["number"] == ""


def test_two_ranges_side_by_side_with_their_differences(filled: Store, url: str) -> None:
    args = ("--flow", "simple_ivr", "--db", url, "--until", UNTIL_TEXT, "--against", "14d..7d")
    body = json.loads(report(*args, "--json"))
    analytics = Analytics(filled)
    before = analytics.overview(week(7), Filters(flow="simple_ivr"))
    assert body["against"]["window"] == {
        "since": "2026-02-16T00:00:00+00:00",
        "until": "2026-02-23T00:00:00+00:00",
    }
    assert body["against"]["overview"]["sessions"] == before.sessions == 250
    assert body["differences"]["overview"]["sessions"] == 400 - 250
    main_now = next(row for row in body["nodes"] if row["node"] == "main")["reached"]
    main_then = next(row for row in body["against"]["nodes"] if row["node"] == "main")["reached"]
    main_change = next(row for row in body["differences"]["nodes"] if row["node"] == "main")
    assert main_change["reached"] == main_now - main_then
    rows = list(csv.DictReader(io.StringIO(report(*args, "--csv", "--table", "overview"))))
    assert [row["side"] for row in rows] == ["current", "against", "difference"]
    assert [row["sessions"] for row in rows] == ["400", "250", "150"]
    table = report(*args)
    assert "before" in table and "+150" in table


def test_two_versions_of_a_tree_side_by_side(store: Store, db: str) -> None:
    first, second = load_tree("simple_ivr"), simple_ivr_v2()
    assert first.version != second.version
    fill(store, 120, since=UNTIL - timedelta(days=3), until=UNTIL, tree=first, seed=3)
    fill(store, 80, since=UNTIL - timedelta(days=3), until=UNTIL, tree=second, seed=4)
    body = json.loads(
        report(
            *("--flow", "simple_ivr", "--db", db, "--until", UNTIL_TEXT, "--json"),
            *("--version", second.version, "--against-version", first.version),
        )
    )
    window = Window(since=UNTIL - timedelta(days=7), until=UNTIL)

    def sessions_of(version: str) -> int:
        filters = Filters(flow="simple_ivr", version=version)
        return Analytics(store).overview(window, filters).sessions

    # A call that never reached the tree (busy, or gone during the first prompt) has no version.
    now, then = sessions_of(second.version), sessions_of(first.version)
    assert 0 < now <= 80 and 0 < then <= 120
    assert body["filters"]["version"] == second.version
    assert body["overview"]["sessions"] == now
    assert body["against"]["filters"]["version"] == first.version
    assert body["against"]["overview"]["sessions"] == then
    assert body["differences"]["overview"]["sessions"] == now - then
    # Without --version, the tree file's own version is the one compared.
    again = json.loads(
        report(
            *("--flow", "simple_ivr", "--db", db, "--until", UNTIL_TEXT, "--json"),
            *("--against-version", second.version),
        )
    )
    assert again["filters"]["version"] == first.version
    assert again["overview"]["sessions"] == then


def test_a_caller_number_is_masked_unless_asked(filled: Store, url: str) -> None:
    number = filled.sessions(limit=1)[0].customer
    assert number is not None
    args = ("--flow", "simple_ivr", "--db", url, "--until", UNTIL_TEXT, "--number", number)
    body = json.loads(report(*args, "--json"))
    assert body["filters"]["number"] == "•••••" + number[-4:]
    assert number not in json.dumps(body, ensure_ascii=False)
    expected = Analytics(filled).overview(week(), Filters(flow="simple_ivr", customer=number))
    assert body["overview"]["sessions"] == expected.sessions >= 1
    assert number not in report(*args) and number not in report(*args, "--csv")
    shown = json.loads(report(*args, "--json", "--show-numbers"))
    assert shown["filters"]["number"] == number
    assert number in report(*args, "--csv", "--show-numbers")


def test_machine_output_never_wraps_on_a_narrow_terminal(filled: Store, url: str) -> None:
    args = ("--flow", "simple_ivr", "--db", url, "--until", UNTIL_TEXT, "--against", "14d..7d")
    text = report(*args, "--json")
    assert max(len(line) for line in text.splitlines()) > 20
    json.loads(text)
    rows = list(csv.reader(io.StringIO(report(*args, "--csv", "--table", "paths"))))
    assert len({len(row) for row in rows}) == 1  # every row has every column: none was folded
    assert rows[1][3].startswith("main > ")


def test_an_empty_store_is_a_report_of_zeros(store: Store, db: str) -> None:
    body = json.loads(report("--flow", "simple_ivr", "--db", db, "--until", UNTIL_TEXT, "--json"))
    assert body["overview"]["sessions"] == 0 and body["overview"]["containment_rate"] == 0.0
    assert [(row["node"], row["reached"]) for row in body["nodes"]] == [
        ("main", 0),
        ("resolved", 0),
        ("agent", 0),
    ]
    assert body["paths"] == []
    assert "│ sessions    │     0 │" in report("--flow", "simple_ivr", "--db", db)


def test_a_tree_known_only_by_its_sessions_is_reported(store: Store, db: str) -> None:
    tree = parse_tree(
        builtin_path("simple_ivr")
        .read_text(encoding="utf-8")
        .replace("name: simple_ivr", "name: x")
    )
    fill(store, 30, since=UNTIL - timedelta(days=1), until=UNTIL, tree=tree, seed=5)
    body = json.loads(report("--flow", "x", "--db", db, "--until", UNTIL_TEXT, "--json"))
    assert body["flow"] == "x" and body["overview"]["sessions"] == 30
    # No tree file: the nodes come most reached first.
    reached = [row["reached"] for row in body["nodes"]]
    assert reached == sorted(reached, reverse=True) and reached[0] > 0
    everything = json.loads(report("--db", db, "--until", UNTIL_TEXT, "--json"))
    assert everything["flow"] is None and everything["nodes"] == []
    assert everything["overview"]["sessions"] == 30


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--flow", "nope"), "unknown tree 'nope'"),
        (("--flow", "simple_ivr", "--since", "yesterday"), "--since 'yesterday' is not a time"),
        (("--flow", "simple_ivr", "--since", "7x"), "--since '7x' is not a time"),
        (("--flow", "simple_ivr", "--until", "2026-13-01"), "--until '2026-13-01' is not a time"),
        (("--flow", "simple_ivr", "--against", "14d"), "--against '14d' is not a range"),
        (("--flow", "simple_ivr", "--since", "2030-01-01"), "not before the range's end"),
        (("--flow", "simple_ivr", "--json", "--csv"), "--json and --csv exclude each other"),
        (("--flow", "simple_ivr", "--table", "legs"), "--table 'legs' is not a table"),
    ],
)
def test_mistakes_are_one_line(
    store: Store, db: str, args: tuple[str, ...], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_app(built_command(), ["report", "--db", db, "--until", UNTIL_TEXT, *args])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and message in err, err


def test_a_store_that_does_not_exist_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "ivrkit.db"
    result = ivrkit("report", "--flow", "simple_ivr", "--db", f"sqlite:///{missing}")
    assert result.returncode == 1
    assert f"no store at {missing}" in result.stderr and result.stderr.count("\n") == 1
    assert not missing.parent.exists()


# -- real calls through the simulator and the webhook server -----------------------------------


@pytest.mark.e2e
def test_the_demo_calls_reported_from_a_real_store(tmp_path: Path) -> None:
    from ivrkit._demo import SCENARIOS
    from ivrkit._harness import IvrHarness

    url = f"sqlite:///{tmp_path / 'calls.db'}"
    with IvrHarness(load_tree("simple_ivr"), store_url=url) as ivr:
        ivr.phone("+6561115777", hangup_after=600)
        for scenario in SCENARIOS:  # presses 1; 2; 9 then 1
            call = ivr.call("+6512345678", press=scenario.presses, hangup_after=40)
            call.expect_summary(status="COMPLETED")
        starts = [row.started_at for row in ivr.store.sessions() if row.started_at]
    since = (min(starts) - timedelta(minutes=5)).isoformat()
    until = (max(starts) + timedelta(minutes=5)).isoformat()
    args = ("--flow", "simple_ivr", "--db", url, "--since", since, "--until", until)
    body: dict[str, Any] = json.loads(report(*args, "--json"))
    overview = body["overview"]
    assert (overview["sessions"], overview["contained"], overview["transferred"]) == (3, 2, 1)
    assert (overview["abandoned"], overview["failed"]) == (0, 0)
    main = body["nodes"][0]
    assert main["node"] == "main"
    assert (main["reached"], main["visits"], main["keys"]) == (3, 4, {"1": 2, "2": 1})
    assert (main["invalid"], main["retries"], main["dropped"]) == (1, 1, 0)
    assert [(p["nodes"], p["sessions"]) for p in body["paths"]] == [
        (["main", "resolved"], 2),
        (["main", "agent"], 1),
    ]
    table = report(*args)
    assert "12345678" not in table


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--until", "0001-01-01"), "--since '7d' reaches outside the years 1 to 9999"),
        (("--since", "999999w"), "reaches outside the years 1 to 9999"),
        (("--against", "999999w..1d"), "--against '999999w' reaches outside the years"),
    ],
)
def test_ranges_past_the_calendar_are_one_line(
    store: Store, db: str, args: tuple[str, ...], words: str
) -> None:
    ran = ivrkit("report", "--db", db, *args, columns=300)
    assert ran.returncode == 1
    assert "Traceback" not in ran.stderr
    assert ran.stderr.strip().splitlines() == [ran.stderr.strip()]
    assert words in ran.stderr


def test_a_range_back_to_year_one_is_cut_and_said(store: Store, db: str) -> None:
    ran = ivrkit("report", "--db", db, "--since", "0001-01-01", "--json", columns=300)
    assert ran.returncode == 0, ran.stderr
    assert "note: a range is at most 3,660 days" in ran.stderr
    until = ivrkit("report", "--db", db, "--until", "9999-12-31", "--json", columns=300)
    assert until.returncode == 0, until.stderr
