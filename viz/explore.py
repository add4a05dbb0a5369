"""`explore`: a computation graph as one self-contained web page to step through.

The page shows the graph (laid out by Graphviz's `dot` when the page is made) and one timeline:
the forward pass, where each operation's value appears, then the backward pass in the engine's
own sweep order (`backward_steps`), where each node's gradient is completed and sent on to its
inputs by the chain rule. Clicking a node shows its formula, value, gradient, local partials and
`explain(root, node)`: every path from the root down to it, highlighted in the graph.

Every number on the page is the engine's, written here by Python: the page's script only shows
and hides them, it computes none. Every name is the one `Naming` gives. The page needs nothing
from the network (its script and styles are inside it), so it opens offline from a file.

>>> from autograd import Value
>>> w, x = Value(0.5, label="w"), Value(1.5, label="x")
>>> y = (w * x).tanh()
>>> y.label = "y"
>>> page = explore(y)
>>> page.steps  # 2 forward steps (w·x, then y), then 4 backward steps (y, w·x, x, w)
6
>>> 'data-name="w"' in page.html and "<script" in page.html and "http://" not in page.html
True
"""

from __future__ import annotations

import html
import itertools
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from autograd import (
    Naming,
    Value,
    backward_steps,
    explain,
    formula,
    rule_text,
    topological_order,
)
from viz.dot import MAX_NODES, GraphTooLargeError
from viz.labels import Role, looks_like_nn, nn_layout

__all__ = ["Explorer", "explore"]

#: Paths `explain` lists for a clicked node before it switches to the per-node (δ) form.
MAX_PATHS = 16
#: Nodes whose explanation the page holds (leaves first); each costs a pass over the graph.
EXPLAIN_NODES = 120
#: Time allowed to Graphviz's `dot` to lay the graph out, in seconds.
LAYOUT_TIMEOUT = 120.0

_CHAR = 7.0  # average width of a character of the page's 12 px sans-serif font, in points
_LINE = 15.0  # height of one line of text in a node's box
_PAD = 8.0
_OP_SIZE = 24.0  # diameter of an operation's circle


# -- numbers, written as the explanations write them -------------------------------------------


def _num(v: float) -> str:
    """A number in a chain-rule line: 6 significant digits and the minus sign of formulas (−),
    as `explain` prints them."""
    return formula.number_text(v, digits=6)


def _factor(v: float) -> str:
    """A number as a factor of a product: negative ones in parentheses."""
    return f"({_num(v)})" if v < 0 else _num(v)


def _box(v: float) -> str:
    """A number in a node's box: 4 significant digits, as the drawings show them."""
    return formula.number_text(v, digits=4)


def _sum(values: list[float]) -> str:
    text = _num(values[0])
    for v in values[1:]:
        text += f" − {_num(-v)}" if v < 0 else f" + {_num(v)}"
    return text


# -- the data the page's script reads ------------------------------------------------------------


@dataclass
class _Node:
    """One Value of the graph, as the page needs it."""

    name: str
    role: Role | str
    leaf: bool
    value: str  #: repr(data): what data-value holds once the forward pass has reached the node
    grad: str  #: repr of the gradient backward_steps gives: data-grad once the node is reached
    value_text: str
    grad_text: str
    forward: int  #: the step at which its value appears (0: given before the forward pass)
    backward: int  #: the step at which the sweep reaches it
    #: (step, text) each time a user sends it a contribution: its gradient so far
    partial_sums: list[tuple[int, str]]
    definition: str
    partials: list[str]  #: ∂node/∂input = formula = number, per Value input
    explanation: str  #: explain(root, node), as text


def _forward_line(node: Value, naming: Naming) -> str:
    """``net = n5 + b1 = 0.0275 + 0.35 = 0.3775``: the node's rule over its direct inputs."""
    rule = node.rule
    assert rule is not None
    by_name = [naming.name(x) if isinstance(x, Value) else _factor(x) for x in node.inputs]
    by_number = [_factor(x.data if isinstance(x, Value) else x) for x in node.inputs]
    # rule_text writes a user-defined operation as its own call, sigmoid(n1), not as a rule's
    symbolic = rule_text(node, by_name)
    numeric = rule_text(node, by_number)
    line = f"{naming.name(node)} = {symbolic} = {numeric} = {_num(node.data)}"
    full = naming.definition(node)
    if full != symbolic:
        line += f"\n(that is, {naming.name(node)} = {full})"
    return line


def _graph_data(
    root: Value, order: list[Value], max_paths: int, explain_nodes: int
) -> tuple[list[_Node], list[dict[str, Any]]]:
    """The nodes and the steps of the timeline, from the engine's sweep and explanations."""
    naming = Naming(order)
    index = {id(n): i for i, n in enumerate(order)}
    roles: list[Role] = (
        nn_layout(order).roles if looks_like_nn(order) else ["value"] * len(order)
    )
    top = naming.name(root)
    steps: list[dict[str, Any]] = []
    forward = [0] * len(order)
    for i, node in enumerate(order):
        if node.rule is not None:
            steps.append({"kind": "forward", "node": i, "touch": [i],
                          "text": _forward_line(node, naming)})
            forward[i] = len(steps)

    sweep = backward_steps(root)
    if len(sweep.rows) != len(order):  # the sweep visits every node once
        raise RuntimeError("explore: backward_steps did not visit every node of the graph once")
    backward = [0] * len(order)
    grads = [0.0] * len(order)
    partials: list[list[str]] = [[] for _ in order]
    # Each contribution a node receives: (step, user's name, partial formula, d, user's grad,
    # amount added, the node's gradient so far).
    received: list[list[tuple[int, str, str, float, float, float, float]]] = [[] for _ in order]
    for k, row in enumerate(sweep.rows):  # in the engine's sweep order
        node = order[row.index]
        i = row.index
        step = len(steps) + 1
        backward[i] = step
        grads[i] = row.grad
        inputs = [x for x in node.inputs if isinstance(x, Value)]
        touch = [i]
        for x, (name, text, d, added, so_far) in zip(inputs, row.sends, strict=True):
            j = index[id(x)]
            touch.append(j)
            received[j].append((step, row.node, text, d, row.grad, added, so_far))
            shown = f" = {text}" if text != _num(d) and text != repr(d) else ""
            partials[i].append(f"∂{row.node}/∂{name}{shown} = {_num(d)}")
        steps.append({"kind": "backward", "node": i, "touch": touch,
                      "text": _backward_text(top, row, received[i], k == 0)})

    # The leaves first (the parameters and inputs a reader asks about), then the root's side.
    chosen = sorted(range(len(order)), key=lambda i: (order[i].rule is not None, -i))
    explained = set(chosen[:explain_nodes])
    nodes: list[_Node] = []
    for i, node in enumerate(order):
        text = explain(root, node, max_paths=max_paths).text() if i in explained else ""
        nodes.append(_Node(
            name=naming.name(node),
            role=roles[i],
            leaf=node.rule is None,
            value=repr(node.data),
            grad=repr(grads[i]),
            value_text=_box(node.data),
            grad_text=_box(grads[i]),
            forward=forward[i],
            backward=backward[i],
            partial_sums=[
                (s, f"{_box(so_far)} ({n} of {len(received[i])})")
                for n, (s, *_, so_far) in enumerate(received[i], 1)
            ],
            definition=naming.definition(node) if node.rule is not None else "",
            partials=partials[i],
            explanation=text,
        ))
    return nodes, steps


def _backward_text(
    top: str,
    row: Any,
    received: list[tuple[int, str, str, float, float, float, float]],
    first: bool,
) -> str:
    """A backward step in explain's notation: the node's gradient, gathered from its users
    (upstream gradient × local partial = contribution, summed), then what it sends on."""
    me = row.node
    lines: list[str] = []
    if first:
        lines.append(f"∂{top}/∂{top} = 1: the sweep starts at the output")
    elif len(received) == 1:
        _, user, _, d, g, added, _ = received[0]
        lines.append(f"∂{top}/∂{me} = ∂{top}/∂{user} × ∂{user}/∂{me} = "
                     f"{_factor(g)} × {_factor(d)} = {_num(added)}")
    else:
        # One term per use: a*a uses a twice, so a gets two terms from one user.
        lines.append(f"∂{top}/∂{me} is the sum of {len(received)} terms, one per use of {me}:")
        for _, user, _, d, g, added, _ in received:
            lines.append(f"  ∂{top}/∂{user} × ∂{user}/∂{me} = {_factor(g)} × {_factor(d)} = "
                         f"{_num(added)}")
        lines.append(f"∂{top}/∂{me} = {_sum([r[5] for r in received])} = {_num(row.grad)}")
    if not row.sends:
        lines.append(f"{me} is a leaf: its gradient is complete, nothing to send on")
        return "\n".join(lines)
    lines.append(f"{me} sends to {'its input' if len(row.sends) == 1 else 'each input'}:")
    for name, text, d, added, so_far in row.sends:
        shown = f" = {text}" if text != _num(d) else ""
        lines.append(f"  ∂{me}/∂{name}{shown} = {_num(d)}")
        lines.append(f"  ∂{top}/∂{name} += {_factor(row.grad)} × {_factor(d)} = {_num(added)}"
                     f"  (so far {_num(so_far)})")
    return "\n".join(lines)


# -- layout ----------------------------------------------------------------------------------------


@dataclass
class _Shape:
    kind: str  # "value", "op" or "const"
    id: str
    width: float  # points
    height: float
    text: str = ""
    x: float = 0.0  # centre, points, y downwards
    y: float = 0.0


@dataclass
class _Edge:
    tail: str
    head: str
    classes: str
    attrs: dict[str, str]
    path: str = ""


def _shapes(order: list[Value], nodes: list[_Node], index: dict[int, int]
            ) -> tuple[list[_Shape], list[_Edge]]:
    shapes: list[_Shape] = []
    edges: list[_Edge] = []
    for i, (node, info) in enumerate(zip(order, nodes, strict=True)):
        rule = node.rule
        if rule is not None:
            for k, x in enumerate(node.inputs):
                if isinstance(x, Value):
                    j = index[id(x)]
                    edges.append(_Edge(f"v{j}", f"v{i}_op", "edge in",
                                       {"data-from": str(j), "data-to": str(i)}))
                else:
                    text = _box(x)
                    shapes.append(_Shape("const", f"v{i}_c{k}", len(text) * _CHAR + 4, _LINE,
                                         text))
                    edges.append(_Edge(f"v{i}_c{k}", f"v{i}_op", "edge constant", {}))
            # After its constants, so that every shape comes after its inputs.
            shapes.append(_Shape("op", f"v{i}_op", _OP_SIZE, _OP_SIZE, rule.symbol))
            edges.append(_Edge(f"v{i}_op", f"v{i}", "edge out", {"data-to": str(i)}))
        longest = max(len(info.name) + 1,
                      len("data ") + len(info.value_text),
                      len("grad ") + max([len(info.grad_text)]
                                         + [len(t) for _, t in info.partial_sums]))
        shapes.append(_Shape("value", f"v{i}", longest * _CHAR + 2 * _PAD, 3 * _LINE + _PAD))
    return shapes, edges


def _dot_layout(shapes: list[_Shape], edges: list[_Edge], rankdir: str) -> tuple[float, float]:
    """Positions from Graphviz's `dot` (-Tjson0): each shape's centre and each edge's spline.
    Returns the drawing's width and height, in points."""
    dot = shutil.which("dot")
    assert dot is not None
    lines = [f"digraph {{ rankdir={rankdir}; newrank=true; nodesep=0.15; ranksep=0.3;",
             "node [fixedsize=true label=\"\"];"]
    for s in shapes:
        shape = {"value": "box", "op": "circle", "const": "box"}[s.kind]
        lines.append(f'{s.id} [shape={shape} width={s.width / 72:.4f} height={s.height / 72:.4f}]')
    for k, e in enumerate(edges):
        lines.append(f"{e.tail} -> {e.head} [id=e{k}]")
    lines += _fan_in_rows(shapes, edges)
    lines.append("}")
    done = subprocess.run([dot, "-Tjson0"], input="\n".join(lines).encode(), capture_output=True,
                          timeout=LAYOUT_TIMEOUT, check=False)
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"explore: Graphviz's dot failed to lay out the graph: {message}")
    laid = json.loads(done.stdout)
    _, _, width, height = (float(v) for v in laid["bb"].split(","))
    by_name = {s.id: s for s in shapes}
    for obj in laid.get("objects", []):
        x, y = (float(v) for v in obj["pos"].split(","))
        placed = by_name[obj["name"]]
        placed.x, placed.y = x, height - y
    for laid_edge in laid.get("edges", []):  # not in the order given: matched by id
        if "id" not in laid_edge:
            continue  # an invisible edge of _fan_in_rows
        e = edges[int(laid_edge["id"][1:])]
        e.path = _spline(laid_edge["pos"], height)
    return width, height


def _fan_in_rows(shapes: list[_Shape], edges: list[_Edge], width: int = 8) -> list[str]:
    """Invisible edges that set a neuron's many weights out in rows of `width`.

    Left alone, dot puts every leaf one rank before its user, so the 16 × 16 weights of a
    layer stand in one column hundreds of boxes tall; chained in rows they make a block.
    Only leaves used by that one operation are moved."""
    has_input = {e.head for e in edges}
    uses: dict[str, int] = {}
    for e in edges:
        uses[e.tail] = uses.get(e.tail, 0) + 1
    leaves = {s.id for s in shapes if s.kind == "value" and s.id not in has_input}
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


def _simple_layout(shapes: list[_Shape], edges: list[_Edge]) -> tuple[float, float]:
    """A layered layout without Graphviz: columns by depth from the leaves, straight edges."""
    inputs: dict[str, list[str]] = {s.id: [] for s in shapes}
    for e in edges:
        inputs[e.head].append(e.tail)
    depth: dict[str, int] = {}
    for s in shapes:  # shapes come inputs first, so every input's depth is known
        depth[s.id] = 1 + max((depth[t] for t in inputs[s.id]), default=-1)
    columns: dict[int, list[_Shape]] = {}
    for s in shapes:
        columns.setdefault(depth[s.id], []).append(s)
    x = 0.0
    height = 0.0
    for d in sorted(columns):
        column = columns[d]
        wide = max(s.width for s in column)
        y = 0.0
        for s in column:
            s.x, s.y = x + wide / 2, y + s.height / 2
            y += s.height + 12
        height = max(height, y)
        x += wide + 40
    by_id = {s.id: s for s in shapes}
    for e in edges:
        a, b = by_id[e.tail], by_id[e.head]
        e.path = (f"M{a.x + a.width / 2:.1f},{a.y:.1f}L{b.x - b.width / 2:.1f},{b.y:.1f}")
    return x, height


def _svg(shapes: list[_Shape], edges: list[_Edge], nodes: list[_Node], width: float,
         height: float) -> str:
    """The graph as SVG: every value node a group carrying the page's data attributes."""
    esc = html.escape
    out = [f'<svg id="graph" viewBox="-10 -10 {width + 20:.1f} '
           f'{height + 20:.1f}" role="img" aria-label="computation graph">',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
           'markerHeight="8" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
           '<path d="M0,0L10,5L0,10z"/></marker>'
           "</defs>", '<g id="viewport">', '<g class="edges">']
    for e in edges:
        attrs = "".join(f' {k}="{esc(v)}"' for k, v in e.attrs.items())
        out.append(f'<path class="{e.classes}" d="{e.path}"{attrs} marker-end="url(#arrow)"/>')
    out.append('</g><g class="nodes">')
    for s in shapes:
        x0, y0 = s.x - s.width / 2, s.y - s.height / 2
        if s.kind == "op":
            out.append(f'<g class="op" id="{s.id}" data-of="{s.id[1:-3]}"><circle cx="{s.x:.1f}" '
                       f'cy="{s.y:.1f}" r="{s.width / 2:.1f}"/><text x="{s.x:.1f}" '
                       f'y="{s.y + 4:.1f}">{esc(s.text)}</text></g>')
        elif s.kind == "const":
            out.append(f'<text class="const" x="{s.x:.1f}" y="{s.y + 4:.1f}">{esc(s.text)}</text>')
        else:
            index = int(s.id[1:])
            n = nodes[index]
            left = x0 + _PAD
            tip = f"{n.name} = {n.definition}" if n.definition else f"{n.name} (a leaf)"
            out.append(
                f'<g class="value {esc(n.role)}{" leaf" if n.leaf else ""}" id="{s.id}" '
                f'data-index="{index}" data-name="{esc(n.name)}" data-value="" data-grad="" '
                f'tabindex="-1"><title>{esc(tip)}</title>'
                f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{s.width:.1f}" '
                f'height="{s.height:.1f}" rx="4"/>'
                f'<text class="name" x="{left:.1f}" y="{y0 + _LINE:.1f}">{esc(n.name)}</text>'
                f'<text class="data" x="{left:.1f}" y="{y0 + 2 * _LINE:.1f}"></text>'
                f'<text class="grad" x="{left:.1f}" y="{y0 + 3 * _LINE:.1f}"></text></g>'
            )
    out.append("</g></g></svg>")
    return "\n".join(out)


# -- the page --------------------------------------------------------------------------------------


def _asset(name: str) -> str:
    return resources.files("viz").joinpath("explorer").joinpath(name).read_text(encoding="utf-8")


def _script_json(data: Any) -> str:
    """JSON safe inside a <script> element: with no ``<`` at all, nothing in it can end the
    element early or change how the HTML parser reads it."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c")


class Explorer:
    """A computation graph's explorer page: ``.save(path)`` writes it, notebooks show it inline.

    `html` is the whole page. In a notebook, `_repr_html_` shows it inside an ``<iframe
    srcdoc=...>`` so that its script and styles stay apart from the notebook's own.
    """

    def __init__(self, html_text: str, title: str, steps: int, nodes: int) -> None:
        self.html = html_text
        self.title = title
        self.steps = steps
        self.nodes = nodes

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page to `path` (``.html`` added when it has no suffix); return the path."""
        target = Path(path)
        if not target.suffix:
            target = target.with_suffix(".html")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(self.html, encoding="utf-8")
        return target

    def _repr_html_(self) -> str:
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" '
            f'title="{html.escape(self.title)}"'
            ' style="width: 100%; height: 640px; border: 1px solid #ccc; border-radius: 4px"'
            ' sandbox="allow-scripts"></iframe>'
        )

    def __repr__(self) -> str:
        return f"<Explorer {self.title!r}: {self.nodes} nodes, {self.steps} steps>"


def explore(
    root: Value,
    *,
    title: str | None = None,
    rankdir: str = "LR",
    max_nodes: int | None = MAX_NODES,
    max_paths: int = MAX_PATHS,
    explain_nodes: int = EXPLAIN_NODES,
) -> Explorer:
    """The graph behind `root` as an `Explorer` page: step through forward and backward passes.

    `title` heads the page (``kuibu explorer: <root's name>`` by default); `rankdir` sets the
    layout's direction as in `draw_dot` (LR: inputs on the left). The gradients come from
    `backward_steps` (no node's ``.grad`` is changed). `max_paths` bounds the paths each
    node's explanation lists (past it, the per-node δ form); `explain_nodes` bounds how many
    nodes get an explanation at all (leaves first, then from the root down), since each takes a
    pass over the graph. Graphs of more than `max_nodes` Values are refused with
    `GraphTooLargeError`, as the drawings refuse them; without Graphviz's `dot` the page uses a
    simple layered layout and says so.
    """
    if not isinstance(root, Value):
        raise TypeError(f"explore: root must be a Value, not {type(root).__name__}: {root!r}")
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"explore: rankdir must be one of LR, RL, TB, BT, not {rankdir!r}")
    for name, number in (("max_paths", max_paths), ("explain_nodes", explain_nodes)):
        if isinstance(number, bool) or not isinstance(number, int) or number < 0:
            raise ValueError(f"explore: {name} must be an int >= 0, not {number!r}")
    order = topological_order(root)
    if max_nodes is not None and len(order) > max_nodes:
        raise GraphTooLargeError(
            f"explore: the graph behind {root!r} has {len(order):,} nodes, more than "
            f"max_nodes={max_nodes:,}; pass max_nodes={len(order)} (or None) to lay out every "
            f"node; Graphviz may take {'minutes' if len(order) > 20_000 else 'a while'} and the "
            "page will step slowly"
        )
    nodes, steps = _graph_data(root, order, max_paths, explain_nodes)
    index = {id(n): i for i, n in enumerate(order)}
    shapes, edges = _shapes(order, nodes, index)
    note = ""
    if shutil.which("dot") is not None:
        width, height = _dot_layout(shapes, edges, rankdir)
    else:
        width, height = _simple_layout(shapes, edges)
        note = ("Graphviz's dot was not found, so this page uses a simple layered layout; "
                "install Graphviz for a tidier one.")
    name = nodes[-1].name
    title = title if title is not None else f"kuibu explorer: {name}"
    data = {
        "title": title,
        "root": name,
        "note": note,
        "nodes": [
            {"name": n.name, "leaf": n.leaf, "value": n.value, "grad": n.grad,
             "valueText": n.value_text, "gradText": n.grad_text, "forward": n.forward,
             "backward": n.backward, "sums": n.partial_sums, "definition": n.definition,
             "partials": n.partials, "explanation": n.explanation}
            for n in nodes
        ],
        "steps": steps,
    }
    parts = {
        "title": html.escape(title),
        "style": _asset("explorer.css"),
        "graph": _svg(shapes, edges, nodes, width, height),
        "data": _script_json(data),
        "script": _asset("explorer.js"),
    }
    # One pass, so that nothing a label holds is read as a placeholder.
    page = re.sub(r"\{\{(\w+)\}\}", lambda m: parts[m.group(1)], _asset("page.html"))
    return Explorer(page, title, len(steps), len(order))
