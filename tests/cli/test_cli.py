"""The command line as a person uses it: exit codes, one-line errors, never a traceback."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ivrkit._cli import app
from ivrkit.store import Delivery, SessionUpdate, open_store
from tests.cli.run import ivrkit
from tests.conftest import FIXTURES

runner = CliRunner()


def test_validate_prints_created_for_the_guides_callflow() -> None:
    result = runner.invoke(app, ["validate", str(FIXTURES / "request_simple_ivr_initial.json")])
    assert result.exit_code == 0
    assert result.output.strip() == "1 Created"


def test_validate_gives_the_platform_code_and_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"callflow": [{"action": "hangup"}]}))
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 1
    assert result.output.startswith("-1013 Invalid Callflow : First action should be a MakeCall")


def test_validate_answer_mode_accepts_a_vca_answer() -> None:
    answer = str(FIXTURES / "vca_response_simple_ivr_dtmf1_hangup.json")
    assert runner.invoke(app, ["validate", answer]).exit_code == 1
    assert runner.invoke(app, ["validate", "--answer", answer]).exit_code == 0


def test_validate_json_output(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = runner.invoke(app, ["validate", "--json", str(bad)])
    assert result.exit_code == 1
    body = json.loads(result.output)
    assert body["statusCode"] == -1001
    assert body["httpStatus"] == 400


def test_sessions_lists_what_the_store_holds(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    store = open_store(url)
    store.record_outbound_call(
        "sess-1",
        at=datetime(2026, 1, 1, tzinfo=UTC),
        customer="+6512345678",
        sub_account_id="acc",
        flow="simple_ivr",
        request_id="r-1",
    )
    store.close()
    result = runner.invoke(app, ["sessions", "--db", url, "--json"])
    assert result.exit_code == 0
    (row,) = json.loads(result.output)
    assert row["sessionId"] == "sess-1"
    assert row["status"] == "IN_PROGRESS"
    assert row["outcome"] is None
    table = runner.invoke(app, ["sessions", "--db", url])
    assert "sess-1" in table.output
    assert "outcome" in table.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["call", "+6512345678"], "IVRKIT_API_KEY"),
        (["validate", "/nonexistent/file.json"], "cannot read"),
        (["serve", "--flow", "/nonexistent/tree.yaml"], "cannot read the tree file"),
        (["sessions", "--db", "mysql://nobody"], "error:"),
        (["sessions", "--db", "sqlite:////nonexistent/ivrkit.db"], "no store at"),
        (["webhooks", "list"], "IVRKIT_API_KEY"),
        (["webhooks", "delete", "VXX"], "'VXX' is not a webhook type"),
        (["webhooks", "register", "--url", "https://x.example", "--type", "vxx"], "use one of"),
    ],
)
def test_errors_are_one_line_without_traceback(args: list[str], message: str) -> None:
    result = ivrkit(*args)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_sessions_show_the_tree_versions_that_answered(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    at = datetime(2026, 1, 1, tzinfo=UTC)
    with open_store(url) as store:
        for session_id, versions in (
            ("kept", ["3fa9c1d2e4"] * 2),
            ("moved", ["3fa9c1d2e4", "8b2d0e11aa"]),
        ):
            for number, version in enumerate(versions):
                store.record_vca(
                    Delivery(
                        channel="vca",
                        received_at=at,
                        body="{}",
                        headers={},
                        http_status=200,
                        answer="{}",
                        outcome="answered",
                        event_id=f"{session_id}-{number}",
                        session_id=session_id,
                        version=version,
                    ),
                    SessionUpdate(session_id=session_id, at=at, version=version),
                )
    rows = json.loads(runner.invoke(app, ["sessions", "--db", url, "--json"]).output)
    assert {row["sessionId"]: (row["firstVersion"], row["lastVersion"]) for row in rows} == {
        "kept": ("3fa9c1d2e4", "3fa9c1d2e4"),
        "moved": ("3fa9c1d2e4", "8b2d0e11aa"),
    }
    plain = runner.invoke(app, ["sessions", "--db", url])
    assert "3fa9c1d2e4" not in plain.output
    table = runner.invoke(app, ["sessions", "--db", url, "--versions"], terminal_width=300)
    lines = {line.split()[1]: line for line in table.output.splitlines() if "│ " in line}
    assert "3fa9c1d2e4 → 8b2d0e11aa" in lines["moved"]
    assert "→" not in lines["kept"] and "3fa9c1d2e4" in lines["kept"]


def test_version_prints_the_packages_version_and_nothing_else() -> None:
    import ivrkit as package

    result = ivrkit("--version")
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        f"ivrkit {package.__version__}\n",
        "",
    )
