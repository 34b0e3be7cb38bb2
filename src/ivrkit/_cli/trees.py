"""`ivrkit lint`, `ivrkit graph` and `ivrkit schema`: looking at a tree before it meets a caller."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from ivrkit._cli.common import console, settings
from ivrkit.errors import ConfigError, IvrkitError
from ivrkit.trees._diagram import FORMATS, Format, render
from ivrkit.trees._issues import Issue
from ivrkit.trees._lint import lint_text
from ivrkit.trees._loader import file_version, resolve_flow
from ivrkit.trees._parse import parse_spec, read_tree_text
from ivrkit.trees._schema import schema_text

FlowArg = Annotated[
    str, typer.Argument(help="Tree file, or a built-in tree: simple_ivr, restaurant.")
]
_SUFFIXES: dict[str, Format] = {
    ".mmd": "mermaid",
    ".mermaid": "mermaid",
    ".md": "mermaid",
    ".dot": "dot",
    ".gv": "dot",
    ".svg": "svg",
}
_STYLE = {"error": "bold red", "warning": "yellow"}


def lint(
    flow: FlowArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of lines.")] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 1 on warnings too, not only on errors.")
    ] = False,
) -> None:
    """Check a tree for every problem: prints file:line:col: severity code: message, and the
    version of a tree without errors (a hash of its content, as `ivrkit serve` records it when
    given no --number or voice overrides)."""
    path = resolve_flow(flow)
    max_bytes = settings().max_tree_bytes
    text = read_tree_text(path, max_bytes=max_bytes)
    issues = lint_text(text, source=str(path), max_bytes=max_bytes)
    errors = sum(1 for issue in issues if issue.severity == "error")
    warnings = len(issues) - errors
    version = None
    if not errors:
        spec = parse_spec(text, source=str(path), max_bytes=max_bytes)[0]
        version = file_version(spec, str(path))
    if as_json:
        body = {
            "file": str(path),
            "version": version,
            "errors": errors,
            "warnings": warnings,
            "issues": [{"file": str(path), **issue.to_json()} for issue in issues],
        }
        console.print_json(json.dumps(body, ensure_ascii=False))
    else:
        for issue in issues:
            console.print(_line(str(path), issue), soft_wrap=True)
        shown = f"; version {version}" if version else ""
        if issues:
            console.print(
                f"{_count(errors, 'error')}, {_count(warnings, 'warning')}{shown}", soft_wrap=True
            )
        else:
            console.print(
                Text.assemble(f"{path}: ", ("no problems found", "green"), shown), soft_wrap=True
            )
    raise typer.Exit(1 if errors or (strict and warnings) else 0)


def graph(
    flow: FlowArg,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="mermaid, dot or svg (default: from the -o file's extension, else mermaid).",
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file, not stdout.")
    ] = None,
) -> None:
    """Draw a tree: Mermaid or Graphviz DOT text, or an SVG picture (no Graphviz needed)."""
    chosen = _format(fmt, output)
    path = resolve_flow(flow)
    max_bytes = settings().max_tree_bytes
    spec, _ = parse_spec(
        read_tree_text(path, max_bytes=max_bytes), source=str(path), max_bytes=max_bytes
    )
    _write(render(spec, chosen), output)


def schema(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file, not stdout.")
    ] = None,
) -> None:
    """Print the JSON Schema of tree files (for editors that check YAML as you type)."""
    _write(schema_text(), output)


def _line(file: str, issue: Issue) -> Text:
    where = file
    if issue.line is not None:
        where += f":{issue.line}"
        if issue.column is not None:
            where += f":{issue.column}"
    return Text.assemble(
        f"{where}: ",
        (issue.severity, _STYLE[issue.severity]),
        " ",
        (issue.code, "bold"),
        f": {issue.message}",
    )


def _count(number: int, word: str) -> str:
    return f"{number} {word}{'' if number == 1 else 's'}"


def _format(fmt: str | None, output: Path | None) -> Format:
    if fmt is None:
        return _SUFFIXES.get(output.suffix.lower(), "mermaid") if output else "mermaid"
    for known in FORMATS:
        if fmt.lower() == known:
            return known
    raise ConfigError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")


def _write(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise IvrkitError(f"cannot write {output}: {exc.strerror or exc}") from exc
    console.print(f"wrote {output}", markup=False, highlight=False)
