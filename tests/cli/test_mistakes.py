"""Every mistake a person can make with the command line ends in one clear line on stderr and an
exit code, never a traceback; output read by programs never wraps, whatever the terminal width
or the folder the files sit in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ivrkit.trees import load_tree
from tests.cli.run import Output, ivrkit

TRACEBACK = "Traceback"


def one_line_error(result: Output, code: int, words: str) -> None:
    both = result.stderr + (result.stdout or "")
    assert TRACEBACK not in both, both
    assert result.returncode == code, both
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    assert words in lines[0], lines[0]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["nope"], "No such command 'nope'"),
        (["serve", "--port", "abc"], "Invalid value for '--port'"),
        (["call"], "Missing argument"),
        (["lint", "simple_ivr", "--no-such-option"], "No such option"),
        (["sessions", "--limit", "9" * 25], "Invalid value for '--limit'"),
        (["sessions", "--limit", "0"], "Invalid value for '--limit'"),
        (["simulator", "--port", "99999"], "Invalid value for '--port'"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(tmp_path: Path, args: list[str], words: str) -> None:
    one_line_error(ivrkit(*args, cwd=tmp_path), 2, words)


def test_ivrkit_alone_shows_the_help_and_exits_2(tmp_path: Path) -> None:
    result = ivrkit(cwd=tmp_path)
    assert TRACEBACK not in result.stdout + result.stderr
    assert result.returncode == 2
    assert "serve" in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["serve", "--port", "99999"], "IVRKIT_PORT"),
        (["serve", "--db", "sqlite:///"], "'sqlite:///' names no file"),
        (["sessions", "--db", "sqlite:///"], "'sqlite:///' names no file"),
        (["serve", "--db", "sqlite://"], "lives in memory"),
        (["serve", "--db", "sqlite:///:memory:"], "lives in memory"),
        (["serve", "--timezone", "Mars/Olympus"], "'Mars/Olympus' is not a time zone"),
        (["dashboard", "--timezone", "Asia/Nowhere"], "'Asia/Nowhere' is not a time zone"),
    ],
)
def test_bad_settings_are_one_line_and_exit_1(tmp_path: Path, args: list[str], words: str) -> None:
    one_line_error(ivrkit(*args, cwd=tmp_path), 1, words)


def test_an_unset_variable_in_the_db_url_is_refused(tmp_path: Path) -> None:
    result = ivrkit("serve", cwd=tmp_path, env={"IVRKIT_DB": "sqlite:///"})
    one_line_error(result, 1, "names no file")


def test_a_port_in_the_environment_is_checked_too(tmp_path: Path) -> None:
    one_line_error(ivrkit("serve", cwd=tmp_path, env={"IVRKIT_PORT": "70000"}), 1, "65535")


def test_a_dotenv_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    (tmp_path / ".env").write_bytes("IVRKIT_DB=sqlite:///café.db\n".encode("latin-1"))
    one_line_error(ivrkit("sessions", cwd=tmp_path), 1, ".env is not UTF-8")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize(
    "args", [["lint", "simple_ivr"], ["lint", "simple_ivr", "--json"], ["schema"], ["graph", "x"]]
)
def test_output_to_a_full_disk_is_one_line(tmp_path: Path, args: list[str]) -> None:
    if args == ["graph", "x"]:
        args = ["graph", "simple_ivr"]
    with open("/dev/full", "w") as full:
        result = ivrkit(*args, cwd=tmp_path, stdout=full)
    one_line_error(result, 1, "No space left on device")


# -- tree files --------------------------------------------------------------------------------

TREE = """\
name: t
entry: main
nodes:
  main:
    menu:
      prompt: Press 1 to leave.
      capture: {max_digits: 1}
      routes: {"1": bye}
      on_invalid: bye
  bye:
    hangup: {}
"""


def chain(count: int, kind: str) -> str:
    lines = ["name: chain", "entry: n0", "nodes:"]
    for i in range(count):
        if kind == "say":
            lines.append(f"  n{i}:\n    say: {{text: Step {i}., next: n{i + 1}}}")
        else:
            lines.append(
                f"  n{i}:\n    menu:\n      prompt: Press 1 for step {i + 1}.\n"
                f'      capture: {{max_digits: 1}}\n      routes: {{"1": n{i + 1}}}\n'
                f"      on_invalid: n{count}"
            )
    lines.append(f"  n{count}:\n    hangup: {{}}")
    return "\n".join(lines) + "\n"


BAD_TREES: dict[str, tuple[bytes, str]] = {
    "latin1": (TREE.replace("leave", "leave café").encode("latin-1"), "not UTF-8"),
    "deep-flow": (
        (TREE + "extra: " + "[" * 5000 + "]" * 5000 + "\n").encode(),
        "not valid YAML",
    ),
    "deep-block": (
        (TREE + "extra:\n" + "".join(" " * (i + 2) + f"k{i}:\n" for i in range(300))).encode(),
        "nested deeper than 64 levels",
    ),
    "duplicate-key": (
        (TREE + "  bye:\n    hangup: {}\n").encode(),
        "duplicate-key",
    ),
    "unreachable": ((TREE + "  orphan:\n    hangup: {}\n").encode(), "unreachable-node"),
    "say-chain": (chain(1500, "say").encode(), "chain-too-long"),
}


@pytest.mark.parametrize("case", sorted(BAD_TREES))
@pytest.mark.parametrize("command", ["lint", "serve"])
def test_a_bad_tree_is_one_line_for_lint_and_serve(tmp_path: Path, case: str, command: str) -> None:
    data, words = BAD_TREES[case]
    path = tmp_path / "tree.yaml"
    path.write_bytes(data)
    if command == "serve":
        args = ["serve", "--flow", str(path), "--port", "0", "--db", f"sqlite:///{tmp_path}/s.db"]
        one_line_error(ivrkit(*args, cwd=tmp_path), 1, words)
        return
    result = ivrkit("lint", str(path), cwd=tmp_path)
    both = result.stdout + result.stderr
    assert TRACEBACK not in both
    assert result.returncode == 1
    assert words in both


def test_a_tree_over_the_size_limit_is_refused_and_the_limit_is_configurable(
    tmp_path: Path,
) -> None:
    path = tmp_path / "tree.yaml"
    path.write_text(TREE + "# " + "x" * (1024 * 1024) + "\n", encoding="utf-8")
    one_line_error(ivrkit("lint", str(path), cwd=tmp_path), 1, "larger than 1,048,576 bytes")
    raised = ivrkit("lint", str(path), cwd=tmp_path, env={"IVRKIT_MAX_TREE_BYTES": "2000000"})
    assert raised.returncode == 0, raised.stdout + raised.stderr
    assert "no problems found" in raised.stdout


# -- output read by programs never wraps ---------------------------------------------------------


@pytest.fixture()
def deep(tmp_path: Path) -> Path:
    """A folder far from the root, so that every line naming a file is long."""
    folder = tmp_path.joinpath(*(["a-rather-long-folder-name"] * 6))
    folder.mkdir(parents=True)
    return folder


def test_lint_lines_never_wrap(deep: Path) -> None:
    path = deep / "tree.yaml"
    path.write_text(TREE + "  orphan:\n    hangup: {}\n", encoding="utf-8")
    result = ivrkit("lint", str(path), cwd=deep, columns=20)
    lines = result.stdout.splitlines()
    assert lines == [
        f"{path}:12:3: error unreachable-node: node 'orphan' is never reached: no path from the "
        "entry 'main' leads to it",
        "1 error, 0 warnings",
    ]


def test_a_clean_lint_line_never_wraps(deep: Path) -> None:
    path = deep / "tree.yaml"
    path.write_text(TREE, encoding="utf-8")
    result = ivrkit("lint", str(path), cwd=deep, columns=20)
    assert result.stdout.splitlines() == [
        f"{path}: no problems found; version {load_tree(path).version}"
    ]


def test_validate_lines_never_wrap(deep: Path) -> None:
    path = deep / "callflow.json"
    path.write_text(
        '{"callflow": [{"action": "say", "params": {"text": "Hello", "voiceProfile": "x"}}]}',
        encoding="utf-8",
    )
    result = ivrkit("validate", str(path), cwd=deep, columns=20)
    lines = result.stdout.splitlines()
    assert lines[0] == "-1013 Invalid Callflow : First action should be a MakeCall action"
    assert lines[1] == "  also -1002 Speech profile or language parameter invalid"


def test_json_never_wraps(deep: Path) -> None:
    path = deep / "tree.yaml"
    path.write_text(TREE + "  orphan:\n    hangup: {}\n", encoding="utf-8")
    result = ivrkit("lint", str(path), "--json", cwd=deep, columns=20)
    body = json.loads(result.stdout)
    assert body["issues"][0]["file"] == str(path)
    message = body["issues"][0]["message"]
    assert any(line.strip() == f'"message": "{message}",' for line in result.stdout.splitlines())


def test_sessions_piped_keep_one_line_per_session(deep: Path) -> None:
    from datetime import UTC, datetime

    from ivrkit.store import open_store

    url = f"sqlite:///{deep / 's.db'}"
    store = open_store(url)
    session = "a4fad4b3-b388-12ee-b217-2fb8260fcf59-with-a-much-longer-tail-than-usual"
    store.record_outbound_call(
        session,
        at=datetime(2026, 1, 1, tzinfo=UTC),
        customer="+6512345678",
        sub_account_id="acc",
        flow="simple_ivr",
        request_id="r-1",
    )
    store.close()
    result = ivrkit("sessions", "--db", url, cwd=deep, columns=20)
    assert result.returncode == 0, result.stderr
    (row,) = [line for line in result.stdout.splitlines() if session in line]
    assert "IN_PROGRESS" in row
    assert "2026-01-01 00:00:00" in row


def test_run_app_turns_aborts_and_exits_into_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    import typer

    from ivrkit._cli.common import run_app

    app = typer.Typer()

    @app.command()
    def abort() -> None:
        raise typer.Abort()

    @app.command()
    def leave() -> None:
        raise typer.Exit(3)

    assert run_app(app, ["abort"]) == 130
    assert capsys.readouterr().err.strip() == "error: aborted"
    assert run_app(app, ["leave"]) == 3
    assert run_app(app, ["nope"]) == 2
    assert capsys.readouterr().err.strip().startswith("error: No such command 'nope'.")
