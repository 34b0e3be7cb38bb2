"""Reading a tree file: bytes → YAML → :class:`TreeSpec`, with file, line and column in every
error, and limits (size, nesting) that keep a hostile or broken file from costing more than it
should. Whether the tree is *valid* is decided elsewhere, once (:mod:`ivrkit.trees._checked`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ivrkit.errors import TreeError
from ivrkit.trees._model import TreeSpec

SAMPLE_CUSTOMER = "+6512345678"
"""A well-formed number used to render every node when checking a tree."""

MAX_TREE_BYTES = 1024 * 1024
"""Largest tree file read by default (1 MiB: hundreds of times the size of a real tree)."""

MAX_DEPTH = 64
"""Deepest YAML nesting accepted; a tree needs about eight levels."""


def read_tree_text(path: Path, *, max_bytes: int = MAX_TREE_BYTES) -> str:
    """The text of a tree file: UTF-8, at most ``max_bytes`` bytes."""
    try:
        with path.open("rb") as file:
            data = file.read(max_bytes + 1)
    except OSError as exc:
        raise TreeError(
            f"cannot read the tree file: {exc.strerror or exc}", file=str(path)
        ) from exc
    if len(data) > max_bytes:
        raise TreeError(too_big(max_bytes), file=str(path))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise TreeError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}): save the file "
            "as UTF-8",
            file=str(path),
            line=line,
        ) from exc


def too_big(max_bytes: int) -> str:
    return (
        f"the tree file is larger than {max_bytes:,} bytes; split it, or raise the limit with "
        "IVRKIT_MAX_TREE_BYTES"
    )


_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's loader when PyYAML has it (about seven times faster), else the pure Python one."""

_OPEN = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSE = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def _check_depth(text: str) -> None:
    """Refuse nesting deeper than :data:`MAX_DEPTH` before composing: both composers recurse
    once per level (Python's stack, or libyaml's C stack), the event parser does not."""
    depth = 0
    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, _OPEN):
            depth += 1
            if depth > MAX_DEPTH:
                at = event.start_mark
                mark = yaml.Mark("<tree>", 0, at.line, at.column, None, 0) if at else None
                raise yaml.MarkedYAMLError(
                    problem=f"nested deeper than {MAX_DEPTH} levels", problem_mark=mark
                )
        elif isinstance(event, _CLOSE):
            depth -= 1


def load_yaml(text: str, *, source: str = "<tree>") -> tuple[Any, yaml.Node | None]:
    """The data of a YAML text and its node tree (for positions), composed once."""
    try:
        _check_depth(text)
        loader = _LOADER(text)
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
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
    return data, root


def parse_spec(
    text: str,
    *,
    source: str = "<tree>",
    numbers: Mapping[str, str] | None = None,
    voice_profile: str | None = None,
    max_bytes: int = MAX_TREE_BYTES,
) -> tuple[TreeSpec, yaml.Node | None]:
    """The tree model of a YAML text, and its YAML node tree (for positions)."""
    if len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise TreeError(too_big(max_bytes), file=source)
    data, root = load_yaml(text, source=source)
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


def _child(node: yaml.Node, part: Any) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        return mapping_index(node).get(str(part), (None, None))[1]
    if isinstance(node, yaml.SequenceNode):
        index = int(part) if str(part).isdigit() else -1
        return node.value[index] if 0 <= index < len(node.value) else None
    return None


def mapping_index(node: yaml.MappingNode) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    """Key text → (first key node, its value) of a mapping, built once per mapping and kept on
    it, so that placing thousands of issues in a big tree stays linear."""
    cached: dict[str, tuple[yaml.Node, yaml.Node]] | None = getattr(node, "_ivrkit_index", None)
    if cached is not None:
        return cached
    index: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key, value in node.value:
        text = getattr(key, "value", None)
        if isinstance(text, str) and text not in index:
            index[text] = (key, value)
    node._ivrkit_index = index  # type: ignore[attr-defined]
    return index


def position_of(root: yaml.Node | None, loc: tuple[Any, ...]) -> tuple[int | None, int | None]:
    """Line and column (1-based) of the deepest YAML node along ``loc``."""
    best: yaml.Node | None = root
    node = root
    for part in loc:
        child = _child(node, part) if node is not None else None
        if child is None:
            break
        node = best = child
    if best is None:
        return None, None
    return best.start_mark.line + 1, best.start_mark.column + 1
