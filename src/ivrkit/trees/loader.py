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
from typing import Any

import yaml
from pydantic import ValidationError

from ivrkit import rules
from ivrkit.errors import TreeError
from ivrkit.trees.engine import Engine
from ivrkit.trees.graph_edges import edges_of, pass_through_cycle
from ivrkit.trees.hooks import HookRegistry
from ivrkit.trees.model import RETRY, TreeSpec

BUILTIN_FLOWS = ("simple_ivr", "restaurant")
SAMPLE_CUSTOMER = "+6512345678"
"""A well-formed number used to render every node when checking a tree."""


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
    ) -> None:
        super().__init__(spec, hooks=hooks, clock=clock)
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


def read_tree_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TreeError(
            f"cannot read the tree file: {exc.strerror or exc}", file=str(path)
        ) from exc


def load_tree(
    path: str | Path | None = None,
    *,
    numbers: Mapping[str, str] | None = None,
    voice_profile: str | None = None,
    platform: rules.Platform | None = None,
    hooks: HookRegistry | None = None,
) -> Tree:
    """Load and check a tree file; ``None`` or a built-in name loads a shipped tree.

    ``numbers`` and ``voice_profile`` override the file's (from flags and environment).
    """
    resolved = resolve_flow(path)
    return parse_tree(
        read_tree_text(resolved),
        source=str(resolved),
        numbers=numbers,
        voice_profile=voice_profile,
        platform=platform,
        hooks=hooks,
    )


def parse_spec(
    text: str,
    *,
    source: str = "<tree>",
    numbers: Mapping[str, str] | None = None,
    voice_profile: str | None = None,
) -> tuple[TreeSpec, yaml.Node | None]:
    """The tree model of a YAML text, and its YAML node tree (for positions)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise TreeError(
            f"not valid YAML: {exc.problem}",
            file=source,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from exc
    except yaml.YAMLError as exc:
        raise TreeError(f"not valid YAML: {exc}", file=source) from exc
    if not isinstance(data, dict):
        raise TreeError("a tree file is a mapping with name, entry and nodes", file=source, line=1)
    if numbers:
        data["numbers"] = {**(data.get("numbers") or {}), **numbers}
    if voice_profile:
        data["defaults"] = {**(data.get("defaults") or {}), "voice_profile": voice_profile}
    try:
        spec = TreeSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        line, column = position_of(root, loc)
        where = ".".join(str(part) for part in loc) or "(top)"
        message = first["msg"].removeprefix("Value error, ")
        raise TreeError(f"{where}: {message}", file=source, line=line, column=column) from exc
    return spec, root


def parse_tree(
    text: str,
    *,
    source: str = "<tree>",
    numbers: Mapping[str, str] | None = None,
    voice_profile: str | None = None,
    platform: rules.Platform | None = None,
    hooks: HookRegistry | None = None,
) -> Tree:
    """Parse and check a tree from YAML text."""
    spec, root = parse_spec(text, source=source, numbers=numbers, voice_profile=voice_profile)
    return Tree(spec, source=source, hooks=hooks, platform=platform, yaml_root=root)


def check_tree(
    tree: Engine, root: yaml.Node | None = None, *, platform: rules.Platform | None = None
) -> None:
    """Refuse a tree with a missing target, a loop that never waits, or a callflow the
    platform would refuse."""
    spec = tree.spec
    source = getattr(tree, "source", "<tree>")
    if spec.entry not in spec.nodes:
        line, column = position_of(root, ("entry",))
        raise TreeError(
            f"entry node {spec.entry!r} is not defined", file=source, line=line, column=column
        )
    for name, node in spec.nodes.items():
        for edge in edges_of(name, node, keep_retry=True):
            if edge.target == RETRY:
                if edge.field in (("on_invalid",), ("on_no_input",)):
                    continue
                line, column = position_of(root, ("nodes", name, node.kind, *edge.field))
                raise TreeError(
                    f"node {name!r}: 'retry' can only be on_invalid or on_no_input; "
                    f"{'.'.join(edge.field)} must name a node",
                    file=source,
                    line=line,
                    column=column,
                )
            if edge.target not in spec.nodes:
                line, column = position_of(root, ("nodes", name, node.kind, *edge.field))
                raise TreeError(
                    f"node {name!r} leads to {edge.target!r}, which is not defined",
                    file=source,
                    line=line,
                    column=column,
                )
    cycle = pass_through_cycle(spec)
    if cycle:
        raise TreeError(
            f"nodes {' → '.join(cycle)} loop without ever waiting for the caller",
            file=source,
            line=position_of(root, ("nodes", cycle[0]))[0],
        )
    for name in spec.nodes:
        line = position_of(root, ("nodes", name))[0]
        try:
            callflows = list(tree.node_callflows(name))
        except (ValueError, ValidationError) as exc:
            raise TreeError(f"node {name!r}: {exc}", file=source, line=line) from exc
        for language, answer in callflows:
            verdict = rules.validate(answer, mode=rules.Mode.ANSWER, platform=platform)
            if not verdict.ok:
                in_language = f" (language {language})" if len(callflows) > 1 else ""
                raise TreeError(
                    f"node {name!r}{in_language} answers a callflow the platform refuses: "
                    f"{verdict.status_code} {verdict.status_message}",
                    file=source,
                    line=line,
                )
    if spec.numbers.get("caller_id"):
        try:
            request = tree.initial_request(SAMPLE_CUSTOMER, run_hooks=False)
        except ValueError as exc:
            raise TreeError(f"the initial callflow cannot be built: {exc}", file=source) from exc
        verdict = rules.validate(request, mode=rules.Mode.REQUEST, platform=platform)
        if not verdict.ok:
            raise TreeError(
                "the initial callflow is refused by the platform: "
                f"{verdict.status_code} {verdict.status_message}",
                file=source,
            )


def position_of(root: yaml.Node | None, loc: tuple[Any, ...]) -> tuple[int | None, int | None]:
    """Line and column (1-based) of the deepest YAML node along ``loc``."""
    node = root
    best: yaml.Node | None = root
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            child = next(
                (value for key, value in node.value if getattr(key, "value", None) == str(part)),
                None,
            )
        elif isinstance(node, yaml.SequenceNode):
            index = int(part) if str(part).isdigit() else -1
            child = node.value[index] if 0 <= index < len(node.value) else None
        if child is None:
            break
        node = child
        best = child
    if best is None:
        return None, None
    return best.start_mark.line + 1, best.start_mark.column + 1
