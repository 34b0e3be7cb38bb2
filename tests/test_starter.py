"""`ivrkit init`: a new project whose tests take every route of its tree (they are run, from an
installed wheel, by tests/test_install.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ivrkit._cli.common import run_app
from ivrkit._config import Settings
from ivrkit._starter import (
    env_example,
    install_argument,
    install_source,
    project_name,
    write_starter,
)
from ivrkit.errors import ConfigError
from ivrkit.trees import load_tree
from ivrkit.trees._lint import lint_text
from ivrkit.trees._routes import tree_routes
from tests.cli.run import built_command


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
    assert run_app(built_command(), ["init", str(tmp_path)]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "is not empty" in error and "--force" in error
    assert sorted(path.name for path in tmp_path.iterdir()) == ["notes.txt"]


def test_force_writes_the_starter_beside_what_is_there(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    (tmp_path / "ivr.yaml").write_text("old", encoding="utf-8")
    assert run_app(built_command(), ["init", str(tmp_path), "--force"]) == 0
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (tmp_path / "ivr.yaml").read_text(encoding="utf-8") != "old"


def test_a_file_is_not_a_project_folder(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("", encoding="utf-8")
    with pytest.raises(ConfigError, match="is a file"):
        write_starter(tmp_path / "file", force=True)


def test_the_name_comes_from_the_folder(tmp_path: Path) -> None:
    assert project_name(tmp_path / "Acme Support!") == "Acme-Support"
    assert project_name(tmp_path / "!!!") == "my-ivr"


def _blocks(markdown: str) -> list[str]:
    """The fenced blocks of a Markdown text, in order."""
    return re.findall(r"^```[a-z]*\n(.*?)^```$", markdown, flags=re.MULTILINE | re.DOTALL)


INDEX_INSTALL = re.compile(r"pip install ['\"]?ivrkit([=<>~!\[\s]|$)", re.MULTILINE)
"""``pip install ivrkit`` in any form that asks an index, which has no ivrkit."""


@pytest.mark.parametrize(
    ("recorded", "install", "origin"),
    [
        (
            "/home/me/dist/ivrkit-1.2.0-py3-none-any.whl",
            "/home/me/dist/ivrkit-1.2.0-py3-none-any.whl",
            "installed from `/home/me/dist/ivrkit-1.2.0-py3-none-any.whl`",
        ),
        (None, "./ivrkit-1.2.0-py3-none-any.whl", "whose wheel `make dist` builds"),
    ],
)
def test_the_readme_installs_the_ivrkit_that_made_it_never_one_from_an_index(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    recorded: str | None,
    install: str,
    origin: str,
) -> None:
    monkeypatch.setattr("ivrkit._starter.install_source", lambda: recorded)
    monkeypatch.setattr("ivrkit.__version__", "1.2.0")
    write_starter(tmp_path / "shop")
    readme = (tmp_path / "shop" / "README.md").read_text(encoding="utf-8")
    setup = _blocks(readme)[0]
    assert f"pip install {install} pytest" in setup
    assert f"made with\nivrkit 1.2.0, {origin}" in readme
    assert not INDEX_INSTALL.search(readme)
    assert not INDEX_INSTALL.search((tmp_path / "shop" / "pyproject.toml").read_text())


def test_what_pip_recorded_is_read_from_the_installed_ivrkit() -> None:
    # The tests run on an installed ivrkit (an editable install records its clone's folder).
    assert install_source() is not None


def test_the_readmes_simulator_commands_share_one_env_file_written_before_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_starter(tmp_path / "shop")
    readme = (tmp_path / "shop" / "README.md").read_text(encoding="utf-8")
    blocks = _blocks(readme)
    (env_block,) = [block for block in blocks if block.startswith("cat > .env")]
    commands = blocks[blocks.index(env_block) + 1]
    # The key the simulator needs is set before the first command that needs it, and no command
    # names a store or an API base of its own (that made `call` write a second store).
    assert "ivrkit webhooks register" in commands and "ivrkit call" in commands
    for line in commands.splitlines():
        assert "--db" not in line and "--api-base" not in line and "--flow" not in line, line
    env_text = env_block.split("\n", 1)[1].rsplit("EOF", 1)[0]
    (tmp_path / "shop" / ".env").write_text(env_text, encoding="utf-8")
    monkeypatch.chdir(tmp_path / "shop")
    read = Settings()
    assert (read.api_key, read.subaccount, read.api_base) == (
        "test",
        "test",
        "http://127.0.0.1:8700",
    )
    assert (read.db, read.flow) == ("sqlite:///ivr.db", "ivr.yaml")
    assert "run `ivrkit webhooks register` again" in " ".join(readme.split())


@pytest.mark.parametrize(
    ("direct_url", "argument"),
    [
        (
            '{"url": "file:///home/me/dist/ivrkit-0.1.0-py3-none-any.whl", "archive_info": {}}',
            "/home/me/dist/ivrkit-0.1.0-py3-none-any.whl",
        ),
        (
            '{"url": "file:///home/me/My%20Code/ivrkit", "dir_info": {"editable": true}}',
            "'/home/me/My Code/ivrkit'",
        ),
        (
            '{"url": "https://git.example.com/me/ivrkit.git",'
            ' "vcs_info": {"vcs": "git", "commit_id": "4444923abc", "requested_revision": "main"}}',
            "git+https://git.example.com/me/ivrkit.git@4444923abc",
        ),
        (
            '{"url": "https://files.example.com/ivrkit-0.1.0.tar.gz", "archive_info": {}}',
            "'ivrkit @ https://files.example.com/ivrkit-0.1.0.tar.gz'",
        ),
        (None, None),
        ("not json", None),
    ],
)
def test_the_install_source_is_what_pip_recorded(
    direct_url: str | None, argument: str | None
) -> None:
    assert install_argument(direct_url) == argument


def test_the_callback_is_the_support_callback_lint_finds_nothing_in(tmp_path: Path) -> None:
    written = write_starter(tmp_path / "callback", callback=True)
    names = sorted(str(path.relative_to(tmp_path / "callback")) for path in written)
    assert names == [
        ".env.example",
        ".gitignore",
        "README.md",
        "contacts.csv",
        "ivr.yaml",
        "phones.yaml",
        "pyproject.toml",
        "tests/test_ivr.py",
    ]
    path = tmp_path / "callback" / "ivr.yaml"
    assert lint_text(path.read_text(encoding="utf-8"), source=str(path)) == []
    tree = load_tree(path)
    menu = tree.spec.nodes["main"].menu
    assert menu is not None and sorted(menu.routes) == ["1", "2"]
    labels = {node.outcome for node in tree.spec.nodes.values()} - {None}
    assert labels == {"resolved", "agent", "no-choice"}
    assert len(tree_routes(tree.spec)) == 6


def test_the_callback_lints_clean_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_app(built_command(), ["init", "--callback", str(tmp_path / "callback")]) == 0
    assert "wrote" in capsys.readouterr().out
    assert run_app(built_command(), ["lint", str(tmp_path / "callback" / "ivr.yaml")]) == 0
    assert "no problems found" in capsys.readouterr().out


@pytest.mark.e2e  # the ivr fixture serves the tree and the simulator on loopback ports
def test_the_callbacks_tests_take_every_route(pytester: pytest.Pytester) -> None:
    write_starter(pytester.path, force=True, callback=True)
    result = pytester.runpytest_inprocess("-p", "no:xdist", "--ivrkit-coverage-fail-under=100")
    result.assert_outcomes(passed=5)
    result.stdout.re_match_lines([rf"^{project_name(pytester.path)} +6 +6 +100%$"])
    result.stdout.no_fnmatch_line("*routes never taken*")


def test_the_campaigns_contacts_and_phones_are_what_the_readme_says(tmp_path: Path) -> None:
    from ivrkit.campaigns import read_contacts
    from ivrkit.simulator._account.scenario import load_scenario

    write_starter(tmp_path / "callback", callback=True)
    found = read_contacts(tmp_path / "callback" / "contacts.csv", region="SG", do_not_call=set())
    numbers = [contact.number for contact in found.contacts]
    assert len(numbers) == 4 and not found.duplicates
    scenario = load_scenario(tmp_path / "callback" / "phones.yaml")
    scripted = {entry.number: entry.script for entry in scenario.phones}
    assert set(numbers) < set(scripted)  # every customer does what the README tells
    tree = load_tree(tmp_path / "callback" / "ivr.yaml")
    assert f"+{tree.spec.numbers['agent']}" in scripted  # the agent hangs up: calls end


def test_both_readmes_install_and_set_up_alike(tmp_path: Path) -> None:
    write_starter(tmp_path / "inbound")
    write_starter(tmp_path / "callback", callback=True)
    inbound = (tmp_path / "inbound" / "README.md").read_text(encoding="utf-8")
    callback = (tmp_path / "callback" / "README.md").read_text(encoding="utf-8")
    for section in ("## Set up\n", "The commands read their settings from `.env`"):
        start = inbound.index(section)
        shared = inbound[start : inbound.index("```\n\n", inbound.index("```\n", start) + 4)]
        assert shared in callback
    assert not INDEX_INSTALL.search(callback)
    blocks = _blocks(callback)
    commands = "\n".join(blocks)
    for command in (
        "ivrkit simulator --phones phones.yaml --state simulator.json",
        "ivrkit serve",
        "ivrkit webhooks register --url http://127.0.0.1:8080",
        "ivrkit campaign create try --contacts contacts.csv",
        "ivrkit campaign run try",
        "ivrkit campaign status try",
        "ivrkit campaign report try",
    ):
        assert command in commands, command
    assert "http://127.0.0.1:8080/dashboard/" in callback
    gitignore = (tmp_path / "callback" / ".gitignore").read_text(encoding="utf-8")
    assert "simulator.json" in gitignore.splitlines()


@pytest.mark.parametrize("callback", [False, True])
def test_the_readmes_keep_the_simulators_webhooks_over_a_restart(
    tmp_path: Path, callback: bool
) -> None:
    write_starter(tmp_path / "shop", callback=callback)
    readme = (tmp_path / "shop" / "README.md").read_text(encoding="utf-8")
    (simulator,) = [
        line
        for block in _blocks(readme)
        for line in block.splitlines()
        if "ivrkit simulator" in line
    ]
    assert "--state simulator.json" in simulator
    assert "still there, no new `webhooks register`" in " ".join(readme.split())
