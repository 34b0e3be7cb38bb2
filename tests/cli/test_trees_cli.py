"""`ivrkit lint`, `ivrkit graph` and `ivrkit schema` as a person uses them."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ivrkit._cli import app
from ivrkit.errors import ConfigError, TreeError
from ivrkit.trees import load_tree, parse_tree
from ivrkit.trees._schema import schema_text, tree_schema

runner = CliRunner()
DOCS = Path(__file__).resolve().parents[2] / "docs"

CLEAN = """\
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
WARNING_ONLY = CLEAN.replace('routes: {"1": bye}', 'routes: {"1": bye, "2": bye}')
BROKEN = CLEAN.replace('"1": bye', '"1": nowhere') + "  orphan:\n    hangup: {}\n"


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "tree.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("flow", ["simple_ivr", "restaurant"])
def test_lint_passes_the_builtin_trees_by_name(flow: str) -> None:
    result = runner.invoke(app, ["lint", flow, "--strict"])
    assert result.exit_code == 0, result.output
    assert "no problems found" in result.output


def test_lint_prints_one_line_per_issue_and_exits_1_on_errors(tmp_path: Path) -> None:
    path = write(tmp_path, BROKEN)
    result = runner.invoke(app, ["lint", path])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith(f"{path}:8:")
    assert " error dangling-target: node 'main' leads to 'nowhere'" in lines[0]
    assert lines[1].startswith(f"{path}:12:3: error unreachable-node: ")
    assert lines[-1] == "2 errors, 0 warnings"


def test_warnings_fail_only_with_strict(tmp_path: Path) -> None:
    path = write(tmp_path, WARNING_ONLY)
    relaxed = runner.invoke(app, ["lint", path])
    assert relaxed.exit_code == 0
    assert "warning unmentioned-route" in relaxed.output
    version = parse_tree(WARNING_ONLY).version
    assert relaxed.output.splitlines()[-1] == f"0 errors, 1 warning; version {version}"
    assert runner.invoke(app, ["lint", path, "--strict"]).exit_code == 1


def test_lint_shows_the_version_of_a_tree_without_errors(tmp_path: Path) -> None:
    clean = runner.invoke(app, ["lint", "simple_ivr"])
    assert clean.output.strip().endswith(f"no problems found; version {load_tree().version}")
    body = json.loads(runner.invoke(app, ["lint", "simple_ivr", "--json"]).output)
    assert body["version"] == load_tree().version
    broken = json.loads(runner.invoke(app, ["lint", write(tmp_path, BROKEN), "--json"]).output)
    assert broken["version"] is None, "a tree with errors is never served: it has no version"


def test_lint_json_lists_every_issue(tmp_path: Path) -> None:
    path = write(tmp_path, BROKEN)
    result = runner.invoke(app, ["lint", path, "--json"])
    assert result.exit_code == 1
    body = json.loads(result.output)
    assert (body["file"], body["errors"], body["warnings"]) == (path, 2, 0)
    first = body["issues"][0]
    assert first["code"] == "dangling-target"
    assert (first["file"], first["severity"], first["node"], first["line"]) == (
        path,
        "error",
        "main",
        8,
    )
    assert [issue["code"] for issue in body["issues"]] == ["dangling-target", "unreachable-node"]


def test_lint_json_of_a_clean_tree_exits_0() -> None:
    result = runner.invoke(app, ["lint", "simple_ivr", "--json", "--strict"])
    assert result.exit_code == 0
    assert json.loads(result.output)["issues"] == []


def test_lint_of_a_file_that_is_not_yaml_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "name: t\nentry: [main\n")
    result = runner.invoke(app, ["lint", path])
    assert result.exit_code == 1
    assert result.output.startswith(f"{path}:3:1: error invalid-yaml: not valid YAML")


def test_lint_of_a_missing_file_is_a_one_line_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["lint", str(tmp_path / "none.yaml")])
    assert result.exit_code == 1
    assert isinstance(result.exception, TreeError)
    assert "cannot read the tree file" in str(result.exception)


def test_issue_messages_are_printed_as_written_not_as_rich_markup(tmp_path: Path) -> None:
    path = write(tmp_path, CLEAN.replace('"1": bye', '"1": "[bold]gone[/bold]"'))
    result = runner.invoke(app, ["lint", path])
    assert "leads to '[bold]gone[/bold]'" in result.output
    assert result.exit_code == 1


@pytest.mark.parametrize(
    ("fmt", "start"),
    [("mermaid", "flowchart TD\n"), ("dot", 'digraph "restaurant" {'), ("svg", "<svg ")],
)
def test_graph_prints_each_format(fmt: str, start: str) -> None:
    result = runner.invoke(app, ["graph", "restaurant", "--format", fmt])
    assert result.exit_code == 0
    assert result.output.startswith(start)


def test_graph_writes_a_file_and_takes_its_format_from_the_extension(tmp_path: Path) -> None:
    out = tmp_path / "tree.svg"
    result = runner.invoke(app, ["graph", "simple_ivr", "-o", str(out)])
    assert result.exit_code == 0
    assert f"wrote {out}" in result.output
    assert ET.parse(out).getroot().tag == "{http://www.w3.org/2000/svg}svg"


def test_graph_defaults_to_mermaid() -> None:
    assert runner.invoke(app, ["graph", "simple_ivr"]).output.startswith("flowchart TD")


def test_graph_draws_a_tree_the_loader_would_refuse(tmp_path: Path) -> None:
    result = runner.invoke(app, ["graph", write(tmp_path, BROKEN), "-f", "dot"])
    assert result.exit_code == 0
    assert '"main" -> "nowhere" [label="1"];' in result.output


def test_graph_refuses_an_unknown_format() -> None:
    result = runner.invoke(app, ["graph", "simple_ivr", "--format", "png"])
    assert result.exit_code == 1
    assert isinstance(result.exception, ConfigError)
    assert "mermaid, dot, svg" in str(result.exception)


def test_schema_prints_the_json_schema_of_trees() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema["$id"] == tree_schema()["$id"]
    assert schema["title"] == "ivrkit IVR tree"
    assert {"name", "entry", "nodes"} <= set(schema["required"])
    assert "if" in schema["$defs"]["Case"]["properties"]  # by alias, as files write it


def test_the_committed_schema_is_the_generated_one() -> None:
    committed = (DOCS / "tree.schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(), "regenerate: ivrkit schema -o docs/tree.schema.json"


def test_the_schema_accepts_the_one_line_node_forms() -> None:
    node = tree_schema()["$defs"]["Node"]
    assert node["properties"]["say"]["anyOf"][0]["type"] == "string"
    assert node["properties"]["goto"]["anyOf"][0]["type"] == "string"
    assert node["maxProperties"] == 1


CALENDAR_TREE = """\
name: t
calendars: [support.yaml]
entry: hours
nodes:
  hours:
    branch:
      cases:
        - {if: {calendar: support}, to: bye}
      else: bye
  bye:
    hangup: {say: Goodbye.}
"""


def test_lint_and_diff_print_the_version_serve_records_for_a_tree_with_calendars(
    tmp_path: Path,
) -> None:
    (tmp_path / "support.yaml").write_text(
        'name: support\ntimezone: Europe/Paris\nhours: {mon-fri: "09:00-17:00"}\n',
        encoding="utf-8",
    )
    path = write(tmp_path, CALENDAR_TREE)
    served = load_tree(path).version
    linted = runner.invoke(app, ["lint", path, "--json"])
    assert linted.exit_code == 0, linted.output
    assert json.loads(linted.output)["version"] == served
    diffed = runner.invoke(app, ["diff", path, path, "--json"])
    assert diffed.exit_code == 0, diffed.output
    body = json.loads(diffed.output)
    assert body["old"]["version"] == body["new"]["version"] == served
