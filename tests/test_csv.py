"""One CSV writer for every export: formulas are text, signed numbers stay numbers, NUL bytes go.
`campaign report --csv`, `report --csv` and the dashboard's CSV all write through it."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from ivrkit._csv import cell, csv_text
from tests.cli.run import ivrkit

FORMULA = "=cmd|' /C calc'!A0"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (FORMULA, f"'{FORMULA}"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a\x00b", "ab"),
        ("\x00=1", "'=1"),
        ("+6512345678", "+6512345678"),
        ("-3", "-3"),
        ("-0.25", "-0.25"),
        ("plain", "plain"),
        (None, ""),
        (42, "42"),
    ],
)
def test_a_cell_is_text_a_spreadsheet_never_runs(value: object, written: str) -> None:
    assert cell(value) == written


def test_csv_text_reads_back_as_written() -> None:
    text = csv_text([["a", "b"], [FORMULA, "x\x00y"]])
    assert list(csv.reader(io.StringIO(text))) == [["a", "b"], [f"'{FORMULA}", "xy"]]


def test_campaign_report_csv_neutralises_formulas_and_nul_bytes(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'ivrkit.db'}"
    contacts = tmp_path / "c.csv"
    contacts.write_text(f'number,name,note\n91234567,"{FORMULA}",a\x00b\n', encoding="utf-8")
    made = ivrkit("campaign", "create", "spring", "--contacts", str(contacts), "--db", db)
    assert made.returncode == 0, made.stderr
    report = ivrkit("campaign", "report", "spring", "--csv", "--db", db)
    assert report.returncode == 0, report.stderr
    assert "\x00" not in report.stdout
    rows = list(csv.DictReader(io.StringIO(report.stdout)))
    assert rows[0]["name"] == f"'{FORMULA}"
    assert rows[0]["note"] == "ab"
