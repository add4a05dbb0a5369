"""Reading the DOT text draw_dot writes (one statement per line) and the SVG that dot makes."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

_NODE = re.compile(r"^\s*([A-Za-z]\w*) \[(.*)\]$")
_EDGE = re.compile(r"^\s*(\w+) -> (\w+)(?::(\w+)(?::(?:n|s|e|w))?)?(?: \[(.*)\])?$")
_CLUSTER_LABEL = re.compile(r"^\s*label=<([^>]*)>")
SVG = "{http://www.w3.org/2000/svg}"


@dataclass
class Dot:
    nodes: dict[str, str] = field(default_factory=dict)  # id -> attribute text
    edges: list[tuple[str, str, str]] = field(default_factory=list)  # tail, head, attributes
    ports: list[str] = field(default_factory=list)  # each edge's port on its head ('' if none)
    cluster_of: dict[str, tuple[str, ...]] = field(default_factory=dict)  # id -> cluster labels

    def ids(self, kind: str) -> list[str]:
        """Node ids of one kind: 'value' (v3), 'op' (v3_op), 'constant' (v3_c1) or 'junction'
        (v3_h1, where an edge from another layer enters a neuron)."""
        pattern = {"value": r"v\d+", "op": r"v\d+_op", "constant": r"v\d+_c\d+",
                   "junction": r"v\d+_h\d+"}[kind]
        return [n for n in self.nodes if re.fullmatch(pattern, n)]


def parse(source: str) -> Dot:
    dot = Dot()
    path: list[str] = []
    pending = False  # the line after "subgraph cluster_k {" holds its label
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith("subgraph cluster_"):
            path.append("?")
            pending = True
            continue
        if pending:
            match = _CLUSTER_LABEL.match(line)
            assert match, line
            path[-1] = html.unescape(match.group(1))
            pending = False
            continue
        if stripped == "}":
            if path:
                path.pop()
            continue
        edge = _EDGE.match(line)
        if edge:
            dot.edges.append((edge.group(1), edge.group(2), edge.group(4) or ""))
            dot.ports.append(edge.group(3) or "")
            continue
        node = _NODE.match(line)
        if node and node.group(1) not in ("graph", "node", "edge"):
            dot.nodes[node.group(1)] = node.group(2)
            dot.cluster_of[node.group(1)] = tuple(path)
    return dot


def svg_groups(svg: str, kind: str) -> list[tuple[str, set[str]]]:
    """The SVG's nodes or edges (kind 'node', 'edge' or 'cluster'): (title, classes of its <g>)."""
    root = ET.fromstring(svg)
    found: list[tuple[str, set[str]]] = []
    for g in root.iter(f"{SVG}g"):
        classes = set(g.get("class", "").split())
        if kind in classes:
            title = g.find(f"{SVG}title")
            assert title is not None and title.text is not None
            found.append((title.text, classes))
    return found


def svg_texts(svg: str) -> list[str]:
    """Every piece of text drawn in the SVG."""
    return ["".join(t.itertext()) for t in ET.fromstring(svg).iter(f"{SVG}text")]


def num(x: float, digits: int = 4) -> str:
    """A number as the drawings write it: `digits` significant digits and the minus sign −."""
    if x != x:
        return "NaN"
    return format(x, f".{digits}g").replace("-", "−").replace("inf", "∞")
