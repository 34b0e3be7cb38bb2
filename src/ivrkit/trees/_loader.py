"""Loading a tree: YAML (or a :class:`TreeSpec` built in code) → a checked :class:`Tree`, with
file, line and column in every error.

A tree whose callflows the platform would refuse is refused here, when it loads, never in the
middle of a call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from importlib import resources
from pathlib import Path

import yaml

from ivrkit import rules
from ivrkit.calendars import Calendar, load_calendars
from ivrkit.trees._checked import check_spec
from ivrkit.trees._engine import Engine, spec_version
from ivrkit.trees._hooks import HookRegistry
from ivrkit.trees._model import TreeSpec
from ivrkit.trees._parse import (
    MAX_TREE_BYTES,
    SAMPLE_CUSTOMER,
    parse_spec,
    position_of,
    read_tree_text,
)

__all__ = [
    "BUILTIN_FLOWS",
    "MAX_TREE_BYTES",
    "SAMPLE_CUSTOMER",
    "Tree",
    "builtin_path",
    "check_tree",
    "file_version",
    "load_tree",
    "parse_spec",
    "parse_tree",
    "position_of",
    "read_tree_text",
    "resolve_flow",
    "tree_calendars",
]

BUILTIN_FLOWS = ("simple_ivr", "restaurant")


class Tree(Engine):
    """A loaded, checked IVR tree, ready to answer webhooks.

    Build one from YAML with :func:`load_tree` / :func:`parse_tree`, or in code::

        tree = Tree(TreeSpec(name="hello", entry="hi", nodes={"hi": Node(say=SayNode(text="Hi"))}))
    """

    def __init__(
        self,
        spec: TreeSpec,
        *,
        source: str = "<tree>",
        hooks: HookRegistry | None = None,
        clock: Callable[[], datetime] | None = None,
        platform: rules.Platform | None = None,
        yaml_root: yaml.Node | None = None,
        calendars: Mapping[str, Calendar] | None = None,
    ) -> None:
        super().__init__(spec, hooks=hooks, clock=clock, calendars=calendars)
        self.source = source
        check_tree(self, yaml_root, platform=platform)

    @property
    def name(self) -> str:
        return self.spec.name


def builtin_path(name: str) -> Path:
    """Path of a tree shipped with ivrkit (``simple_ivr``, ``restaurant``)."""
    return Path(str(resources.files("ivrkit").joinpath("flows", f"{name}.yaml")))


def resolve_flow(path: str | Path | None) -> Path:
    """A tree file path; ``None`` or a built-in name stands for a shipped tree."""
    if path is None:
        return builtin_path("simple_ivr")
    if isinstance(path, str) and path in BUILTIN_FLOWS:
        return builtin_path(path)
    return Path(path)


def load_tree(
    path: str | Path | None = None,
    *,
    numbers: Mapping[str, str] | None = None,
    voice_profile: str | None = None,
    platform: rules.Platform | None = None,
    hooks: HookRegistry | None = None,
    max_bytes: int = MAX_TREE_BYTES,
) -> Tree:
    """Load and check a tree file; ``None`` or a built-in name loads a shipped tree.

    ``numbers`` and ``voice_profile`` override the file's (from flags and environment). A tree
    that :func:`~ivrkit.trees._checked.check_spec` finds an error in raises :class:`TreeError`.
    """
    resolved = resolve_flow(path)
    return parse_tree(
        read_tree_text(resolved, max_bytes=max_bytes),
        source=str(resolved),
        numbers=numbers,
        voice_profile=voice_profile,
        platform=platform,
        hooks=hooks,
        max_bytes=max_bytes,
    )


def parse_tree(
    text: str,
    *,
    source: str = "<tree>",
    numbers: Mapping[str, str] | None = None,
    voice_profile: str | None = None,
    platform: rules.Platform | None = None,
    hooks: HookRegistry | None = None,
    max_bytes: int = MAX_TREE_BYTES,
) -> Tree:
    """Parse and check a tree from YAML text. The files of its ``calendars:`` list are read
    relative to the folder of ``source`` (the current folder for a text without a file)."""
    spec, root = parse_spec(
        text, source=source, numbers=numbers, voice_profile=voice_profile, max_bytes=max_bytes
    )
    return Tree(
        spec,
        source=source,
        hooks=hooks,
        platform=platform,
        yaml_root=root,
        calendars=tree_calendars(spec, source),
    )


def tree_calendars(spec: TreeSpec, source: str) -> dict[str, Calendar]:
    """The calendars a tree's ``calendars:`` list names, read relative to its file."""
    if not spec.calendars:
        return {}
    base = Path(source).parent if not source.startswith("<") else Path()
    return load_calendars(spec.calendars, base)


def check_tree(
    tree: Engine, root: yaml.Node | None = None, *, platform: rules.Platform | None = None
) -> None:
    """Refuse a tree that :func:`~ivrkit.trees._checked.check_spec` finds an error in."""
    check_spec(
        tree.spec,
        root=root,
        source=getattr(tree, "source", "<tree>"),
        platform=platform,
        calendars=tree.calendars,
    )


def file_version(spec: TreeSpec, source: str) -> str:
    """The version of a tree read from ``source``, with the calendars its file names: the version
    ``serve`` records for it (``lint`` and ``diff`` print this one)."""
    return spec_version(spec, tree_calendars(spec, source))
