"""The `ivrkit` command as a real process, where the process is the subject: its exit status, a
closed pipe and a full disk on its real file descriptors, the terminal width it reads from
COLUMNS. Everything else about the command line is tested in process (tests/cli/run.py); the
signals of `ivrkit serve` are in tests/cli/test_serve_interrupt.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_mistakes import TREE, one_line_error

pytestmark = pytest.mark.e2e


def ivrkit(
    *args: str, cwd: Path, stdout: int | None = None, columns: int = 20
) -> subprocess.CompletedProcess[str]:
    """The real command in a subprocess, with a narrow COLUMNS: nothing may depend on it."""
    environment = {**os.environ, "COLUMNS": str(columns)}
    environment.pop("TERM", None)
    return subprocess.run(
        [sys.executable, "-c", "from ivrkit._cli import main; main()", *args],
        cwd=cwd,
        env=environment,
        stdout=stdout if stdout is not None else subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_usage_error_is_the_exit_status_of_the_process(tmp_path: Path) -> None:
    one_line_error(ivrkit("nope", cwd=tmp_path), 2, "No such command 'nope'")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_output_to_a_full_disk_is_one_line(tmp_path: Path) -> None:
    with open("/dev/full", "w") as full:
        result = ivrkit("schema", cwd=tmp_path, stdout=full.fileno())
    one_line_error(result, 1, "No space left on device")


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    read, write = os.pipe()
    os.close(read)
    try:
        result = ivrkit("schema", cwd=tmp_path, stdout=write)
    finally:
        os.close(write)
    assert "Traceback" not in result.stderr
    assert result.returncode == 1


def test_lint_lines_never_wrap_at_the_width_in_columns(tmp_path: Path) -> None:
    deep = tmp_path.joinpath(*(["a-rather-long-folder-name"] * 6))
    deep.mkdir(parents=True)
    path = deep / "tree.yaml"
    path.write_text(TREE + "  orphan:\n    hangup: {}\n", encoding="utf-8")
    result = ivrkit("lint", str(path), cwd=deep, columns=20)
    assert result.stdout.splitlines() == [
        f"{path}:12:3: error unreachable-node: node 'orphan' is never reached: no path from the "
        "entry 'main' leads to it",
        "1 error, 0 warnings",
    ]
