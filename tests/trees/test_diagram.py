"""Diagrams show every node and every edge of a tree, in Mermaid, DOT and SVG, with safe labels."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from ivrkit.trees import TreeSpec, load_tree, parse_spec
from ivrkit.trees._diagram import (
    boxes,
    dot_text,
    drawn_edges,
    edge_label,
    mermaid_text,
    node_ids,
    to_dot,
    to_mermaid,
    to_svg,
)
from ivrkit.trees._graph_edges import all_edges

SVG = "{http://www.w3.org/2000/svg}"
EXAMPLES = ["simple_ivr", "restaurant"]

NASTY = """\
name: nasty
title: 'Tom & "Jerry" <b>bold</b>'
entry: main
nodes:
  main:
    menu:
      prompt: 'Say "hi" <script>alert(1)</script> & [press] {1} | # ` \\ end'
      capture: {max_digits: 1}
      routes:
        "1": {to: end, set: {who: 'a"b<c>&|d'}}
        "2": self-loop
      on_invalid: end
  self-loop:
    menu:
      prompt: 'Press 1 to hear this again, or 2 for "more" ]] )) }}'
      capture: {max_digits: 1}
      routes: {"1": self-loop, "2": end}
      on_invalid: end
  end:
    hangup: {say: "Bye <now> & \\"then\\""}
"""


def spec_of(name: str) -> TreeSpec:
    return load_tree(name).spec


def nodes_and_edges(root: ET.Element) -> tuple[list[ET.Element], list[ET.Element]]:
    groups = list(root.iter(f"{SVG}g"))
    nodes = [g for g in groups if "node" in g.get("class", "").split()]
    edges = [g for g in groups if "edge" in g.get("class", "").split()]
    return nodes, edges


@pytest.mark.parametrize("name", EXAMPLES)
def test_mermaid_shows_every_node_and_edge(name: str) -> None:
    spec = spec_of(name)
    text = to_mermaid(spec)
    ids = node_ids(spec)
    assert text.startswith("flowchart TD\n")
    for node in spec.nodes:
        assert f"  {ids[node]}" in text
        assert f"{mermaid_text(node)}<br/>" in text
    for edge in drawn_edges(spec):
        label = mermaid_text(edge_label(spec, edge))
        assert f'  {ids[edge.source]} -->|"{label}"| {ids[edge.target]}\n' in text
    assert f"start --> {ids[spec.entry]}" in text
    assert text.count(" -->|") == len(drawn_edges(spec))


@pytest.mark.parametrize("name", EXAMPLES)
def test_dot_shows_every_node_and_edge(name: str) -> None:
    spec = spec_of(name)
    text = to_dot(spec)
    assert text.startswith(f'digraph "{name}" {{')
    assert text.rstrip().endswith("}")
    for node in spec.nodes:
        assert f'  "{node}" [label="{node}\\n' in text
    for edge in drawn_edges(spec):
        line = f'  "{edge.source}" -> "{edge.target}" [label={dot_text(edge_label(spec, edge))}];'
        assert line in text
    assert f'"(start)" -> "{spec.entry}";' in text
    assert text.count(" -> ") == len(drawn_edges(spec)) + 1


@pytest.mark.parametrize("name", EXAMPLES)
def test_svg_has_one_element_per_node_and_per_edge(name: str) -> None:
    spec = spec_of(name)
    root = ET.fromstring(to_svg(spec))
    assert root.tag == f"{SVG}svg"
    nodes, edges = nodes_and_edges(root)
    assert sorted(g.get("data-node", "") for g in nodes) == sorted(spec.nodes)
    expected = sorted((e.source, e.target) for e in drawn_edges(spec))
    drawn = sorted((g.get("data-source", ""), g.get("data-target", "")) for g in edges)
    assert drawn == expected
    (entry,) = [g for g in nodes if "entry" in g.get("class", "").split()]
    assert entry.get("data-node") == spec.entry


@pytest.mark.parametrize("name", EXAMPLES)
def test_svg_boxes_do_not_overlap(name: str) -> None:
    root = ET.fromstring(to_svg(spec_of(name)))
    nodes, _ = nodes_and_edges(root)
    rects = []
    for group in nodes:
        rect = group.find(f"{SVG}rect")
        assert rect is not None
        x, y = float(rect.get("x", 0)), float(rect.get("y", 0))
        rects.append((x, y, x + float(rect.get("width", 0)), y + float(rect.get("height", 0))))
    for i, a in enumerate(rects):
        for b in rects[i + 1 :]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])
    width = float(root.get("width", 0))
    assert all(0 <= r[0] and r[2] <= width for r in rects)


def test_labels_are_escaped_in_every_format() -> None:
    spec, _ = parse_spec(NASTY)
    mermaid = to_mermaid(spec)
    for line in mermaid.splitlines()[1:]:
        if '"' in line:  # quoted labels hold no raw quote, <, >, &, | or backtick
            inside = line[line.index('"') + 1 : line.rindex('"')].replace("<br/>", "")
            assert not set(inside) & set('"<>&|`'), line
    assert "#quot;hi#quot;" in mermaid
    assert "#60;script#62;" in mermaid
    assert "who=a#quot;b#60;c#62;#38;#124;d" in mermaid

    dot = to_dot(spec)
    assert 'Say \\"hi\\" <script>' in dot
    assert "\\\\ end" in dot
    assert dot.count(" -> ") == len(drawn_edges(spec)) + 1

    root = ET.fromstring(to_svg(spec))  # parses: every <, >, & and quote is escaped
    texts = "".join(root.itertext())
    assert "<script>" in texts  # as text, not as an element
    assert root.find(f".//{SVG}script") is None
    assert root.find(f".//{SVG}b") is None
    nodes, edges = nodes_and_edges(root)
    assert len(nodes) == 3 and len(edges) == len(drawn_edges(spec))


def test_mermaid_quoted_labels_keep_no_raw_special_characters() -> None:
    assert mermaid_text('a"b<c>d&e|f`g#h') == "a#quot;b#60;c#62;d#38;e#124;f#96;g#35;h"


def test_dot_text_escapes_quotes_backslashes_and_newlines() -> None:
    assert dot_text('say "hi"\\n\nnext') == '"say \\"hi\\"\\\\n\\nnext"'


def test_a_reserved_or_dashed_node_name_gets_a_safe_mermaid_id() -> None:
    spec, _ = parse_spec(NASTY)
    ids = node_ids(spec)
    assert set(ids.values()) == {"n0", "n1", "n2"}
    assert "  end" not in to_mermaid(spec)


def test_an_undefined_target_is_drawn_as_a_missing_box() -> None:
    spec, _ = parse_spec(
        "name: t\nentry: main\nnodes:\n  main:\n    goto: nowhere\n"
    )  # parse_spec does not check targets; the diagram shows the hole
    kinds = {box.name: box.kind for box in boxes(spec)}
    assert kinds == {"main": "goto", "nowhere": "missing"}
    assert "nowhere<br/>missing: not defined" in to_mermaid(spec)
    root = ET.fromstring(to_svg(spec))
    nodes, edges = nodes_and_edges(root)
    assert [g.get("class") for g in nodes] == ["node goto entry", "node missing"]
    assert len(edges) == 1


def test_nodes_show_their_kind_and_a_short_text() -> None:
    spec = spec_of("restaurant")
    summaries = {box.name: box.caption for box in boxes(spec)}
    assert summaries["representative"] == "transfer: to {representative}"
    assert summaries["main"].startswith("menu: Welcome to ABC Restaurant")
    assert summaries["main"].endswith("…")
    assert len(summaries["main"]) <= len("menu: ") + 36


def test_a_route_that_sets_a_variable_shows_it_on_the_edge() -> None:
    spec, _ = parse_spec(NASTY)
    (edge,) = [e for e in drawn_edges(spec) if e.label == "1"][:1]
    assert edge_label(spec, edge) == '1 (who=a"b<c>&|d)'


def test_a_menu_that_plays_itself_again_shows_a_loop() -> None:
    spec = spec_of("simple_ivr")
    loops = [e for e in drawn_edges(spec) if e.source == e.target]
    assert [(e.source, e.label) for e in loops] == [("main", "invalid / no input: again")]
    assert loops[0] not in all_edges(spec)
    ids = node_ids(spec)
    assert f'{ids["main"]} -->|"invalid / no input: again"| {ids["main"]}' in to_mermaid(spec)


def test_the_restaurant_diagram_in_the_docs_is_current() -> None:
    from pathlib import Path

    committed = Path(__file__).resolve().parents[2] / "docs" / "restaurant.svg"
    assert committed.read_text(encoding="utf-8") == to_svg(spec_of("restaurant")), (
        "regenerate it: ivrkit graph restaurant -f svg -o docs/restaurant.svg"
    )


def _side_paths(svg_text: str, target: str) -> list[str]:
    """The paths of the links into ``target`` that come round through a lane (they have H)."""
    import re

    found = re.findall(
        rf'<g class="edge[^"]*" data-source="[^"]+" data-target="{target}"[^>]*>'
        r'<title>[^<]*</title><path d="([^"]+)"',
        svg_text,
    )
    return [path for path in found if " H" in path]


def test_links_back_to_one_node_share_its_lane_and_entry() -> None:
    import re

    drawn = to_svg(spec_of("restaurant"))
    into_invalid = _side_paths(drawn, "invalid")
    assert len(into_invalid) >= 5  # every menu's invalid and no input
    lanes = {re.findall(r"H([\d.]+)", path)[0] for path in into_invalid}
    ends = {re.findall(r"H([\d.]+) V[\d.]+$", path)[0] for path in into_invalid}
    assert len(lanes) == 1, lanes  # one lane, not one per link
    assert len(ends) == 1, ends  # one arrow into the node


def test_lanes_run_clear_of_a_loops_label() -> None:
    import re

    spec, _ = parse_spec(
        """
name: loops
entry: main
nodes:
  main:
    menu:
      prompt: Press 1 to go on.
      routes: {"1": next}
  next:
    menu:
      prompt: Press 1 to start again, 2 to leave.
      routes: {"1": main, "2": bye}
  bye: {hangup: {}}
"""
    )
    drawn = to_svg(spec)
    loop = re.search(
        r'data-source="main" data-target="main".*?<text x="([\d.]+)"[^>]*>([^<]+)<', drawn
    )
    assert loop is not None
    label_end = float(loop[1]) + len(loop[2]) * 6.6 * 0.9
    lanes = [
        float(x) for path in _side_paths(drawn, "main") for x in re.findall(r"H([\d.]+)", path)[:1]
    ]
    assert lanes and min(lanes) > label_end
