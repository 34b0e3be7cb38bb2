"""A small SVG renderer for directed graphs, so ``ivrkit graph --format svg`` needs no Graphviz.

The layout is layered: each node's row is its BFS depth from the start node (nodes the start does
not reach get rows below); a row's nodes are ordered by where their parents are. An edge to the
next row is a straight line between anchors spread along the two boxes; an edge back up (or
along a row) runs out to a lane on the right, beyond every box and loop label, which it shares
with every other edge back to the same node (they enter it as one arrow); an edge to itself is
a small loop.

An optional :class:`Overlay` marks the drawing with figures (the dashboard's funnel): each marked
node shows a line of its own below its summary (every box grows by a line), a ``drop-0`` ..
``drop-4`` class that colours it, and ``data-*`` attributes; each marked edge adds its figure to
its label.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

CHAR_WIDTH = 6.6
"""Average width of a character at the label font size, for sizing boxes without a font."""
BOX_HEIGHT = 44
NOTE_HEIGHT = 15
"""What a line of figures adds to every box of a drawing with an overlay."""
ROW_GAP = 76
COLUMN_GAP = 36
MARGIN = 40
LANE_GAP = 18

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

STYLE = """
text { font-family: Helvetica, Arial, sans-serif; fill: #1f2933; }
.node rect { fill: #f5f7fa; stroke: #52606d; stroke-width: 1.2; }
.node .name { font-size: 12px; font-weight: bold; }
.node .summary { font-size: 11px; }
.node .note { font-size: 11px; font-weight: 600; fill: #3e4c59; }
.node.entry rect { stroke: #1f2933; stroke-width: 3; }
.menu rect, .collect rect { fill: #e3f0ff; }
.say rect, .play rect { fill: #f0f4e8; }
.transfer rect { fill: #fff4e0; }
.branch rect, .hook rect, .goto rect { fill: #f3ebff; }
.hangup rect { fill: #ffe8e8; }
.missing rect { fill: #ffffff; stroke: #c62828; stroke-dasharray: 4 3; }
.edge path { fill: none; stroke: #7b8794; stroke-width: 1.2; }
.edge text { font-size: 10px; fill: #323f4b; }
.edge rect { fill: #ffffff; opacity: 0.85; }
"""
"""The drawing's CSS; also served on its own to pages that inline the SVG under a strict CSP."""

OVERLAY_STYLE = """
.node.drop-0 rect { fill: #e6f4ea; }
.node.drop-1 rect { fill: #fdf6d8; }
.node.drop-2 rect { fill: #fde7c8; }
.node.drop-3 rect { fill: #fbd0bd; }
.node.drop-4 rect { fill: #f6a9a0; }
.edge.unused path { stroke-dasharray: 3 3; opacity: 0.6; }
"""
"""What an :class:`Overlay` adds to :data:`STYLE`: drop-off colours, unused edges faint."""

DROP_LEVELS = 5


@dataclass(frozen=True)
class Shape:
    """A box: a bold first line, a second line, a CSS class (the node kind), a tooltip."""

    id: str
    name: str
    summary: str
    kind: str
    tooltip: str = ""


@dataclass(frozen=True)
class Link:
    source: str
    target: str
    label: str


@dataclass(frozen=True)
class NodeMark:
    """Figures on one node: ``note`` is a line below its summary, ``level`` (0 to 4) colours
    it."""

    note: str
    level: int = 0
    data: Mapping[str, str] = field(default_factory=dict)
    """Extra attributes of the node's group, ``data-`` prefix included."""


@dataclass(frozen=True)
class EdgeMark:
    """Figures on every edge from one node to another: ``note`` is added to its label."""

    note: str
    data: Mapping[str, str] = field(default_factory=dict)
    unused: bool = False
    """Drawn faint (no caller took it)."""


@dataclass(frozen=True)
class Overlay:
    nodes: Mapping[str, NodeMark] = field(default_factory=dict)
    edges: Mapping[tuple[str, str], EdgeMark] = field(default_factory=dict)
    """By (source, target)."""


@dataclass
class _Placed:
    shape: Shape
    row: int
    x: float = 0.0
    y: float = 0.0
    width: float = 0.0

    @property
    def center(self) -> float:
        return self.x + self.width / 2


def escape(text: str) -> str:
    """Text safe in SVG content and attribute values (characters XML cannot hold are dropped)."""
    text = _NOT_XML.sub("", text)
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


def draw(
    shapes: list[Shape],
    links: list[Link],
    *,
    start: str | None,
    title: str,
    overlay: Overlay | None = None,
    embed_style: bool = True,
) -> str:
    """The SVG document: one ``<g class="node …">`` per shape, one ``<g class="edge">`` per link.

    ``embed_style=False`` leaves out the ``<style>`` element (a page serving :data:`STYLE` as a
    stylesheet inlines the drawing under a Content-Security-Policy without inline styles).
    """
    overlay = overlay or Overlay()
    box_height = BOX_HEIGHT + (NOTE_HEIGHT if overlay.nodes else 0)
    links = [
        replace(link, label=_with_note(link.label, overlay.edges[link.source, link.target].note))
        if (link.source, link.target) in overlay.edges
        else link
        for link in links
    ]
    notes = {name: mark.note for name, mark in overlay.nodes.items()}
    placed = _columns(shapes, links, start, notes)
    layout = _Routes(links, placed, overlay, box_height)
    parts = [layout.edge(index) for index in range(len(links))]
    parts += [
        _box(item, item.shape.id == start, overlay.nodes.get(item.shape.id), box_height)
        for item in placed.values()
    ]
    width = layout.right + MARGIN
    height = layout.bottom + MARGIN
    css = STYLE + (OVERLAY_STYLE if overlay.nodes or overlay.edges else "")
    style = f"<style>{css}</style>\n" if embed_style else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img">\n'
        f"<title>{escape(title)}</title>\n{style}"
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#7b8794"/></marker></defs>\n' + "\n".join(parts) + "\n</svg>\n"
    )


def _with_note(label: str, note: str) -> str:
    return f"{label} · {note}" if label else note


def _attributes(data: Mapping[str, str]) -> str:
    return "".join(f' {escape(name)}="{escape(value)}"' for name, value in data.items())


def _columns(
    shapes: list[Shape], links: list[Link], start: str | None, notes: Mapping[str, str]
) -> dict[str, _Placed]:
    """Rows by BFS depth, then each row's order (by its parents' places) and x positions."""
    children: dict[str, list[str]] = {shape.id: [] for shape in shapes}
    for link in links:
        children[link.source].append(link.target)
    rows: dict[str, int] = {}
    order: list[str] = []
    roots = ([start] if start in children else []) + [shape.id for shape in shapes]
    for root in roots:
        if root in rows:
            continue
        rows[root] = max(rows.values(), default=-1) + 1
        order.append(root)
        queue = deque([root])
        while queue:
            current = queue.popleft()
            for child in children[current]:
                if child not in rows:
                    rows[child] = rows[current] + 1
                    order.append(child)
                    queue.append(child)
    by_id = {shape.id: shape for shape in shapes}
    placed = {name: _Placed(by_id[name], rows[name]) for name in order}
    for item in placed.values():
        note = notes.get(item.shape.id, "")
        longest = max(len(item.shape.name), len(item.shape.summary), len(note))
        item.width = max(90.0, longest * CHAR_WIDTH + 20)
    parents: dict[str, list[str]] = {name: [] for name in order}
    for link in links:
        if rows[link.target] == rows[link.source] + 1:
            parents[link.target].append(link.source)
    row_lists: dict[int, list[str]] = {}
    for name in order:
        row_lists.setdefault(rows[name], []).append(name)
    widest = 0.0
    for row in sorted(row_lists):
        names = row_lists[row]
        found_at = {name: index for index, name in enumerate(names)}
        names.sort(key=lambda n: _barycenter(n, parents, placed, found_at[n]))
        x = 0.0
        for name in names:
            placed[name].x = x
            x += placed[name].width + COLUMN_GAP
        widest = max(widest, x - COLUMN_GAP)
    for names in row_lists.values():
        span = placed[names[-1]].x + placed[names[-1]].width
        for name in names:
            placed[name].x += MARGIN + (widest - span) / 2
    return placed


def _barycenter(
    name: str, parents: dict[str, list[str]], placed: dict[str, _Placed], fallback: int
) -> tuple[float, int]:
    above = parents[name]
    if not above:
        return (float("inf"), fallback)
    return (sum(placed[p].center for p in above) / len(above), fallback)


def _spread(item: _Placed, count: int, index: int) -> float:
    return item.x + item.width * (index + 1) / (count + 1)


class _Routes:
    """Row heights and the path of every link.

    A link to the next row is straight. Any other link (up, or along a row) leaves its box
    downwards into the gap below its row (its *leaving channel*, where its label is), runs right
    to its own lane beyond every box, up or down the lane, left along the gap above the target's
    row (its *entering channel*) and down into the target. Gaps grow with the channels they hold.
    """

    def __init__(
        self, links: list[Link], placed: dict[str, _Placed], overlay: Overlay, height: int
    ) -> None:
        self.height = height
        self.links = links
        self.placed = placed
        self.overlay = overlay
        self.side = [
            i
            for i, link in enumerate(links)
            if link.source != link.target and placed[link.target].row <= placed[link.source].row
        ]
        self.down = [
            i for i, link in enumerate(links) if placed[link.target].row > placed[link.source].row
        ]
        self.taken: list[tuple[float, float, float, float]] = []
        self.exits: dict[int, float] = {}
        self.entries: dict[int, float] = {}
        self._anchor()
        self.leaving: dict[int, int] = {}
        self.entering: dict[int, int] = {}
        leave_count: dict[int, int] = {}
        enter_count: dict[int, int] = {}
        for i in sorted(self.side, key=lambda i: -self.exits[i]):
            row = placed[links[i].source].row
            self.leaving[i] = leave_count.get(row, 0)
            leave_count[row] = self.leaving[i] + 1
        # Links back to one node share its lane and its entering channel: a bus into the node,
        # not one line per link (a shared "invalid" node reached from every menu).
        targets = sorted(
            {links[i].target for i in self.side},
            key=lambda name: -max(self.entries[i] for i in self.side if links[i].target == name),
        )
        entering_of: dict[str, int] = {}
        for name in targets:
            row = placed[name].row
            entering_of[name] = enter_count.get(row, 0)
            enter_count[row] = entering_of[name] + 1
        for i in self.side:
            self.entering[i] = entering_of[links[i].target]
        self.row_top: dict[int, float] = {}
        self.label_band: dict[int, float] = {}
        y: float = MARGIN + 30 + 6 * enter_count.get(0, 0)
        for row in range(max((p.row for p in placed.values()), default=-1) + 1):
            self.row_top[row] = y
            leave_band = 14 + 14 * leave_count.get(row, 0)
            self.label_band[row] = y + height + leave_band + 10
            gap = leave_band + 30 + 10 + 6 * enter_count.get(row + 1, 0)
            y += height + max(ROW_GAP, gap)
        for item in placed.values():
            item.y = self.row_top[item.row]
        self.bottom = (
            max(
                (self.row_top[p.row] + height + 14 + 14 * leave_count.get(p.row, 0))
                for p in placed.values()
            )
            if placed
            else MARGIN
        )
        boxes_right = max((p.x + p.width for p in placed.values()), default=MARGIN)
        # Lanes run beyond every box and every loop's label, so none crosses them.
        loops_right = [
            placed[link.source].x
            + placed[link.source].width
            + _loop_reach(self._nth(i))
            + len(link.label) * CHAR_WIDTH * 0.9
            + 6
            for i, link in enumerate(links)
            if link.source == link.target
        ]
        lanes_from = max([boxes_right, *loops_right])
        by_row = sorted(targets, key=lambda name: (placed[name].row, placed[name].x))
        lane_of = {name: lanes_from + LANE_GAP * (n + 1) for n, name in enumerate(by_row)}
        self.lane = {i: lane_of[links[i].target] for i in self.side}
        self.right = max([lanes_from, *self.lane.values()])

    def _anchor(self) -> None:
        """Spread the ends of links along box bottoms (leaving) and tops (entering), in the
        order of the other ends; links into lanes leave and enter at the right."""
        leaving: dict[str, list[int]] = {}
        entering: dict[str, list[int]] = {}
        for i in [*self.down, *self.side]:
            leaving.setdefault(self.links[i].source, []).append(i)
            entering.setdefault(self.links[i].target, []).append(i)
        far = float("inf")
        for name, indexes in leaving.items():
            indexes.sort(
                key=lambda i: self.placed[self.links[i].target].center if i in self.down else far
            )
            for rank, i in enumerate(indexes):
                self.exits[i] = _spread(self.placed[name], len(indexes), rank)
        for name, indexes in entering.items():
            # Links down spread along the top in the order of their sources; the links that
            # come round through a lane enter together, at the right.
            down = sorted(
                (i for i in indexes if i in self.down),
                key=lambda i: self.placed[self.links[i].source].center,
            )
            side = [i for i in indexes if i not in self.down]
            slots = len(down) + (1 if side else 0)
            for rank, i in enumerate(down):
                self.entries[i] = _spread(self.placed[name], slots, rank)
            for i in side:
                self.entries[i] = _spread(self.placed[name], slots, slots - 1)

    def edge(self, index: int) -> str:
        link = self.links[index]
        source, target = self.placed[link.source], self.placed[link.target]
        if link.source == link.target:
            path, (x, y, anchor) = _loop(source, self._nth(index), self.height)
        elif index in self.lane:
            x1, y1 = self.exits[index], source.y + self.height
            channel_out = y1 + 14 + 14 * self.leaving[index]
            channel_in = target.y - 10 - 6 * self.entering[index]
            x2 = self.entries[index]
            path = (
                f"M{x1:.1f},{y1:.1f} V{channel_out:.1f} H{self.lane[index]:.1f} "
                f"V{channel_in:.1f} H{x2:.1f} V{target.y:.1f}"
            )
            x, y, anchor = x1 + 4, channel_out - 3, "start"
        else:
            x1, y1 = self.exits[index], source.y + self.height
            x2, y2 = self.entries[index], target.y
            path = f"M{x1:.1f},{y1:.1f} L{x2:.1f},{y2:.1f}"
            y = min(self.label_band[source.row], (y1 + y2) / 2)
            x, anchor = x1 + (x2 - x1) * (y - y1) / (y2 - y1), "middle"
        label = ""
        if link.label:
            width = len(link.label) * CHAR_WIDTH * 0.9 + 6
            for _ in range(6):  # step aside from labels already placed
                left = x - width / 2 if anchor == "middle" else x - 3
                if not any(_overlap((left, y - 9, left + width, y + 3), box) for box in self.taken):
                    break
                if anchor == "middle" and index in self.down:
                    (x1, y1), y2 = (self.exits[index], source.y + self.height), target.y
                    y += 13
                    x = x1 + (self.entries[index] - x1) * (y - y1) / (y2 - y1)
                else:
                    x += width + 4
            self.taken.append((left, y - 9, left + width, y + 3))
            self.right = max(self.right, left + width)
            label = (
                f'<rect x="{left:.1f}" y="{y - 9:.1f}" width="{width:.1f}" height="12"/>'
                f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{escape(link.label)}</text>'
            )
        tip = f"{source.shape.name} → {target.shape.name}: {link.label}"
        mark = self.overlay.edges.get((link.source, link.target))
        classes = "edge unused" if mark is not None and mark.unused else "edge"
        extra = _attributes(mark.data) if mark is not None else ""
        return (
            f'<g class="{classes}" data-source="{escape(link.source)}" '
            f'data-target="{escape(link.target)}"{extra}><title>{escape(tip)}</title>'
            f'<path d="{path}" marker-end="url(#arrow)"/>{label}</g>'
        )

    def _nth(self, index: int) -> int:
        link = self.links[index]
        return sum(
            1
            for other in self.links[:index]
            if (other.source, other.target) == (link.source, link.target)
        )


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _loop_reach(nth: int) -> float:
    """How far the ``nth`` loop of a node reaches right of its box."""
    return 34.0 + 14 * nth


def _loop(item: _Placed, nth: int, height: float) -> tuple[str, tuple[float, float, str]]:
    right = item.x + item.width
    top, bottom = item.y + 10, item.y + height - 10
    reach = _loop_reach(nth)
    path = (
        f"M{right:.1f},{top:.1f} C{right + reach:.1f},{top - 14:.1f} "
        f"{right + reach:.1f},{bottom + 14:.1f} {right:.1f},{bottom:.1f}"
    )
    return path, (right + reach - 4, item.y + height / 2 + 4, "start")


def _box(item: _Placed, entry: bool, mark: NodeMark | None, height: float) -> str:
    shape = item.shape
    classes = f"node {shape.kind}" + (" entry" if entry else "")
    extra = ""
    if mark is not None:
        classes += f" drop-{min(max(mark.level, 0), DROP_LEVELS - 1)}"
        extra = _attributes(mark.data)
    cx = item.center
    start = ""
    if entry:
        start = (
            f'<path d="M{cx:.1f},{item.y - 26:.1f} L{cx:.1f},{item.y:.1f}" '
            'stroke="#1f2933" stroke-width="1.5" marker-end="url(#arrow)"/>'
            f'<text x="{cx + 6:.1f}" y="{item.y - 16:.1f}" font-size="10">start</text>'
        )
    return (
        f'<g class="{escape(classes)}" data-node="{escape(shape.id)}"{extra}>'
        f"<title>{escape(shape.tooltip or shape.name)}</title>{start}"
        f'<rect x="{item.x:.1f}" y="{item.y:.1f}" width="{item.width:.1f}" '
        f'height="{height:.0f}" rx="8"/>'
        f'<text class="name" x="{cx:.1f}" y="{item.y + 18:.1f}" text-anchor="middle">'
        f"{escape(shape.name)}</text>"
        f'<text class="summary" x="{cx:.1f}" y="{item.y + 34:.1f}" text-anchor="middle">'
        f"{escape(shape.summary)}</text>"
        + (
            f'<text class="note" x="{cx:.1f}" y="{item.y + 49:.1f}" text-anchor="middle">'
            f"{escape(mark.note)}</text>"
            if mark is not None
            else ""
        )
        + "</g>"
    )
