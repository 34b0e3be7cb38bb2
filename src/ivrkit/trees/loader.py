"""Loading a tree file: YAML → checked :class:`Tree`, with file, line and column in every error.

A tree whose callflows the platform would refuse is refused here, when it loads, never in the
middle of a call.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ivrkit import rules
from ivrkit.errors import TreeError
from ivrkit.trees.engine import Engine, Position
from ivrkit.trees.model import RETRY, TreeSpec

BUILTIN_FLOWS = ("simple_ivr",)
SAMPLE_CUSTOMER = "+6512345678"
"""A well-formed number used to render every node when checking a tree at load time."""


class Tree(Engine):
    """A loaded, checked IVR tree, ready to answer webhooks."""

    def __init__(self, spec: TreeSpec, *, source: str = "<tree>") -> None:
        super().__init__(spec)
        self.source = source

    @property
    def name(self) -> str:
        return self.spec.name


def builtin_path(name: str) -> Path:
    """Path of a tree shipped with ivrkit (``simple_ivr``)."""
    ref = resources.files("ivrkit").joinpath("flows", f"{name}.yaml")
    return Path(str(ref))


def load_tree(
    path: str | Path | None = None,
    *,
    numbers: Mapping[str, str] | None = None,
    voice_profile: str | None = None,
    platform: rules.Platform | None = None,
) -> Tree:
    """Load and check a tree file; ``None`` or a built-in name loads a shipped tree.

    ``numbers`` and ``voice_profile`` override the file's (from flags and environment).
    """
    if path is None:
        path = builtin_path("simple_ivr")
    elif isinstance(path, str) and path in BUILTIN_FLOWS:
        path = builtin_path(path)
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TreeError(
            f"cannot read the tree file: {exc.strerror or exc}", file=str(path)
        ) from exc
    return parse_tree(
        text, source=str(path), numbers=numbers, voice_profile=voice_profile, platform=platform
    )


def parse_tree(
    text: str,
    *,
    source: str = "<tree>",
    numbers: Mapping[str, str] | None = None,
    voice_profile: str | None = None,
    platform: rules.Platform | None = None,
) -> Tree:
    """Parse and check a tree from YAML text."""
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
        line, column = _position(root, loc)
        where = ".".join(str(part) for part in loc) or "(top)"
        raise TreeError(f"{where}: {first['msg']}", file=source, line=line, column=column) from exc
    tree = Tree(spec, source=source)
    check_tree(tree, root, platform=platform)
    return tree


def check_tree(
    tree: Tree, root: yaml.Node | None = None, *, platform: rules.Platform | None = None
) -> None:
    """Refuse a tree with dangling targets or a callflow the platform would refuse."""
    spec = tree.spec
    if spec.entry not in spec.nodes:
        raise TreeError(
            f"entry node {spec.entry!r} is not defined",
            file=tree.source,
            line=_position(root, ("entry",))[0],
        )
    for name, node in spec.nodes.items():
        for field, target in _targets(node):
            if target != RETRY and target not in spec.nodes:
                line, column = _position(root, ("nodes", name, node.kind, *field))
                raise TreeError(
                    f"node {name!r} leads to {target!r}, which is not defined",
                    file=tree.source,
                    line=line,
                    column=column,
                )
    for name in spec.nodes:
        try:
            actions, position = tree.render(Position(name), SAMPLE_CUSTOMER)
            answer = tree._callflow(actions, position)
        except (ValueError, ValidationError) as exc:
            raise TreeError(
                f"node {name!r}: {exc}", file=tree.source, line=_position(root, ("nodes", name))[0]
            ) from exc
        verdict = rules.validate(answer, mode=rules.Mode.ANSWER, platform=platform)
        if not verdict.ok:
            raise TreeError(
                f"node {name!r} answers a callflow the platform refuses: "
                f"{verdict.status_code} {verdict.status_message}",
                file=tree.source,
                line=_position(root, ("nodes", name))[0],
            )
    if spec.numbers.get("caller_id"):
        request = tree.initial_request(SAMPLE_CUSTOMER)
        verdict = rules.validate(request, mode=rules.Mode.REQUEST, platform=platform)
        if not verdict.ok:
            raise TreeError(
                "the initial callflow is refused by the platform: "
                f"{verdict.status_code} {verdict.status_message}",
                file=tree.source,
            )


def _targets(node: Any) -> list[tuple[tuple[str, ...], str]]:
    found: list[tuple[tuple[str, ...], str]] = []
    if node.menu is not None:
        for digits, target in node.menu.routes.items():
            found.append((("routes", digits), target))
        found.append((("on_invalid",), node.menu.on_invalid))
        found.append((("on_no_input",), node.menu.on_no_input))
        if node.menu.on_max_retries:
            found.append((("on_max_retries",), node.menu.on_max_retries))
    for kind in ("say", "play"):
        step = getattr(node, kind)
        if step is not None and step.next:
            found.append((("next",), step.next))
    if node.transfer is not None and node.transfer.after:
        found.append((("after",), node.transfer.after))
    if node.goto is not None:
        found.append((("node",), node.goto.node))
    return found


def _position(root: yaml.Node | None, loc: tuple[Any, ...]) -> tuple[int | None, int | None]:
    """Line and column (1-based) of the deepest YAML node along ``loc``."""
    node = root
    best: yaml.Node | None = root
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            child = next(
                (value for key, value in node.value if getattr(key, "value", None) == str(part)),
                None,
            )
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            child = node.value[part]
        else:
            child = None
        if child is None:
            break
        node = child
        best = child
    if best is None:
        return None, None
    return best.start_mark.line + 1, best.start_mark.column + 1


__all__ = ["BUILTIN_FLOWS", "Tree", "builtin_path", "check_tree", "load_tree", "parse_tree"]
