"""The `ivrkit` command line: thin commands over the layers below."""

from __future__ import annotations

import sys

from ivrkit._cli.app import app
from ivrkit._cli.common import flush_output, run_app


def main() -> None:
    """Console entry point: errors become one line a person can act on, never a traceback."""
    code = run_app(app)
    sys.exit(flush_output() or code)


__all__ = ["app", "main"]
