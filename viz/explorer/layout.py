"""The explorer's boxes and where they go: one scene, laid out per view and per direction.

A *scene* holds every shape the page may show: a box per Value (``v3``), a circle per operation
(``v3_op``), a small number per constant operand (``v3_c1``) and, for a network, a box per
neuron (``u2``). A *view* is the list of edges it draws between them: "values" draws every
Value; "neurons" draws each neuron (its weights, bias, weighted sum and activation) as its one
box, read from nn's labels by `nn_layout`. Graphviz's `dot` places each view's shapes once per
direction (`place`); the page keeps every placement and shows one.
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from autograd import Value
from viz.cost import QUICK, estimate_graph
from viz.explorer.timeline import NodeInfo, num
from viz.parts import choose_rankdir, natural_key

__all__ = ["LAYOUT_TIMEOUT", "Edge", "Placement", "Scene", "Shape", "Unit", "place",
           "rankdir_for", "scene", "text_width"]

#: Time allowed to Graphviz's `dot` to lay a view out, in seconds; it runs only on views
#: estimated to take a couple of seconds at most (`viz.cost`), so this is a safety net.
LAYOUT_TIMEOUT = 20.0

LINE = 15.0  # height of one line of text in a box, in points (the text is 12 px)
PAD = 8.0
OP_SIZE = 24.0  # diameter of an operation's circle
#: The screens `choose_rankdir` weighs a layout for: a landscape monitor and a phone held upright.
SCREENS = {"wide": (1920.0, 1080.0), "tall": (390.0, 844.0)}


_NARROW = set(" .,:;()[]|!'\"ijlrtf·")
_WIDE = set("mwMW∂")


def text_width(text: str, size: float = 12.0) -> float:
    """A width in points of `text` in the page's sans-serif font (Helvetica or Arial and their
    look-alikes), a little over: digits and most letters 0.56 of the size, punctuation and
    narrow letters 0.33, capitals 0.68, m and w 0.85, Chinese, Japanese and Korean characters
    the whole size. A box this wide holds its text in any of those fonts."""
    em = 0.0
    for c in text:
        if unicodedata.east_asian_width(c) in "WF":
            em += 1.0
        elif c in _NARROW:
            em += 0.33
        elif c in _WIDE:
            em += 0.85
        elif c.isupper():
            em += 0.68
        else:
            em += 0.56
    return em * size


@dataclass
class Shape:
    kind: str  # "value", "op", "const" or "unit"
    id: str
    width: float  # points
    height: float
    text: str = ""


@dataclass
class Edge:
    tail: str  # shape ids
    head: str
    kind: str  # "in", "out" or "constant"
    node: int = -1  #: the Value whose operation the edge feeds (its head's node)
    k: int = -1  #: for an edge from a Value input: its place among the node's Value inputs


@dataclass
class Unit:
    """A neuron of the neuron view: the Values whose nn label puts them inside it."""

    name: str  # layer1.neuron2
    members: list[int]  # topological indices
    rep: int  # the member the box shows: the neuron's (last) output
    parameters: int  # how many of the members are leaves
    #: the neuron's outputs read outside it: one per sample of a batch (the box shows the last)
    samples: int = 1


@dataclass
class Scene:
    shapes: list[Shape]
    units: list[Unit]
    #: per view: the edges it draws (the shapes it shows are their ends, and lone boxes)
    views: dict[str, list[Edge]]
    shown: dict[str, list[str]]  #: per view: the ids of the shapes it shows, inputs first
    box_of: dict[str, list[str]] = field(default_factory=dict)  #: per view: box id per Value


@dataclass
class Placement:
    """Where one view's shapes go in one direction: centres in points, y downwards."""

    rankdir: str
    width: float
    height: float
    pos: dict[str, tuple[float, float]]
    paths: list[str]  #: an SVG path per edge of the view, in the view's order


def _box_width(name: str, lines: Sequence[str]) -> float:
    """A box wide enough for its bold name and its longest line."""
    return max([1.1 * text_width(name)] + [text_width(t) for t in lines]) + 2 * PAD


def scene(order: Sequence[Value], nodes: list[NodeInfo], groups: Sequence[tuple[str, ...]] | None,
          w: dict[str, str]) -> Scene:
    """Every shape of the page and each view's edges. `groups`: nn_layout's neuron of each
    Value (None, or no group at all: no neuron view)."""
    shapes: list[Shape] = []
    values: list[Edge] = []
    for i, (node, info) in enumerate(zip(order, nodes, strict=True)):
        rule = node.rule
        if rule is not None:
            k = 0
            for position, x in enumerate(node.inputs):
                if isinstance(x, Value):
                    values.append(Edge(f"v{info.inputs[k]}", f"v{i}_op", "in", i, k))
                    k += 1
                else:
                    text = num(x)
                    shapes.append(Shape("const", f"v{i}_c{position}", text_width(text, 10) + 4,
                                        LINE, text))
                    values.append(Edge(f"v{i}_c{position}", f"v{i}_op", "constant", i))
            # After its constants, so that every shape comes after its inputs.
            shapes.append(Shape("op", f"v{i}_op", OP_SIZE, OP_SIZE, rule.symbol))
            values.append(Edge(f"v{i}_op", f"v{i}", "out", i))
        grads = [info.grad_text] + [t for _, t, _ in info.sums]
        lines = [f"{w['data']} {info.value_text}", *(f"{w['grad']} {g}" for g in grads)]
        shapes.append(Shape("value", f"v{i}", _box_width(info.name, lines), 3 * LINE + PAD))
    views = {"values": values}
    shown = {"values": [s.id for s in shapes]}
    box_of = {"values": [f"v{i}" for i in range(len(order))]}
    units = _units(order, groups)
    if units:
        views["neurons"], shown["neurons"], box_of["neurons"] = _neuron_view(
            order, nodes, units, shapes, w)
    return Scene(shapes, units, views, shown, box_of)


def _units(order: Sequence[Value], groups: Sequence[tuple[str, ...]] | None) -> list[Unit]:
    if groups is None:
        return []
    members: dict[tuple[str, ...], list[int]] = {}
    for i, group in enumerate(groups):
        if group:
            members.setdefault(group, []).append(i)
    index = {id(n): i for i, n in enumerate(order)}
    read_outside: set[int] = {len(order) - 1}  # the root is read by the reader
    for j, node in enumerate(order):
        for p in node.parents:
            i = index[id(p)]
            if groups[i] != groups[j]:
                read_outside.add(i)
    units = []
    for group, inside in sorted(members.items(),
                                key=lambda item: tuple(natural_key(p) for p in item[0])):
        operations = [i for i in inside if order[i].rule is not None]
        rep = operations[-1] if operations else inside[-1]
        leaves = sum(1 for i in inside if order[i].rule is None)
        samples = sum(1 for i in operations if i in read_outside) or 1
        units.append(Unit(".".join(group), inside, rep, leaves, samples))
    return units


def _neuron_view(order: Sequence[Value], nodes: list[NodeInfo], units: list[Unit],
                 shapes: list[Shape], w: dict[str, str]
                 ) -> tuple[list[Edge], list[str], list[str]]:
    """The neuron view: a box per neuron, the Values outside every neuron as themselves."""
    box = [f"v{i}" for i in range(len(order))]
    for u, unit in enumerate(units):
        for i in unit.members:
            box[i] = f"u{u}"
        rep = nodes[unit.rep]
        grads = [rep.grad_text] + [t for _, t, _ in rep.sums]
        last = f" {w['last_sample'].format(n=unit.samples)}" if unit.samples > 1 else ""
        lines = [f"{w['data']} {rep.value_text}{last}", *(f"{w['grad']} {g}" for g in grads),
                 w["parameters"].format(n=unit.parameters)]
        shapes.append(Shape("unit", f"u{u}", _box_width(unit.name, lines), 4 * LINE + PAD,
                            unit.name))
    by_id = {s.id: s for s in shapes}
    edges: list[Edge] = []
    seen: set[tuple[str, str]] = set()
    shown: list[str] = []
    placed: set[str] = set()

    def show(shape_id: str) -> None:
        if shape_id not in placed:
            placed.add(shape_id)
            shown.append(shape_id)

    for i, node in enumerate(order):
        if box[i].startswith("u"):
            for j in nodes[i].inputs:
                if box[j] != box[i] and (box[j], box[i]) not in seen:
                    seen.add((box[j], box[i]))
                    show(box[j])
                    edges.append(Edge(box[j], box[i], "in", i))
            show(box[i])
            continue
        rule = node.rule
        if rule is not None:
            k = 0
            for position, x in enumerate(node.inputs):
                if isinstance(x, Value):
                    show(box[nodes[i].inputs[k]])
                    edges.append(Edge(box[nodes[i].inputs[k]], f"v{i}_op", "in", i, k))
                    k += 1
                else:
                    show(f"v{i}_c{position}")
                    edges.append(Edge(f"v{i}_c{position}", f"v{i}_op", "constant", i))
            show(f"v{i}_op")
            edges.append(Edge(f"v{i}_op", f"v{i}", "out", i))
        show(box[i])
    assert all(s in by_id for s in shown)
    return edges, shown, box


# -- placing a view --------------------------------------------------------------------------------


def _ranks(ids: list[str], edges: list[Edge]) -> dict[str, int]:
    """Each shape's rank in a layered drawing: one past its furthest input; a shape with no
    input (a leaf) just before its first user, as dot tends to place it."""
    inputs: dict[str, list[str]] = {s: [] for s in ids}
    users: dict[str, list[str]] = {s: [] for s in ids}
    for e in edges:
        inputs[e.head].append(e.tail)
        users[e.tail].append(e.head)
    # In topological order of the view's own edges (a neuron's box may be listed before the
    # boxes that feed it); shapes left on a cycle (labels can make one) go last.
    waiting = {s: len(set(inputs[s])) for s in ids}
    ready = [s for s in ids if waiting[s] == 0]
    ordered: list[str] = []
    while ready:
        s = ready.pop()
        ordered.append(s)
        for u in dict.fromkeys(users[s]):
            waiting[u] -= 1
            if waiting[u] == 0:
                ready.append(u)
    done = set(ordered)
    ordered += [s for s in ids if s not in done]
    rank: dict[str, int] = {}
    for s in ordered:
        rank[s] = 1 + max((rank[t] for t in inputs[s] if t in rank), default=-1)
    for s in ids:
        if not inputs[s] and users[s]:
            rank[s] = max(rank[s], min(rank[u] for u in users[s]) - 1)
    return rank


def rankdir_for(shapes: list[Shape], ids: list[str], edges: list[Edge], screen: str) -> str:
    """The direction the drawings' rule (`choose_rankdir`) picks for this view on `screen`
    ("wide": a 1,920 × 1,080 monitor, "tall": a phone held upright)."""
    by_id = {s.id: s for s in shapes}
    rank = _ranks(ids, edges)
    return choose_rankdir([rank[s] for s in ids], [by_id[s].width for s in ids],
                          [by_id[s].height for s in ids], screen=SCREENS[screen])


def place(shapes: list[Shape], ids: list[str], edges: list[Edge], rankdir: str,
          timeout: float = LAYOUT_TIMEOUT) -> tuple[Placement, tuple[str, float] | None]:
    """The one place a view is laid out: by Graphviz's `dot` when it is installed and quick on
    this view (`viz.cost` estimates it first), stopped after `timeout` seconds, else by a simple
    layered layout. Returns the placement and, when `dot` did not make it, why: ("no_dot", 0),
    ("dot_slow", its estimated seconds) or ("dot_timeout", the seconds it was given)."""
    by_id = {s.id: s for s in shapes}
    chosen = [by_id[s] for s in ids]
    if shutil.which("dot") is None:
        return _simple_layout(chosen, edges, rankdir), ("no_dot", 0.0)
    cost = estimate_graph(ids, [(e.tail, e.head, False) for e in edges])
    if cost.seconds > QUICK:
        return _simple_layout(chosen, edges, rankdir), ("dot_slow", cost.seconds)
    try:
        return _dot_layout(chosen, edges, rankdir, timeout), None
    except subprocess.TimeoutExpired:
        return _simple_layout(chosen, edges, rankdir), ("dot_timeout", timeout)


def _dot_layout(shapes: list[Shape], edges: list[Edge], rankdir: str,
                timeout: float = LAYOUT_TIMEOUT) -> Placement:
    """Positions from Graphviz's `dot` (-Tjson0): each shape's centre and each edge's spline."""
    dot = shutil.which("dot")
    assert dot is not None
    lines = [f"digraph {{ rankdir={rankdir}; newrank=true; nodesep=0.15; ranksep=0.3;",
             "node [fixedsize=true label=\"\"];"]
    for s in shapes:
        shape = {"value": "box", "unit": "box", "op": "circle", "const": "box"}[s.kind]
        lines.append(f'{s.id} [shape={shape} width={s.width / 72:.4f} height={s.height / 72:.4f}]')
    for k, e in enumerate(edges):
        lines.append(f"{e.tail} -> {e.head} [id=e{k}]")
    lines += _fan_in_rows(shapes, edges) + _neuron_rows(shapes)
    lines.append("}")
    done = subprocess.run([dot, "-Tjson0"], input="\n".join(lines).encode(), capture_output=True,
                          timeout=timeout, check=False)
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"explore: Graphviz's dot failed to lay out the graph: {message}")
    laid = json.loads(done.stdout)
    _, _, width, height = (float(v) for v in laid["bb"].split(","))
    pos: dict[str, tuple[float, float]] = {}
    for obj in laid.get("objects", []):
        if "pos" not in obj:
            continue  # a subgraph of _neuron_rows
        x, y = (float(v) for v in obj["pos"].split(","))
        pos[obj["name"]] = (x, height - y)
    paths = [""] * len(edges)
    for laid_edge in laid.get("edges", []):  # not in the order given: matched by id
        if "id" in laid_edge:  # not an invisible edge of _fan_in_rows
            paths[int(laid_edge["id"][1:])] = _spline(laid_edge["pos"], height)
    return Placement(rankdir, width, height, pos, paths)


def _fan_in_rows(shapes: list[Shape], edges: list[Edge], width: int = 8) -> list[str]:
    """Invisible edges that set a neuron's many weights out in rows of `width`.

    Left alone, dot puts every leaf one rank before its user, so the 16 × 16 weights of a
    layer stand in one column hundreds of boxes tall; chained in rows they make a block.
    Only leaves used by that one operation are moved."""
    has_input = {e.head for e in edges}
    uses: dict[str, int] = {}
    for e in edges:
        uses[e.tail] = uses.get(e.tail, 0) + 1
    leaves = {s.id for s in shapes if s.kind in ("value", "unit") and s.id not in has_input}
    fans: dict[str, list[str]] = {}
    for e in edges:
        if e.tail in leaves and uses[e.tail] == 1:
            fans.setdefault(e.head, []).append(e.tail)
    lines: list[str] = []
    for fan in fans.values():
        if len(fan) <= 6:
            continue
        for start in range(0, len(fan), width):
            row = fan[start:start + width]
            lines += [f"{a} -> {b} [style=invis]" for a, b in itertools.pairwise(row)]
    return lines


def _neuron_rows(shapes: list[Shape]) -> list[str]:
    """A layer's neurons side by side in the order of their names (``neuron2`` before
    ``neuron10``), as a reader counts them, rather than in the order that crosses fewest edges."""
    layers: dict[str, list[Shape]] = {}
    for s in shapes:
        if s.kind == "unit":
            layers.setdefault(s.text.rpartition(".")[0], []).append(s)
    lines: list[str] = []
    for layer in layers.values():
        if len(layer) > 1:
            layer.sort(key=lambda s: natural_key(s.text))
            lines.append(f"{{ rank=same; {'; '.join(s.id for s in layer)} }}")
            lines += [f"{a.id} -> {b.id} [style=invis]" for a, b in itertools.pairwise(layer)]
    return lines


def _spline(pos: str, height: float) -> str:
    """Graphviz's ``e,x,y p1 p2 ...`` (B-spline control points, y upwards) as an SVG path."""
    end = None
    points: list[tuple[float, float]] = []
    for part in pos.split():
        if part.startswith("e,"):
            _, x, y = part.split(",")
            end = (float(x), height - float(y))
        elif part.startswith("s,"):
            continue
        else:
            x, y = part.split(",")
            points.append((float(x), height - float(y)))
    d = f"M{points[0][0]:.1f},{points[0][1]:.1f}"
    for k in range(1, len(points) - 2, 3):
        (ax, ay), (bx, by), (cx, cy) = points[k:k + 3]
        d += f"C{ax:.1f},{ay:.1f} {bx:.1f},{by:.1f} {cx:.1f},{cy:.1f}"
    if end is not None:
        d += f"L{end[0]:.1f},{end[1]:.1f}"
    return d


def _simple_layout(shapes: list[Shape], edges: list[Edge], rankdir: str) -> Placement:
    """A layered layout without Graphviz: a rank per depth from the leaves, straight edges;
    ranks run across the page for LR and RL, down it for TB and BT."""
    ids = [s.id for s in shapes]
    rank = _ranks(ids, edges)
    layers: dict[int, list[Shape]] = {}
    for s in shapes:
        layers.setdefault(rank[s.id], []).append(s)
    across = rankdir in ("LR", "RL")

    # Along a rank the shapes stand side by side; ranks follow one another.
    def along(s: Shape) -> float:
        return s.height if across else s.width

    def deep(s: Shape) -> float:
        return s.width if across else s.height

    pos: dict[str, tuple[float, float]] = {}
    at, extent = 0.0, 0.0
    for r in sorted(layers):
        layer = layers[r]
        thick = max(deep(s) for s in layer)
        offset = 0.0
        for s in layer:
            centre = (at + thick / 2, offset + along(s) / 2)
            pos[s.id] = centre if across else (centre[1], centre[0])
            offset += along(s) + 12
        extent = max(extent, offset)
        at += thick + 40
    width, height = (at, extent) if across else (extent, at)
    if rankdir in ("RL", "BT"):
        pos = {k: ((width - x, y) if rankdir == "RL" else (x, height - y))
               for k, (x, y) in pos.items()}
    by_id = {s.id: s for s in shapes}
    paths = []
    for e in edges:
        (ax, ay), (bx, by) = pos[e.tail], pos[e.head]
        a, b = by_id[e.tail], by_id[e.head]
        if across:
            sign = 1 if bx >= ax else -1
            paths.append(f"M{ax + sign * a.width / 2:.1f},{ay:.1f}"
                         f"L{bx - sign * b.width / 2:.1f},{by:.1f}")
        else:
            sign = 1 if by >= ay else -1
            paths.append(f"M{ax:.1f},{ay + sign * a.height / 2:.1f}"
                         f"L{bx:.1f},{by - sign * b.height / 2:.1f}")
    return Placement(rankdir, width, height, pos, paths)
