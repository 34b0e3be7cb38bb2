"""`ivrkit campaign ...` as a person (and a script) uses it."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ivrkit._cli import app
from ivrkit._harness import API_KEY, SUBACCOUNT, IvrHarness
from tests.cli.run import ivrkit

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ivrkit.db'}"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_contacts_file_with_bad_rows_is_refused_in_one_line(tmp_path: Path, db: str) -> None:
    contacts = write(tmp_path, "c.csv", "number\n91234567\nnope\n")
    result = ivrkit("campaign", "create", "bad", "--contacts", str(contacts), "--db", db)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "line 3:" in result.stderr and "nothing imported" in result.stderr


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--rate", "fast", "is not calls per second"),
        ("--window", "9-5", "is not HH:MM-HH:MM"),
        ("--retry-after", "soon", "is not a duration"),
        ("--start", "2026-03-02T09:00", "needs a UTC offset"),
        ("--region", "XX", "is not a region"),
    ],
)
def test_bad_settings_are_one_line_errors(
    tmp_path: Path, db: str, option: str, value: str, message: str
) -> None:
    contacts = write(tmp_path, "c.csv", "number\n91234567\n")
    result = runner.invoke(
        app, ["campaign", "create", "x", "--contacts", str(contacts), "--db", db, option, value]
    )
    assert result.exit_code != 0
    assert message in str(result.exception)


def test_create_reports_duplicates_and_dnc_then_lists_pauses_and_cancels(
    tmp_path: Path, db: str
) -> None:
    contacts = write(tmp_path, "c.csv", "number,name\n91234567,Ann\n+6591234567,Ann\n91234568,B\n")
    dnc = write(tmp_path, "dnc.txt", "91234568\n")
    created = runner.invoke(
        app,
        ["campaign", "create", "may", "--contacts", str(contacts), "--dnc", str(dnc), "--db", db],
    )
    assert created.exit_code == 0, created.output
    assert "1 to call, 1 on the do-not-call list, 1 duplicate(s)" in created.output
    listed = runner.invoke(app, ["campaign", "list", "--db", db, "--json"])
    assert [c["name"] for c in json.loads(listed.output)] == ["may"]
    assert "paused" in runner.invoke(app, ["campaign", "pause", "may", "--db", db]).output
    assert "active" in runner.invoke(app, ["campaign", "resume", "may", "--db", db]).output
    assert "cancelled" in runner.invoke(app, ["campaign", "cancel", "may", "--db", db]).output
    again = runner.invoke(app, ["campaign", "resume", "may", "--db", db])
    assert again.exit_code != 0 and "cannot become active" in str(again.exception)
    status = json.loads(
        runner.invoke(app, ["campaign", "status", "may", "--db", db, "--json"]).output
    )
    assert status["byOutcome"] == {"cancelled": 1, "do-not-call": 1}
    assert status["state"] == "cancelled"


@pytest.mark.e2e
def test_run_then_report_csv_tells_each_customers_outcome(tmp_path: Path) -> None:
    with IvrHarness() as harness:
        harness.control.set_phone("+6591234567", press=["1"])
        harness.control.set_phone("+6591234568", press=["2"])
        db = str(harness.store.url)
        contacts = write(tmp_path, "c.csv", "number,name\n91234567,Ann\n91234568,Bob\n")
        env = {
            "PATH": "/usr/bin:/bin",
            "IVRKIT_API_KEY": API_KEY,
            "IVRKIT_SUBACCOUNT": SUBACCOUNT,
            "IVRKIT_API_BASE": harness.platform_url,
            "IVRKIT_DB": db,
        }
        made = ivrkit(
            "campaign",
            "create",
            "cb",
            "--contacts",
            str(contacts),
            "--window",
            "00:00-24:00",
            env=env,
        )
        assert made.returncode == 0, made.stderr
        ran = ivrkit("campaign", "run", "cb", env=env)
        assert ran.returncode == 0, ran.stderr
        assert "campaign cb: done; 2 call(s) placed" in ran.stdout
        report = ivrkit("campaign", "report", "cb", "--csv", env=env)
        rows = list(csv.DictReader(io.StringIO(report.stdout)))
        assert [(r["number"], r["name"], r["outcome"], r["attempts"]) for r in rows] == [
            ("+6591234567", "Ann", "resolved", "1"),
            ("+6591234568", "Bob", "agent", "1"),
        ]
        assert all(r["attempt1_status"] == "COMPLETED" and r["attempt1_session"] for r in rows)
        status = ivrkit("campaign", "status", "cb", env=env)
        assert "outcomes: agent 1, resolved 1" in status.stdout


def test_list_says_so_on_an_empty_store_and_has_headers(tmp_path: Path, db: str) -> None:
    from ivrkit._cli.campaign_output import EMPTY_STORE
    from ivrkit.store import open_store

    open_store(db).close()
    empty = ivrkit("campaign", "list", "--db", db)
    assert (empty.returncode, empty.stdout.strip()) == (0, EMPTY_STORE)
    contacts = write(tmp_path, "c.csv", "number\n91234567\n")
    assert (
        ivrkit("campaign", "create", "june", "--contacts", str(contacts), "--db", db).returncode
        == 0
    )
    listed = ivrkit("campaign", "list", "--db", db).stdout.splitlines()
    header = next(line for line in listed if "name" in line)
    assert header.split("┃")[1:-1] and [c.strip() for c in header.split("┃")[1:-1]] == [
        "name",
        "state",
        "flow",
        "created",
    ]
    assert any("june" in line and "active" in line for line in listed)


def test_status_says_when_the_next_call_is_due_why_and_who_changed_what(
    tmp_path: Path, db: str
) -> None:
    contacts = write(tmp_path, "c.csv", "number\n91234567\n91234568\n")
    made = ivrkit(
        "campaign",
        "create",
        "night",
        "--contacts",
        str(contacts),
        "--db",
        db,
        "--window",
        "09:00-09:05",
        "--days",
        "mon",
        "--start",
        "2030-01-07T10:00+08:00",
    )
    assert made.returncode == 0, made.stderr
    edited = ivrkit("campaign", "edit", "night", "--rate", "1/m", "--db", db)
    assert edited.stdout.strip() == "campaign night: rate 5/s → 1/m"
    lines = ivrkit("campaign", "status", "night", "--db", db).stdout.splitlines()
    # Starting on a Monday at 10:00: the one-minute window opens a week later.
    due = "2030-01-14 09:00 Asia/Singapore (01:00 UTC)"
    assert f"next call due: {due}" in lines
    assert (
        f"waiting for the calling window (09:00-09:05 mon) opens at {due} for 2 contact(s)" in lines
    )
    assert any(line.startswith("eta: 2030-01-14 09:02 Asia/Singapore") for line in lines), lines
    assert lines[lines.index("changes:") + 2].endswith("rate 5/s → 1/m")
    found = json.loads(ivrkit("campaign", "status", "night", "--db", db, "--json").stdout)
    assert found["nextDue"] == "2030-01-14T01:00:00+00:00"
    assert found["waiting"]["kind"] == "window"
    assert [c["action"] for c in found["changes"]] == ["created", "edited"]
    assert found["changes"][1] | {"at": None, "actor": None} == {
        "at": None,
        "actor": None,
        "action": "edited",
        "setting": "rate",
        "old": "5/s",
        "new": "1/m",
    }


def test_edit_refuses_nothing_and_bad_values_in_one_line(tmp_path: Path, db: str) -> None:
    contacts = write(tmp_path, "c.csv", "number\n91234567\n")
    ivrkit("campaign", "create", "e", "--contacts", str(contacts), "--db", db)
    for args, message in [
        ((), "nothing to change: give --rate"),
        (("--rate", "fast"), "is not calls per second"),
        (("--window", "20:00-08:00"), "ends before it starts"),
        (("--end", "tomorrow"), "is not a date and time"),
    ]:
        result = ivrkit("campaign", "edit", "e", "--db", db, *args)
        assert result.returncode == 1, args
        assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr, args


def test_resume_says_whether_a_worker_will_call_and_a_cancelled_name_is_reused(
    tmp_path: Path, db: str
) -> None:
    contacts = write(tmp_path, "c.csv", "number\n91234567\n")
    ivrkit("campaign", "create", "r", "--contacts", str(contacts), "--db", db)
    ivrkit("campaign", "pause", "r", "--db", db)
    resumed = ivrkit("campaign", "resume", "r", "--db", db)
    assert "no worker runs it: start one with `ivrkit campaign run r`" in resumed.stdout
    ivrkit("campaign", "cancel", "r", "--db", db)
    again = ivrkit("campaign", "create", "r", "--contacts", str(contacts), "--db", db)
    assert again.returncode == 0, again.stderr
    assert "the cancelled campaign named r before is kept as r~1" in again.stdout
    listed = json.loads(ivrkit("campaign", "list", "--db", db, "--json").stdout)
    assert [(c["name"], c["state"]) for c in listed] == [("r~1", "cancelled"), ("r", "active")]
    changes = json.loads(ivrkit("campaign", "status", "r~1", "--db", db, "--json").stdout)
    actions = [c["action"] for c in changes["changes"]]
    assert actions == ["created", "paused", "resumed", "cancelled", "renamed"]
    assert all("@" in c["actor"] for c in changes["changes"])


def test_a_flow_file_given_by_a_relative_path_is_found_from_another_folder(
    tmp_path: Path, db: str
) -> None:
    from ivrkit.trees._loader import builtin_path

    made_in = tmp_path / "project"
    (made_in / "flows").mkdir(parents=True)
    (made_in / "flows" / "mine.yaml").write_text(builtin_path("simple_ivr").read_text("utf-8"))
    contacts = write(made_in, "c.csv", "number\n91234567\n")
    created = ivrkit(
        "campaign",
        "create",
        "f",
        "--contacts",
        "c.csv",
        "--flow",
        "flows/mine.yaml",
        "--db",
        db,
        cwd=made_in,
    )
    assert created.returncode == 0, created.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"IVRKIT_API_KEY": "key", "IVRKIT_SUBACCOUNT": "sub"}
    ran = ivrkit(
        "campaign", "run", "f", "--db", db, "--until", "2000-01-01T00:00Z", cwd=elsewhere, env=env
    )
    assert ran.returncode == 0, ran.stderr
    assert "campaign f: until; 0 call(s) placed" in ran.stdout
    listed = json.loads(ivrkit("campaign", "list", "--db", db, "--json").stdout)
    assert listed[0]["flow"] == str(made_in / "flows" / "mine.yaml")
    assert contacts.exists()


def test_report_has_headers_and_its_csv_rows_are_as_wide_as_the_header() -> None:
    from ivrkit._cli.campaign_output import report_csv, report_table
    from ivrkit.campaigns import ContactReport
    from ivrkit.campaigns._model import AttemptRecord

    at = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)

    def attempt(n: int, outcome: str) -> AttemptRecord:
        return AttemptRecord(
            number=n,
            client_request_id=f"r{n}",
            session_id=f"{n:08d}-aaaa-bbbb-cccc-dddddddddddd",
            state="ended",
            status="COMPLETED",
            outcome=outcome,
            error_code=None,
            placed_at=at,
            ended_at=at,
        )

    rows = [
        ContactReport(
            2,
            "+6591234567",
            {"name": "=cmd()"},
            ["Asia/Singapore"],
            "ended",
            "resolved",
            [attempt(1, "busy"), attempt(2, "resolved")],
        ),
        ContactReport(3, "+6591234568", {}, ["Asia/Singapore"], "pending", None, [], due_at=at),
    ]
    parsed = list(csv.reader(io.StringIO(report_csv(rows))))
    assert parsed[0][:7] == ["line", "number", "name", "state", "outcome", "due_at", "attempts"]
    assert {len(row) for row in parsed} == {len(parsed[0])} == {13}
    assert parsed[1][2] == "'=cmd()"  # the project's CSV writer: never a formula
    assert parsed[2][5] == at.isoformat()
    from rich.console import Console

    out = io.StringIO()
    Console(file=out, width=80).print(report_table(rows))
    lines = out.getvalue().splitlines()
    assert all(len(line) <= 80 for line in lines) and "…" not in out.getvalue()
    assert all(header in lines[1] for header in ("number", "outcome", "due", "sessions"))
    assert "not shown at this width" in out.getvalue() or "line" in lines[1]
    assert "00000002-aaaa-bbbb" in out.getvalue().replace("\n", "").replace("│", "").replace(
        " ", ""
    )


class _DayByDay:
    """Business time that moves a day each time the worker sleeps: `campaign run` reaches its
    --until at once, and looks at what it waits for every round on the way."""

    def __init__(self) -> None:
        self.moment = datetime.now(UTC)

    def now(self) -> datetime:
        return self.moment

    def sleep(self, seconds: float) -> None:
        self.moment += timedelta(days=1)


def test_run_says_what_it_waits_for_once_not_every_round(
    tmp_path: Path, db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ivrkit.campaigns import _runner

    monkeypatch.setattr(_runner, "SystemClock", _DayByDay)
    monkeypatch.setattr(_runner, "LOOK_EVERY", 0.0)
    contacts = write(tmp_path, "c.csv", "number\n91234567\n")
    start = "2030-01-07T10:00+08:00"
    ivrkit("campaign", "create", "later", "--contacts", str(contacts), "--start", start, "--db", db)
    until = (datetime.now(UTC) + timedelta(days=20)).isoformat()
    env = {"IVRKIT_API_KEY": "key", "IVRKIT_SUBACCOUNT": "sub"}
    ran = ivrkit("campaign", "run", "later", "--db", db, "--until", until, env=env)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines() == [
        "campaign later: active; at most 5/s, 10 at once, 09:00-20:00 mon-sun in each contact's "
        "zone",
        "campaign later: waiting for the campaign's start at 2030-01-07 10:00 Asia/Singapore "
        "(02:00 UTC) (1 contact(s))",
        "campaign later: until; 0 call(s) placed by this worker",
    ]
