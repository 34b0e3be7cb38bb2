"""Every screen a person reads, drawn on a terminal of 60, 80 and 120 columns: no line longer
than the terminal, no word cut in the middle, no table column squeezed to a sliver; and the
same commands for programs (piped, --json, --csv) never wrap.

The screens: the demo's introduction and its sessions table (the same table `ivrkit sessions`
draws), `ivrkit sessions`, `ivrkit report`, `--help` of the app and of each command, and the
campaign `status` and `list` screens.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from bench.synthetic import fill
from rich.console import Console

from ivrkit._cli import app
from ivrkit._cli.render import sessions_table
from ivrkit._cli.screen import Column, FittedTable
from ivrkit._cli.sim import DEMO_INTRO
from ivrkit.store import SessionRecord, open_store
from ivrkit.trees._loader import builtin_path
from tests.cli.run import ivrkit

WIDTHS = (60, 80, 120)
UNTIL = datetime(2026, 3, 2, tzinfo=UTC)
INTRO = DEMO_INTRO.text
BORDERS = "│┃╭╮╰╯─━┏┓┗┛┡┩└┘┳┻╇┼┬┴├┤"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A store with a week of synthetic calls of the simple IVR and a campaign."""
    folder = tmp_path_factory.mktemp("screens")
    url = f"sqlite:///{folder / 'ivrkit.db'}"
    store = open_store(url, upgrade=True)
    try:
        fill(store, 60, since=UNTIL - timedelta(days=7), until=UNTIL, seed=3)
    finally:
        store.close()
    contacts = folder / "contacts.csv"
    contacts.write_text("number,name\n+6591234567,Ann\n+6598765432,Bo\n", encoding="utf-8")
    created = ivrkit(
        "campaign", "create", "spring-callbacks", "--contacts", str(contacts), "--db", url
    )
    assert created.returncode == 0, created.stderr
    yield url


def screen(columns: int, *args: str) -> str:
    result = ivrkit(*args, columns=columns, terminal=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def assert_fits(text: str, columns: int) -> None:
    for line in text.splitlines():
        assert len(line) <= columns, f"{len(line)} > {columns} columns: {line!r}"


def words_whole(text: str, source: str) -> None:
    """Every word of ``source`` is on one line of ``text`` (none cut at a line's end)."""
    shown = set(re.sub(f"[{BORDERS}]", " ", text).split())
    for word in source.split():
        assert word in shown, f"{word!r} was cut: {text}"


def header_widths(text: str) -> list[int]:
    """The widths of the columns of every table in ``text``, read from its top border."""
    widths: list[int] = []
    for line in text.splitlines():
        if line.lstrip().startswith("┏"):
            widths += [len(part) - 2 for part in line.strip()[1:-1].split("┳")]
    return widths


@pytest.mark.parametrize("columns", WIDTHS)
def test_the_demo_intro_wraps_inside_its_panel(columns: int) -> None:
    console = Console(width=columns, record=True, force_terminal=True, color_system=None)
    console.print(DEMO_INTRO)
    text = console.export_text()
    assert_fits(text, columns)
    words_whole(text, INTRO)
    assert "ivrkit demo" in text


@pytest.mark.e2e
def test_the_whole_demo_screen_fits_a_narrow_terminal(tmp_path: Path) -> None:
    """The demo as a newcomer sees it first, on 60 columns: its intro wrapped inside the panel,
    each narrated line wrapped beside its time, the sessions table with its columns chosen."""
    text = ivrkit("demo", cwd=tmp_path, columns=60, terminal=True).stdout
    assert_fits(text, 60)
    words_whole(text, INTRO)
    assert "all 3 calls did what the simple IVR says" in " ".join(text.split())
    assert header_widths(text) and all(width >= 6 for width in header_widths(text)), text


def record(session: int, status: str = "COMPLETED") -> SessionRecord:
    started = UNTIL - timedelta(minutes=session)
    return SessionRecord(
        session_id=f"7d48138f-60d5-4095-be5b-88af83f7{session:04d}",
        status=status,
        direction="OUTBOUND",
        sub_account_id=None,
        customer="+6512345678",
        flow="simple_ivr",
        node="agent",
        last_action="MAKE_CALL",
        digits=["9", "1"],
        started_at=started,
        ended_at=started + timedelta(seconds=43),
        duration_seconds=43.0,
        call_count=2,
        error_code=None,
        error_message=None,
        client_request_id=None,
        request_id=None,
        outcome_label="agent",
        first_version="1fc0153c86",
        last_version="2ab0153c86",
    )


@pytest.mark.parametrize("columns", WIDTHS)
@pytest.mark.parametrize("versions", [False, True])
def test_the_demo_sessions_table_chooses_its_columns(columns: int, versions: bool) -> None:
    console = Console(width=columns, record=True, force_terminal=True, color_system=None)
    rows = [record(1), record(2, "FAILED")]
    console.print(sessions_table(rows, title="", versions=versions))
    text = console.export_text()
    assert_fits(text, columns)
    assert all(width >= 6 for width in header_widths(text)), text
    for header in ("session", "status", "outcome"):  # the columns that matter most stay
        assert header in text
    if columns == 120:
        assert "7d48138f-60d5-4095-be5b-88af83f70001" in text  # the id whole, on one line


@pytest.mark.parametrize("columns", WIDTHS)
def test_sessions(db: str, columns: int) -> None:
    text = screen(columns, "sessions", "--db", db, "--limit", "5", "--versions")
    assert_fits(text, columns)
    widths = header_widths(text)
    assert len(widths) >= 3 and all(width >= 6 for width in widths), text
    words_whole(text, "session status outcome")


@pytest.mark.parametrize("columns", WIDTHS)
@pytest.mark.parametrize(
    "extra", [[], ["--flow", "simple_ivr"], ["--flow", "simple_ivr", "--against", "14d..7d"]]
)
def test_report(db: str, columns: int, extra: list[str]) -> None:
    until = UNTIL.isoformat()
    text = screen(columns, "report", "--db", db, "--until", until, *extra)
    assert_fits(text, columns)
    assert all(width >= 4 for width in header_widths(text)), text
    assert "contained" in text and "transferred" in text
    if extra:
        assert "Nodes (funnel)" in text and "Top paths" in text


def _commands() -> list[list[str]]:
    found: list[list[str]] = [[]]
    for info in app.registered_commands:
        assert info.name or info.callback is not None
        found.append([info.name or info.callback.__name__.replace("_", "-")])  # type: ignore[union-attr]
    for group in app.registered_groups:
        assert group.name is not None and group.typer_instance is not None
        found.append([group.name])
        for info in group.typer_instance.registered_commands:
            name = info.name or info.callback.__name__.replace("_", "-")  # type: ignore[union-attr]
            found.append([group.name, name])
    return found


def test_help_of_every_command_fits_the_narrowest_terminal() -> None:
    columns = WIDTHS[0]
    for command in _commands():
        text = screen(columns, *command, "--help")
        assert_fits(text, columns)
        assert "Usage" in text


@pytest.mark.parametrize("columns", WIDTHS)
def test_help_is_grouped_by_task_and_no_sentence_breaks_early(columns: int) -> None:
    text = screen(columns, "--help")
    panels = [line.split("─")[1].strip() for line in text.splitlines() if line.startswith("╭─")]
    assert panels == [
        "Options",
        "Get started",
        "Write and check a tree",
        "Run it for callers",
        "See what callers did",
    ]
    lint = screen(columns, "lint", "--help")
    body = lint.split("╭─")[0]
    lines = [line.strip() for line in body.splitlines() if line.strip()][1:]  # after Usage
    # A paragraph wrapped by the terminal fills its lines: only the last may be short.
    for line, following in zip(lines, lines[1:], strict=False):
        next_word = following.split()[0]
        assert len(line) + 1 + len(next_word) > columns - 4, (line, following)


@pytest.mark.parametrize("columns", WIDTHS)
@pytest.mark.parametrize(
    ("command", "shown"),
    [
        (["status", "spring-callbacks"], "spring-callbacks"),
        (["list"], "spring-callbacks"),
        (["report", "spring-callbacks"], "number"),
    ],
)
def test_campaign_screens(db: str, columns: int, command: list[str], shown: str) -> None:
    text = screen(columns, "campaign", *command, "--db", db)
    assert_fits(text, columns)
    assert shown in text


def test_a_fitted_table_drops_the_least_important_columns_and_says_which() -> None:
    columns = [
        Column("id", fold=True),
        Column("kept"),
        Column("first out", keep=2),
        Column("later out", keep=1),
    ]
    table = FittedTable(columns, [["x" * 30, "alpha beta", "one", "two"]])
    console = Console(width=40, record=True, force_terminal=True, color_system=None)
    console.print(table)
    text = console.export_text()
    assert_fits(text, 40)
    assert "first out" not in text.split("not shown")[0]
    assert "not shown at this width: first out" in " ".join(text.split())
    assert "later" in text  # keep 1 stays while folding the id makes room
    wide = Console(width=200, record=True, force_terminal=True, color_system=None)
    wide.print(table)
    assert "not shown" not in wide.export_text()


def test_piped_output_never_wraps(db: str) -> None:
    listed = json.loads(ivrkit("sessions", "--json", "--limit", "5", "--db", db).stdout)
    piped = ivrkit("sessions", "--limit", "5", "--versions", "--db", db, columns=20)
    assert piped.returncode == 0, piped.stderr
    assert "not shown" not in piped.stdout  # every column, at its natural width
    for session in listed:  # each row on one line: the id and its start together
        rows = [line.split("│") for line in piped.stdout.splitlines() if "│" in line]
        (cells,) = [cells for cells in rows if cells[1].strip() == session["sessionId"]]
        assert any(cell.strip().startswith(session["start"][:10]) for cell in cells)
    report = ivrkit("report", "--flow", "simple_ivr", "--until", UNTIL.isoformat(), "--db", db)
    assert "median to outcome" in report.stdout and "not shown" not in report.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["sessions", "--json", "--limit", "5"],
        ["report", "--json", "--until", UNTIL.isoformat()],
        ["campaign", "status", "spring-callbacks", "--json"],
    ],
)
def test_json_on_a_narrow_terminal_is_not_wrapped(db: str, args: list[str]) -> None:
    result = ivrkit(*args, "--db", db, columns=60, terminal=True)
    assert result.returncode == 0, result.stderr
    json.loads(result.stdout)


def test_csv_on_a_narrow_terminal_is_not_wrapped(db: str) -> None:
    result = ivrkit(
        "report", "--csv", "--until", UNTIL.isoformat(), "--db", db, columns=60, terminal=True
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "# overview" and lines[1].startswith("side,since,until,")
    assert len(lines[1]) > 60  # the header whole on its line, wider than the terminal


@pytest.mark.parametrize("columns", WIDTHS)
def test_diff_wraps_a_word_diff_between_words(tmp_path: Path, columns: int) -> None:
    text = builtin_path("simple_ivr").read_text(encoding="utf-8")
    changed = tmp_path / "changed.yaml"
    old, new = "Thank you for contacting Xyz", "Thanks for calling the Xyz"
    changed.write_text(text.replace(old, new), encoding="utf-8")
    result = ivrkit("diff", "simple_ivr", str(changed), columns=columns, terminal=True)
    assert result.returncode == 1, result.stderr
    assert_fits(result.stdout, columns)
    words_whole(result.stdout, "{+Thanks+} [-contacting-] {+calling the+} technical support")
