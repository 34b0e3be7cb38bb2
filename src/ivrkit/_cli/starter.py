"""`ivrkit init DIR`: a new IVR project — a tree, its tests, `.env.example` and a README."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ivrkit._cli.common import console
from ivrkit._starter import write_starter


def init(
    folder: Annotated[Path, typer.Argument(help="Folder of the new project (created if missing).")],
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Write into a folder that is not empty (files of the same name go)."
        ),
    ] = False,
    callback: Annotated[
        bool,
        typer.Option(
            "--callback",
            help="The callback after a support contact (1 resolved, 2 an agent), with a contacts "
            "file and a campaign's steps, instead of an inbound menu.",
        ),
    ] = False,
) -> None:
    """Start a new IVR project: a menu tree (or with --callback, the callback and its campaign),
    tests that take its every route, .env.example and a README."""
    written = write_starter(folder, force=force, callback=callback)
    for path in written:
        console.print(f"wrote {path}", highlight=False)
    console.print(
        f"next: cd {folder} && pip install pytest && pytest --ivrkit-coverage", highlight=False
    )
