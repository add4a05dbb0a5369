"""Hostile labels reach the drawing as written: Graphviz's own escapes (\\N, \\G, \\L ... name
the node, the graph, the label), DOT and HTML syntax, control characters, long texts in
tooltips; none of them can inject a node, break the lexer or change another text."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from autograd import Value
from tests.viz.dotsource import SVG, svg_texts
from viz import draw_dot, render

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
XLINK = "{http://www.w3.org/1999/xlink}"

HOSTILE = [
    '"', "\\", "\\N", "\\G\\E\\T\\H\\L", '\\"', '"]; injected [label="pwn', "<B>b</B>", "&amp;",
    "&#x41;", "]", "[x]", "}", "{", "|", "-> y", "//", "/* c */", "#", "'", "<!--", "]]>",
    "</text>", "$(rm -rf /)", "x\\ny", "x\\\\ny", "%", "label=<", "a\\", 'a"b\\"c', "😀 中文",
    "\\" * 40, "\\N" * 30, "\\u202e",
]


def _graph(labels: list[str], suffix: str) -> Value:
    total = Value(0.0, label="total")
    for text in labels:
        total = total + Value(1.0, label=text + suffix) * 2
    total.backward()
    return total


@needs_dot
def test_hostile_labels_are_drawn_as_written(tmp_path: Path) -> None:
    svg = render(_graph(HOSTILE, ""), tmp_path / "g.svg").read_text(encoding="utf-8")
    root = ET.fromstring(svg)  # well-formed XML
    texts = svg_texts(svg)
    for label in HOSTILE:
        assert label in texts, label
    # an invisible control character (right-to-left override) is shown as its escape
    shown = svg_texts(render(_graph(["a\u202eb"], ""), tmp_path / "c.svg").read_text("utf-8"))
    assert "a\\u202eb" in shown
    assert "pwn" not in [t.text for t in root.iter(f"{SVG}title")]  # no node was injected


@needs_dot
def test_hostile_tooltips_hold_the_whole_label_as_written(tmp_path: Path) -> None:
    long = "z" * 310  # past the 300 characters a label shows: the tooltip has all of it
    svg = render(_graph(HOSTILE, long), tmp_path / "g.svg").read_text(encoding="utf-8")
    tips = {a.get(f"{XLINK}title") for a in ET.fromstring(svg).iter(f"{SVG}a")}
    for label in HOSTILE:
        assert label + long in tips, label


@needs_dot
def test_an_edge_label_and_the_caption_keep_backslashes(tmp_path: Path) -> None:
    x = Value(2.0, label="\\G")
    y = (x * x).tanh()
    y.label = "\\N"
    y.backward()
    graph = draw_dot(y, highlight=x, show_partials=True)
    texts = " ".join(svg_texts(render(graph, tmp_path / "h.svg").read_text(encoding="utf-8")))
    assert "∂\\N/∂\\G" in texts  # the caption, in the labels' own names
    assert "%3" not in texts  # the graph's name never stands in for \G
