"""A clone passes on its own: no tracked file of the package, tests, benchmark or build names a
path outside the repository."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, SPEC_DIR

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ["src", "tests", "bench", "docs", "Makefile", "pyproject.toml", "README.md", ".ci"]
# Built from pieces so that this file does not name what it forbids.
OUTSIDE = re.compile("|".join([re.escape("../" + "shared"), "(?<![\\w.])/" + "work(?:/|\\b)"]))


def tracked_files() -> list[Path]:
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--", *CHECKED],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: nothing tracked to check")
    return [ROOT / name for name in listed.decode().split("\0") if name]


def outside_paths(text: str) -> list[str]:
    return [m.group(0) for m in OUTSIDE.finditer(text)]


def test_pattern_catches_outside_paths() -> None:
    assert outside_paths('Path("/' + 'work/shared/spec")') == ["/" + "work/"]
    assert outside_paths("parents[1] / '..' / '.." + "/shared/x'") == [".." + "/shared"]
    assert outside_paths("src/ivrkit/" + "work/x.py and /home/user/homework/a") == []


def test_no_tracked_file_names_a_path_outside_the_repository() -> None:
    offenders = []
    for path in tracked_files():
        if not path.is_file():
            continue  # deleted in the work tree, not yet committed
        text = path.read_bytes().decode("utf-8", errors="replace")
        for lineno, line in enumerate(text.splitlines(), 1):
            if outside_paths(line):
                offenders.append(f"{path.relative_to(ROOT)}:{lineno}: {line.strip()}")
    assert offenders == []


def test_vendor_payloads_are_inside_the_repository() -> None:
    assert SPEC_DIR.is_relative_to(ROOT)
    assert (SPEC_DIR / "voice_v1_api.json").is_file()
    assert len(list(FIXTURES.glob("*.json"))) > 80
    assert (SPEC_DIR / "README.md").is_file()
