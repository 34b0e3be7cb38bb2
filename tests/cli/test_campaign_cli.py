"""`ivrkit campaign ...` as a person (and a script) uses it."""

from __future__ import annotations

import csv
import io
import json
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
