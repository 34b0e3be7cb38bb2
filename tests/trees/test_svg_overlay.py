"""The SVG drawing with an overlay of figures (the dashboard's funnel): marked nodes and edges
carry their attributes, colour class and note; the drawing stays well-formed XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ivrkit.trees import _svg as svg
from ivrkit.trees import load_tree
from ivrkit.trees._diagram import to_svg

SVG = "{http://www.w3.org/2000/svg}"


def test_an_overlay_marks_nodes_and_edges() -> None:
    spec = load_tree().spec
    overlay = svg.Overlay(
        nodes={
            "main": svg.NodeMark(
                note='5 reached <&> 1 "dropped"', level=7, data={"data-reached": "5"}
            )
        },
        edges={("main", "agent"): svg.EdgeMark(note="2", data={"data-count": "2"}, unused=False)},
    )
    drawn = to_svg(spec, overlay=overlay, embed_style=False)
    root = ET.fromstring(drawn)
    assert root.find(f"{SVG}style") is None
    groups = {g.get("data-node"): g for g in root.iter(f"{SVG}g") if g.get("data-node")}
    main = groups["main"]
    assert main.get("data-reached") == "5"
    assert "drop-4" in (main.get("class") or "").split()  # levels above 4 are 4
    texts = ["".join(t.itertext()) for t in main.iter(f"{SVG}text")]
    assert '5 reached <&> 1 "dropped"' in texts
    assert groups["agent"].get("data-reached") is None
    edges = [g for g in root.iter(f"{SVG}g") if g.get("data-target") == "agent"]
    assert [e.get("data-count") for e in edges] == ["2"]
    assert "· 2" in "".join(edges[0].itertext())


def test_without_an_overlay_the_drawing_is_unchanged() -> None:
    spec = load_tree().spec
    assert to_svg(spec) == to_svg(spec, overlay=svg.Overlay())
    assert "drop-" not in to_svg(spec)
    with_style = ET.fromstring(to_svg(spec, overlay=svg.Overlay(nodes={"main": svg.NodeMark("x")})))
    style = with_style.find(f"{SVG}style")
    assert style is not None and ".node.drop-0" in (style.text or "")
