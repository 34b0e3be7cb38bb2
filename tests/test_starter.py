"""`ivrkit init`: a new project whose tests take every route of its tree (they are run, from an
installed wheel, by tests/test_install.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivrkit._cli.app import app
from ivrkit._cli.common import run_app
from ivrkit._config import Settings
from ivrkit._starter import env_example, project_name, write_starter
from ivrkit.errors import ConfigError
from ivrkit.trees import load_tree
from ivrkit.trees._lint import lint_text
from ivrkit.trees._routes import tree_routes


def test_the_tree_is_a_real_menu_lint_finds_nothing_in(tmp_path: Path) -> None:
    write_starter(tmp_path / "shop")
    path = tmp_path / "shop" / "ivr.yaml"
    assert lint_text(path.read_text(encoding="utf-8"), source=str(path)) == []
    tree = load_tree(path)
    assert tree.name == "shop"
    labels = {node.outcome for node in tree.spec.nodes.values()} - {None}
    assert labels == {"hours", "agent", "gave-up"}
    assert len(tree_routes(tree.spec)) == 8


def test_the_project_has_its_tree_tests_settings_and_readme(tmp_path: Path) -> None:
    written = write_starter(tmp_path / "shop")
    names = sorted(str(path.relative_to(tmp_path / "shop")) for path in written)
    assert names == [
        ".env.example",
        ".gitignore",
        "README.md",
        "ivr.yaml",
        "pyproject.toml",
        "tests/test_ivr.py",
    ]
    readme = (tmp_path / "shop" / "README.md").read_text(encoding="utf-8")
    for command in ("ivrkit lint", "pytest", "ivrkit simulator", "ivrkit serve", "ivrkit call"):
        assert command in readme
    pyproject = (tmp_path / "shop" / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dependencies = ["ivrkit"]' in pyproject
    assert 'ivrkit_flow = "ivr.yaml"' in pyproject


def test_env_example_names_every_setting_ivrkit_reads() -> None:
    text = env_example()
    for name in Settings.model_fields:
        assert f"IVRKIT_{name.upper()}=" in text
    assert "\nIVRKIT_FLOW=ivr.yaml\n" in text
    assert "\n# IVRKIT_PORT=8080\n" in text


def test_a_folder_with_files_is_refused_in_one_line_and_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    assert run_app(app, ["init", str(tmp_path)]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "is not empty" in error and "--force" in error
    assert sorted(path.name for path in tmp_path.iterdir()) == ["notes.txt"]


def test_force_writes_the_starter_beside_what_is_there(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    (tmp_path / "ivr.yaml").write_text("old", encoding="utf-8")
    assert run_app(app, ["init", str(tmp_path), "--force"]) == 0
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (tmp_path / "ivr.yaml").read_text(encoding="utf-8") != "old"


def test_a_file_is_not_a_project_folder(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("", encoding="utf-8")
    with pytest.raises(ConfigError, match="is a file"):
        write_starter(tmp_path / "file", force=True)


def test_the_name_comes_from_the_folder(tmp_path: Path) -> None:
    assert project_name(tmp_path / "Acme Support!") == "Acme-Support"
    assert project_name(tmp_path / "!!!") == "my-ivr"
