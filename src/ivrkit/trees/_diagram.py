"""A tree as a diagram: Mermaid (``flowchart TD``) and Graphviz DOT as text, or SVG drawn by
ivrkit itself (:mod:`ivrkit.trees._svg`, no Graphviz needed).

Each node shows its name, kind and a short text (the prompt's start, the number, the variable);
each edge its label from :func:`~ivrkit.trees._graph_edges.edges_of` (a digit, ``invalid``,
``no input``, ``after the call``, a condition, a hook result…); the entry has a start arrow. A
target that is not defined is drawn as a dashed "not defined" box, so a broken tree can be drawn
to be mended. Every text is escaped for its format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ivrkit.trees import _svg as svg
from ivrkit.trees._graph_edges import Edge, all_edges
from ivrkit.trees._model import RETRY, Condition, Node, Text, TreeSpec

Format = Literal["mermaid", "dot", "svg"]
FORMATS: tuple[Format, ...] = ("mermaid", "dot", "svg")
SUMMARY_LENGTH = 36

_SPACE = re.compile(r"\s+")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_MERMAID_SHAPES = {
    "menu": ('{{"', '"}}'),
    "collect": ('[/"', '"/]'),
    "say": ('("', '")'),
    "play": ('("', '")'),
    "transfer": ('[["', '"]]'),
    "branch": ('{"', '"}'),
    "hook": ('[["', '"]]'),
    "hangup": ('(["', '"])'),
    "goto": ('>"', '"]'),
    "missing": ('["', '"]'),
}
_DOT_SHAPES = {
    "menu": "hexagon",
    "collect": "parallelogram",
    "transfer": "box3d",
    "branch": "diamond",
    "hook": "component",
    "hangup": "octagon",
    "goto": "cds",
}
_FILLS = {
    "menu": "#e3f0ff",
    "collect": "#e3f0ff",
    "say": "#f0f4e8",
    "play": "#f0f4e8",
    "transfer": "#fff4e0",
    "branch": "#f3ebff",
    "hook": "#f3ebff",
    "goto": "#f3ebff",
    "hangup": "#ffe8e8",
}
_MERMAID_ESCAPES = {
    '"': "#quot;",
    "#": "#35;",
    "<": "#60;",
    ">": "#62;",
    "&": "#38;",
    "|": "#124;",
    "`": "#96;",
    "\\": "#92;",
}


@dataclass(frozen=True)
class Box:
    """A node as drawn: ``kind`` is the node kind, or ``missing`` for an undefined target."""

    name: str
    kind: str
    summary: str
    tooltip: str

    @property
    def caption(self) -> str:
        return f"{self.kind}: {self.summary}" if self.summary else self.kind


def render(spec: TreeSpec, fmt: Format) -> str:
    if fmt == "mermaid":
        return to_mermaid(spec)
    if fmt == "dot":
        return to_dot(spec)
    return to_svg(spec)


def boxes(spec: TreeSpec) -> list[Box]:
    """Every node in file order, then a box for each undefined target."""
    found = [_box(spec, name, node) for name, node in spec.nodes.items()]
    missing = {spec.entry} if spec.entry not in spec.nodes else set()
    missing |= {edge.target for edge in all_edges(spec) if edge.target not in spec.nodes}
    for name in sorted(missing):
        found.append(Box(name, "missing", "not defined", f"{name}: not defined in the tree"))
    return found


def node_ids(spec: TreeSpec) -> dict[str, str]:
    """Identifiers safe in every format (``n0``, ``n1``… in box order): node names may hold
    ``-`` or be words Mermaid reserves (``end``)."""
    return {box.name: f"n{index}" for index, box in enumerate(boxes(spec))}


def drawn_edges(spec: TreeSpec) -> list[Edge]:
    """Every edge of the tree, plus a loop on each menu or collect that plays itself again on
    wrong input or silence (``retry``), labelled with what brings it back."""
    edges = all_edges(spec)
    for name, node in spec.nodes.items():
        asking = node.menu or node.collect
        if asking is None:
            continue
        again = [
            label
            for label, target in (("invalid", asking.on_invalid), ("no input", asking.on_no_input))
            if target == RETRY
        ]
        if again:
            edges.append(Edge(name, name, f"{' / '.join(again)}: again", ("on_invalid",)))
    return edges


def edge_label(spec: TreeSpec, edge: Edge) -> str:
    """The edge's label, with the variables a menu route sets (``2 (language=da)``)."""
    node = spec.nodes[edge.source]
    if node.menu is not None and edge.field[:1] == ("routes",):
        route = node.menu.target(edge.field[1])
        if route is not None and route.set:
            sets = ", ".join(f"{name}={value}" for name, value in route.set.items())
            return f"{edge.label} ({sets})"
    return edge.label


def short(text: str, limit: int = SUMMARY_LENGTH) -> str:
    """One line of at most ``limit`` characters, without control characters."""
    line = _SPACE.sub(" ", _CONTROL.sub(" ", text)).strip()
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def to_mermaid(spec: TreeSpec) -> str:
    ids = node_ids(spec)
    lines = ["flowchart TD"]
    lines.append('  start(["call"])')
    for box in boxes(spec):
        opening, closing = _MERMAID_SHAPES[box.kind]
        label = f"{mermaid_text(box.name)}<br/>{mermaid_text(box.caption)}"
        lines.append(f"  {ids[box.name]}{opening}{label}{closing}:::{box.kind}")
    lines.append(f"  start --> {ids[spec.entry]}")
    for edge in drawn_edges(spec):
        label = mermaid_text(edge_label(spec, edge))
        lines.append(f'  {ids[edge.source]} -->|"{label}"| {ids[edge.target]}')
    lines += [
        *(f"  classDef {kind} fill:{fill},stroke:#52606d" for kind, fill in _FILLS.items()),
        "  classDef missing fill:#ffffff,stroke:#c62828,stroke-dasharray:4 3",
        "  classDef entry stroke-width:3px",
        f"  class {ids[spec.entry]} entry",
    ]
    return "\n".join(lines) + "\n"


def mermaid_text(text: str) -> str:
    """Text safe inside a quoted Mermaid label: quotes, ``#``, ``<>&``, ``|`` and backticks
    become entity codes (``#quot;``), so no label can end early or turn into HTML."""
    return "".join(_MERMAID_ESCAPES.get(char, char) for char in short(text, 10_000))


def to_dot(spec: TreeSpec) -> str:
    lines = [
        f"digraph {dot_text(spec.name)} {{",
        f"  graph [rankdir=TB, fontname=Helvetica, label={dot_text(spec.title or spec.name)}, "
        "labelloc=t];",
        '  node [shape=box, style="rounded,filled", fillcolor="#f5f7fa", fontname=Helvetica, '
        "fontsize=11];",
        "  edge [fontname=Helvetica, fontsize=10];",
        '  "(start)" [shape=point, width=0.15, label=""];',
    ]
    for box in boxes(spec):
        attributes = [f"label={dot_text(box.name + chr(10) + box.caption)}"]
        if box.kind in _DOT_SHAPES:
            attributes.append(f"shape={_DOT_SHAPES[box.kind]}")
        if box.kind == "missing":
            attributes.append('style=dashed, color="#c62828"')
        if box.name == spec.entry:
            attributes.append("penwidth=2.5")
        attributes.append(f"tooltip={dot_text(box.tooltip)}")
        lines.append(f"  {dot_text(box.name)} [{', '.join(attributes)}];")
    lines.append(f'  "(start)" -> {dot_text(spec.entry)};')
    for edge in drawn_edges(spec):
        label = dot_text(edge_label(spec, edge))
        lines.append(f"  {dot_text(edge.source)} -> {dot_text(edge.target)} [label={label}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def dot_text(text: str) -> str:
    """A quoted DOT string: backslashes and quotes escaped, a newline as DOT's ``\\n``; ``<>&``
    need nothing in a quoted string (only ``<…>`` HTML labels interpret them)."""
    lines = [_CONTROL.sub(" ", line) for line in text.split("\n")]
    body = "\\n".join(line.replace("\\", "\\\\").replace('"', '\\"') for line in lines)
    return f'"{body}"'


def to_svg(spec: TreeSpec, *, overlay: svg.Overlay | None = None, embed_style: bool = True) -> str:
    """The SVG drawing; ``overlay`` marks it with figures (see :mod:`ivrkit.trees._svg`)."""
    shapes = [
        svg.Shape(box.name, box.name, short(box.caption), box.kind, box.tooltip)
        for box in boxes(spec)
    ]
    links = [
        svg.Link(edge.source, edge.target, edge_label(spec, edge)) for edge in drawn_edges(spec)
    ]
    return svg.draw(
        shapes,
        links,
        start=spec.entry,
        title=spec.title or spec.name,
        overlay=overlay,
        embed_style=embed_style,
    )


def _box(spec: TreeSpec, name: str, node: Node) -> Box:
    summary = _summary(spec, node)
    tooltip = f"{name} ({node.kind})" + (f": {summary}" if summary else "")
    return Box(name, node.kind, short(summary), tooltip)


def summary_of(spec: TreeSpec, node: Node, length: int = 60) -> str:
    """What a node says or does, cut to ``length`` characters (a table's cell)."""
    return short(_summary(spec, node), length)


def _summary(spec: TreeSpec, node: Node) -> str:
    """The words that tell this node apart: its prompt, number, variable, function."""
    if node.menu is not None:
        return _text(spec, node.menu.prompt)
    if node.collect is not None:
        return f"{node.collect.variable} ← {_text(spec, node.collect.prompt)}"
    if node.say is not None:
        return _text(spec, node.say.text)
    if node.play is not None:
        return node.play.url.rstrip("/").rsplit("/", 1)[-1]
    if node.transfer is not None:
        return f"to {node.transfer.to}"
    if node.branch is not None:
        tested = [_tested(case.when) for case in node.branch.cases]
        return "on " + ", ".join(dict.fromkeys(tested))
    if node.hook is not None:
        return node.hook.python or str(node.hook.url)
    if node.hangup is not None:
        return _text(spec, node.hangup.say) if node.hangup.say is not None else ""
    assert node.goto is not None
    return f"→ {node.goto.node}"


def _text(spec: TreeSpec, text: Text) -> str:
    if isinstance(text, str):
        return text
    return text.get(spec.defaults.language) or next(iter(text.values()), "")


def _tested(when: Condition) -> str:
    """What a branch case looks at, in a word or two."""
    if when.hours is not None:
        return "hours"
    if when.calendar is not None:
        return f"calendar {when.calendar}"
    return str(when.var)
