"""`draw_dot`: a computation graph as a `graphviz.Digraph`: a box per Value, an oval per operation.

The DOT text is written line by line here (not through `Digraph.node` calls) so that building it
stays linear and quick for graphs of 100,000 nodes; `graphviz` only holds and renders it. Every
label is an HTML-like label escaped with `html.escape`, so quotes, braces, ``|``, ``<``, ``>`` and
backslashes in a user's label are drawn as written. Node ids come from the topological order
(``v0``, ``v1``, ...; ``v3_op`` is the operation that made ``v3``), so the same graph always gives
the same DOT text.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Sequence
from typing import Literal

import graphviz  # type: ignore[import-untyped]

from autograd import Rule, Value, formula, grad, topological_order
from viz.labels import NNLayout, Role, looks_like_nn, nn_layout

__all__ = ["MAX_NODES", "GraphTooLargeError", "draw_dot", "format_number"]

#: Above this many Values, `draw_dot` collapses the graph (or refuses). Measured with Graphviz
#: 2.43 on one core: dot lays out ~1,000 Values (an MLP(2, [16, 16, 1]) on one sample) in about
#: 0.5 s, 2,500 in about 2 s and 5,000 in about 4 s; time grows faster than linearly beyond.
MAX_NODES = 2000

_RANKDIRS = ("LR", "RL", "TB", "BT")
_FILL: dict[Role, str] = {
    "parameter": "#cfe2f3",  # blue: what training changes
    "input": "#d9ead3",  # green: what the data gives
    "loss": "#f9cb9c",  # orange: what training lowers
    "value": "white",
}
_MARK = "#c0392b"  # the colour of a highlighted path
_SHAPES = {
    "op": 'shape=ellipse style=filled fillcolor="#eeeeee" margin="0.03,0.01" width=0 height=0',
    "constant": 'shape=plaintext fontsize=10 fontcolor="#555555" width=0 height=0',
}


class GraphTooLargeError(ValueError):
    """The graph has more nodes than `max_nodes` and no collapsed view could be drawn."""


def format_number(x: float, digits: int = 4) -> str:
    """A number as a drawing shows it: `digits` significant digits.

    >>> format_number(0.3268416), format_number(-2.0), format_number(12345.678), format_number(1e-7)
    ('0.3268', '-2', '1.235e+04', '1e-07')
    """
    return format(x, f".{digits}g")


def escape(text: str) -> str:
    """Text for an HTML-like Graphviz label: entities for ``& < > " '``, control characters
    written as Python escapes (an XML parser would reject them), line breaks as ``<BR/>``.

    >>> escape('a<b> & "c" {|} \\\\')
    'a&lt;b&gt; &amp; &quot;c&quot; {|} \\\\'
    """
    if not text.isprintable():
        text = "".join(
            c if c.isprintable() or c == "\n" else repr(c)[1:-1] for c in text
        )
    return html.escape(text, quote=True).replace("\n", "<BR/>")


def draw_dot(
    root: Value,
    *,
    rankdir: str = "LR",
    show_grad: bool = True,
    highlight: Value | None = None,
    show_partials: bool = False,
    group: bool | None = None,
    digits: int = 4,
    max_nodes: int | None = MAX_NODES,
    too_large: Literal["collapse", "error"] = "collapse",
) -> graphviz.Digraph:
    """The graph behind `root` as a `graphviz.Digraph` (Jupyter shows it inline).

    Each Value is a box (label, data, grad); each operation an oval with its symbol from the rule
    table, with edges input → operation → output in operand order; a number used as an operand
    (the 2 of ``x * 2``) is a small grey node.

    - `highlight`: a Value behind root (say, one weight). Every path from root to it is drawn in
      red, each of its edges labelled with the local derivative (formula and value), and the
      caption gives ∂root/∂highlight: the sum over the paths of the products of those factors.
    - `show_partials`: label every edge with its local derivative.
    - `group`: style parameters, inputs and the loss and draw each neuron (and layer) in a box,
      reading nn's labels (``layer1.neuron2.w0``). None: when the labels look like nn's.
    - `max_nodes`: above this many Values, draw one box per neuron with counts instead (when nn
      labels allow) or raise `GraphTooLargeError` (always, with ``too_large="error"``).
      None draws any size; Graphviz may then take minutes.

    >>> from autograd import Value
    >>> a = Value(2.0, label="a")
    >>> y = a * a + 1
    >>> y.backward()
    >>> print(draw_dot(y, show_grad=False).source)  # doctest: +ELLIPSIS
    digraph {
    ...
        v0 [label=<...<B>a</B>...data 2...> class="value"]
        v1_op [label=<×> ...]
        v1 [label=<...data 4...> class="value"]
        v2_op [label=<+> ...]
        v2_c1 [label=<1> ...]
        v2 [label=<...data 5...> class="value"]
        v0 -> v1_op
        v0 -> v1_op
        v1_op -> v1
        v1 -> v2_op
        v2_c1 -> v2_op
        v2_op -> v2
    }
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot: root must be a Value, not {type(root).__name__}: {root!r}")
    if rankdir not in _RANKDIRS:
        raise ValueError(
            f"draw_dot: rankdir must be one of {', '.join(_RANKDIRS)}, not {rankdir!r}"
        )
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 17:
        raise ValueError(f"draw_dot: digits must be an int from 1 to 17, not {digits!r}")
    if too_large not in ("collapse", "error"):
        raise ValueError(f"draw_dot: too_large must be 'collapse' or 'error', not {too_large!r}")
    if max_nodes is not None and (isinstance(max_nodes, bool) or not isinstance(max_nodes, int)
                                  or max_nodes < 1):
        raise ValueError(f"draw_dot: max_nodes must be a positive int or None, not {max_nodes!r}")
    if highlight is not None and not isinstance(highlight, Value):
        raise TypeError(
            f"draw_dot: highlight must be a Value, not {type(highlight).__name__}: {highlight!r}"
        )

    order = topological_order(root)
    index = {id(node): i for i, node in enumerate(order)}
    target = -1
    if highlight is not None:
        target = index.get(id(highlight), -1)
        if target < 0:
            raise ValueError(
                f"draw_dot: highlight={highlight!r} is not in the graph behind root {root!r}"
            )
    grouped = looks_like_nn(order) if group is None else bool(group)
    layout = nn_layout(order) if grouped else None

    if max_nodes is not None and len(order) > max_nodes:
        from viz.collapse import draw_collapsed  # only large graphs need it

        how = (
            f"pass max_nodes={len(order)} (or None) to draw every node; Graphviz may take "
            f"{'minutes' if len(order) > 20_000 else 'a while'}"
        )
        if too_large == "collapse" and layout is not None and any(layout.groups):
            return draw_collapsed(root, order, layout, rankdir=rankdir, note=(
                f"Collapsed view: the graph has {len(order):,} nodes, more than "
                f"max_nodes={max_nodes:,}; {how}."
            ))
        reason = "" if too_large == "error" else (
            "; no collapsed view either, since no labels name neurons or layers "
            "(nn's layer1.neuron2.w0)"
        )
        raise GraphTooLargeError(
            f"draw_dot: the graph behind {root!r} has {len(order):,} nodes, more than "
            f"max_nodes={max_nodes:,}{reason}; {how}."
        )

    on_path = _on_paths(order, index, target) if target >= 0 else None
    body = _full_body(order, index, layout, on_path, target, show_grad, show_partials, digits)
    graph_attr = {"rankdir": rankdir}
    if highlight is not None and on_path is not None:
        graph_attr.update(_caption(root, highlight, order, index, target, digits))
    return _digraph(body, graph_attr)


def _digraph(body: list[str], graph_attr: dict[str, str]) -> graphviz.Digraph:
    # newrank ranks all nodes together rather than cluster by cluster: with neuron clusters it
    # makes dot about ten times faster (measured 5.4 s -> 0.4 s on a 1,000-node MLP).
    return graphviz.Digraph(
        format="svg",
        graph_attr={"newrank": "true", **graph_attr},
        node_attr={"shape": "plain", "fontname": "Helvetica", "fontsize": "12"},
        edge_attr={"fontname": "Helvetica", "fontsize": "10"},
        body=[f"\t{line}\n" for line in body],
    )


def _on_paths(order: Sequence[Value], index: dict[int, int], target: int) -> list[bool]:
    """For each node, whether it lies on a path from the root down to the target.

    Every node reaches back from the root, so a node is on such a path exactly when the target
    is behind it: itself, or behind one of its inputs. Inputs come first in `order`.
    """
    reaches = [False] * len(order)
    reaches[target] = True
    for i in range(target + 1, len(order)):
        reaches[i] = any(reaches[index[id(p)]] for p in order[i].parents)
    return reaches


def _caption(
    root: Value,
    target_node: Value,
    order: Sequence[Value],
    index: dict[int, int],
    target: int,
    digits: int,
) -> dict[str, str]:
    """The graph's title under `highlight`: ∂root/∂target and the number of paths."""
    # paths[i]: how many paths lead from node i down to the target (a*a counts two).
    paths = [0] * len(order)
    paths[target] = 1
    for i in range(target + 1, len(order)):
        paths[i] = sum(paths[index[id(p)]] for p in order[i].parents)
    count = paths[-1]
    count_text = f"{count:,}" if count < 10**12 else f"about {float(count):.3g}"
    derivative = 1.0 if target_node is root else grad(root, target_node)
    top = root.label or "root"
    bottom = target_node.label or f"v{target}"
    value = format_number(derivative, digits)
    if count == 1:
        text = f"∂{top}/∂{bottom} = {value}: the product of the local derivatives on the red path"
    else:
        text = (
            f"∂{top}/∂{bottom} = {value}: the sum over the {count_text} red paths of the "
            "product of the local derivatives along each"
        )
    return {"label": f"<{escape(text)}>", "labelloc": "t", "fontname": "Helvetica"}


def _names_shown(rule: Rule, cache: dict[str, bool]) -> bool:
    """Whether the edges into this operation carry its operands' names: not for one input, nor
    where swapping the two inputs leaves the value alone (+, ×, checked at one point)."""
    known = cache.get(rule.name)
    if known is None:
        if rule.arity == 1:
            known = False
        elif rule.arity == 2:
            known = rule.forward(0.75, -1.25) != rule.forward(-1.25, 0.75)
        else:  # any number of inputs (a neuron's Σ w·x + b): name them all
            known = True
        cache[rule.name] = known
    return known


def _formulas(rule: Rule, n: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The names of a node's n inputs and the formula of each partial: x, y for most rules."""
    names, _, partial_texts = rule.formulas(n)
    return tuple(names), tuple(partial_texts)


def _short_name(node: Value, digits: int, limit: int = 24) -> str:
    """How an edge label names a node: its label; else its formula one step deep, in
    parentheses (``(w·x)``), its inputs by label or number; else ``…``."""
    if node.label:
        return node.label
    rule = node.rule
    if rule is None:
        return format_number(node.data, digits)
    names, text, _ = rule.formulas(len(node.inputs))
    inner = {
        name: (x.label or "…") if isinstance(x, Value) else format_number(x, digits)
        for name, x in zip(names, node.inputs, strict=True)
    }
    written = formula.render(text, "unicode", inner)
    return f"({written})" if len(written) <= limit else "…"


def _partial_text(
    node: Value, position: int, names: Sequence[str], formula_text: str, value: float,
    digits: int,
) -> str:
    """An edge's local derivative in the graph's own names, as a derivation writes it:
    ``∂out_o1/∂net_o1 = out_o1·(1 − out_o1) = 0.1868``; the rule's x, y (and out) stand where
    a node has no label."""
    inputs = node.inputs
    rename = {"out": _short_name(node, digits)}
    for name, x in zip(names, inputs, strict=True):
        rename[name] = _short_name(x, digits) if isinstance(x, Value) else format_number(x, digits)
    top = node.label
    bottom = rename[names[position]]
    shown = format_number(value, digits)
    written = formula.render(formula_text, "unicode", rename)
    try:
        float(written.replace("−", "-"))
    except ValueError:
        return f"∂{top}/∂{bottom} = {written} = {shown}"
    return f"∂{top}/∂{bottom} = {shown}"


def _value_line(
    node_id: str,
    node: Value,
    role: Role,
    marked: bool,
    show_grad: bool,
    digits: int,
    group: tuple[str, ...] = (),
) -> str:
    """A Value's box: label, data, grad. Inside a cluster the label drops the cluster's path
    (``w0`` in the box of ``layer1.neuron2``), which the cluster's title shows."""
    cells = []
    name = node.label
    if group:
        name = name[len(".".join(group)) + 1:]
    if name:
        cells.append(f"<TD><B>{escape(name)}</B></TD>")
    cells.append(f"<TD>data {format_number(node.data, digits)}</TD>")
    if show_grad:
        cells.append(f"<TD>grad {format_number(node.grad, digits)}</TD>")
    border = f' CELLBORDER="2" COLOR="{_MARK}"' if marked else ' CELLBORDER="1"'
    table = (
        f'<TABLE BORDER="0"{border} CELLSPACING="0" CELLPADDING="4" BGCOLOR="{_FILL[role]}">'
        f"<TR>{''.join(cells)}</TR></TABLE>"
    )
    classes = "value" if role == "value" else f"value {role}"
    if marked:
        classes += " highlight"
    return f'{node_id} [label=<{table}> class="{classes}"]'


def _full_body(
    order: Sequence[Value],
    index: dict[int, int],
    layout: NNLayout | None,
    on_path: list[bool] | None,
    target: int,
    show_grad: bool,
    show_partials: bool,
    digits: int,
) -> list[str]:
    """The DOT statements: nodes (inside their clusters), then edges, all in topological order."""
    cluster_lines: dict[tuple[str, ...], list[str]] = {(): []}
    edges: list[str] = []
    names_cache: dict[str, bool] = {}
    mark_edge = f'color="{_MARK}" penwidth=2 class="highlight"'
    for i, node in enumerate(order):
        role: Role = layout.roles[i] if layout is not None else "value"
        where = layout.groups[i] if layout is not None else ()
        lines = cluster_lines.get(where)
        if lines is None:
            lines = cluster_lines[where] = []
        marked = on_path is not None and on_path[i]
        rule = node.rule
        if rule is not None:
            # The target's own operation lies behind it, so off every path down to it.
            op_marked = marked and i != target
            op_class = "op highlight" if op_marked else "op"
            op_color = f' color="{_MARK}" penwidth=2' if op_marked else ""
            lines.append(
                f'v{i}_op [label=<{escape(rule.symbol)}> {_SHAPES["op"]}{op_color} '
                f'class="{op_class}"]'
            )
            partials = node.partials
            k = 0  # position in partials, which skip the constant inputs
            inputs = node.inputs
            names, partial_texts = _formulas(rule, len(inputs))
            named = _names_shown(rule, names_cache)
            for position, x in enumerate(inputs):
                if isinstance(x, Value):
                    j = index[id(x)]
                    partial = partials[k]
                    k += 1
                    on_edge = op_marked and on_path is not None and on_path[j]
                    attrs = []
                    if on_edge or show_partials:
                        text = _partial_text(
                            node, position, names, partial_texts[position], partial, digits
                        )
                        attrs.append(f"label=<{escape(text)}>")
                    elif named:
                        attrs.append(f"label=<{escape(names[position])}>")
                    if on_edge:
                        attrs.append(mark_edge)
                    edges.append(f"v{j} -> v{i}_op" + (f" [{' '.join(attrs)}]" if attrs else ""))
                else:
                    lines.append(
                        f"v{i}_c{position} [label=<{escape(format_number(x, digits))}> "
                        f'{_SHAPES["constant"]} class="constant"]'
                    )
                    label = ""
                    if named:
                        label = f" [label=<{escape(names[position])}>]"
                    edges.append(f"v{i}_c{position} -> v{i}_op{label}")
            edges.append(f"v{i}_op -> v{i}" + (f" [{mark_edge}]" if op_marked else ""))
        lines.append(
            _value_line(f"v{i}", node, role, marked, show_grad, digits, where if node.label else ())
        )
    return _nest(cluster_lines) + edges


def _nest(cluster_lines: dict[tuple[str, ...], list[str]]) -> list[str]:
    """Node statements grouped into nested ``subgraph cluster_k`` blocks by group path."""
    children: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for path in cluster_lines:
        for depth in range(1, len(path) + 1):
            prefix, parent = path[:depth], path[: depth - 1]
            siblings = children.setdefault(parent, [])
            if prefix not in siblings:
                siblings.append(prefix)
    out: list[str] = []
    counter = Counter[str]()

    def emit(path: tuple[str, ...], indent: str) -> None:
        for line in cluster_lines.get(path, ()):
            out.append(indent + line)
        for child in children.get(path, ()):
            counter["cluster"] += 1
            out.append(f"{indent}subgraph cluster_{counter['cluster']} {{")
            out.append(
                f'{indent}\tlabel=<{escape(child[-1])}> style="rounded,dashed" color="#888888" '
                'fontname="Helvetica" fontsize=11'
            )
            emit(child, indent + "\t")
            out.append(indent + "}")

    emit((), "")
    return out
