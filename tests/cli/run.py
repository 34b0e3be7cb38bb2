"""The `ivrkit` command run in this process, as its console script runs it: the same entry
(``run_app`` then ``flush_output``, as :func:`ivrkit._cli.main`), its own working folder,
environment and terminal width, stdout and stderr captured as text.

A real process is kept only where the process is the subject (a closed pipe, signals, a real
file descriptor): see tests/cli/test_processes.py.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import IO, Any, Protocol

import typer.main

from ivrkit._cli import app
from ivrkit._cli.common import console, err_console, flush_output, run_app


@cache
def built_command() -> Any:
    """The click command of the app, built once: Typer builds it on every run (some 50 ms of
    CPU), as the console script does once per process."""
    return typer.main.get_command(app)


class Output(Protocol):
    """What a command left, run in process (:class:`Ran`) or as a process (``CompletedProcess``)."""

    @property
    def returncode(self) -> int: ...
    @property
    def stdout(self) -> Any: ...
    @property
    def stderr(self) -> Any: ...


@dataclass(frozen=True)
class Ran:
    """What a command left: its exit code and what it wrote (names of ``CompletedProcess``)."""

    returncode: int
    stdout: str
    stderr: str


def ivrkit(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    columns: int = 20,
    stdout: IO[str] | None = None,
    terminal: bool = False,
) -> Ran:
    """Run ``ivrkit *args``; ``stdout`` replaces the captured standard output (a file);
    ``terminal``: as a person's terminal of ``columns`` columns (no colours), not a pipe."""
    out = io.StringIO()
    err = io.StringIO()
    with _environment(env or {}), _folder(cwd), _width(columns, terminal=terminal):
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = stdout or out, err
        try:
            code = run_app(built_command(), list(args))
            code = flush_output() or code
        finally:
            sys.stdout, sys.stderr = saved
    return Ran(code, out.getvalue(), err.getvalue())


@contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def _folder(cwd: Path | None) -> Iterator[None]:
    before = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(before)


@contextmanager
def _width(columns: int, *, terminal: bool = False) -> Iterator[None]:
    """A terminal this many columns wide: nothing read by programs may depend on it. With
    ``terminal`` the consoles take the output for a terminal (what a person reads), and the
    help (Typer's own console) is drawn at that width too."""
    consoles = (console, err_console)
    saved = [(made._width, made._force_terminal) for made in consoles]
    for made in consoles:
        made.width = columns
        if terminal:
            made._force_terminal = True
    with _environment({"COLUMNS": str(columns)} if terminal else {}):
        try:
            yield
        finally:
            for made, (width, forced) in zip(consoles, saved, strict=True):
                made._width = width  # None: the terminal's width, asked each time
                made._force_terminal = forced
