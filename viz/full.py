"""The full drawing of a graph: a box per Value, an oval per operation, an edge per operand.

Every node is named by `autograd.Naming`, the namer explanations and exports use: a labelled
Value shows its label (bold), an unlabelled one kuibu's name for it (``n3``, in italics), so a
line of `explain` and a box of the drawing can be matched by name. An edge's local derivative is
written in those names too: ``∂n3/∂w = x = 1.5``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from autograd import Naming, Rule, Value, formula, grad, rule_text
from viz.labels import NNLayout, Role
from viz.parts import (
    FONT,
    LABEL_LIMIT,
    MARK,
    SHAPES,
    escape,
    format_number,
    nest,
    quote,
    text_width,
    value_line,
)

__all__ = ["Sizes", "caption", "full_body", "on_paths"]

# A formula that is a number already, as format_number writes one (perhaps in parentheses).
_NUMBER = re.compile(r"\(?−?(?:[\d.]+(?:e[+−]\d+)?|∞|NaN)\)?")


@dataclass
class Sizes:
    """Each drawn node's rank along the flow and its rough size in points (for the layout)."""

    ranks: list[int] = field(default_factory=list)
    widths: list[float] = field(default_factory=list)
    heights: list[float] = field(default_factory=list)

    def add(self, rank: int, width: float, height: float) -> None:
        self.ranks.append(rank)
        self.widths.append(width)
        self.heights.append(height)


def on_paths(order: Sequence[Value], index: dict[int, int], target: int) -> list[bool]:
    """For each node, whether it lies on a path from the root down to the target.

    Every node reaches back from the root, so a node is on such a path exactly when the target
    is behind it: itself, or behind one of its inputs. Inputs come first in `order`.
    """
    reaches = [False] * len(order)
    reaches[target] = True
    for i in range(target + 1, len(order)):
        reaches[i] = any(reaches[index[id(p)]] for p in order[i].parents)
    return reaches


def caption(
    root: Value,
    target_node: Value,
    order: Sequence[Value],
    index: dict[int, int],
    naming: Naming,
    digits: int,
) -> dict[str, str]:
    """The graph's title under `highlight`: ∂root/∂target and the number of paths."""
    target = index[id(target_node)]
    # paths[i]: how many paths lead from node i down to the target (a*a counts two).
    paths = [0] * len(order)
    paths[target] = 1
    for i in range(target + 1, len(order)):
        paths[i] = sum(paths[index[id(p)]] for p in order[i].parents)
    count = paths[-1]
    count_text = f"{count:,}" if count < 10**12 else f"about {float(count):.3g}"
    derivative = 1.0 if target_node is root else grad(root, target_node)
    top, bottom = naming.name(root), naming.name(target_node)
    value = format_number(derivative, digits)
    if count == 1:
        text = f"∂{top}/∂{bottom} = {value}: the product of the local derivatives on the red path"
    else:
        text = (
            f"∂{top}/∂{bottom} = {value}: the sum over the {count_text} red paths of the "
            "product of the local derivatives along each"
        )
    return {"label": f"<{escape(text)}>", "labelloc": "t", "fontname": FONT}


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


def _number_name(x: float, digits: int) -> str:
    """A constant standing where a formula has a name: a negative one in parentheses."""
    text = format_number(x, digits)
    return f"({text})" if text.startswith("−") else text


def _partial_text(
    node: Value, position: int, names: Sequence[str], formula_text: str, value: float,
    naming: Naming, digits: int,
) -> str:
    """An edge's local derivative in the graph's own names, as a derivation writes it:
    ``∂out_o1/∂net_o1 = out_o1·(1 − out_o1) = 0.1868``; the rule's x, y and out become the
    names the namer gives the node's inputs and the node itself."""
    rename = {"out": naming.name(node)}
    for name, x in zip(names, node.inputs, strict=True):
        rename[name] = naming.name(x) if isinstance(x, Value) else _number_name(x, digits)
    top = rename["out"]
    bottom = rename[names[position]]
    shown = format_number(value, digits)
    written = _render(formula_text, rename)
    if _NUMBER.fullmatch(written):
        return f"∂{top}/∂{bottom} = {shown}"  # a number already: no "= 1 = 1"
    return f"∂{top}/∂{bottom} = {written} = {shown}"


_PARSED: dict[str, formula.Formula] = {}


def _render(text: str, names: dict[str, str]) -> str:
    """A rule's formula text written over `names`; each text is parsed once per process (the
    rule table holds a few dozen), so drawing stays linear in the graph."""
    parsed = _PARSED.get(text)
    if parsed is None:
        parsed = _PARSED[text] = formula.parse(text)
    return formula.render(parsed, "unicode", names)


def _definition(node: Value, naming: Naming, digits: int) -> str:
    """The node's equation in the namer's names, one step deep: ``n9 = w5·out_h1``."""
    assert node.rule is not None
    inputs = [naming.name(x) if isinstance(x, Value) else _number_name(x, digits)
              for x in node.inputs]
    return f"{naming.name(node)} = {rule_text(node, inputs)}"


def _edge_label(text: str, attribute: str = "label") -> str:
    """An edge label, shortened past LABEL_LIMIT with the whole text as the edge's tooltip."""
    label = f"{attribute}=<{escape(text)}>"
    if len(text) > LABEL_LIMIT:
        label += f" labeltooltip={quote(text)}"
    return label


def _ranks(order: Sequence[Value], index: dict[int, int]) -> list[int]:
    """Each Value's rank in a layered drawing, counted in (operation, value) steps: an operation
    one past its furthest input, a leaf just before its first user, as dot tends to place it."""
    rank = [0] * len(order)
    for i, node in enumerate(order):
        if not node.is_leaf:
            rank[i] = 2 + max((rank[index[id(p)]] for p in node.parents), default=0)
    first_use = [len(order) * 2] * len(order)
    for i, node in enumerate(order):
        for p in node.parents:
            j = index[id(p)]
            first_use[j] = min(first_use[j], rank[i] - 2)
    for i, node in enumerate(order):
        if node.is_leaf and first_use[i] < len(order) * 2:
            rank[i] = max(rank[i], first_use[i])
    return rank


def full_body(
    order: Sequence[Value],
    index: dict[int, int],
    naming: Naming,
    layout: NNLayout | None,
    on_path: list[bool] | None,
    target: int,
    show_grad: bool,
    show_partials: bool,
    digits: int,
) -> tuple[list[str], Sizes]:
    """The DOT statements (nodes inside their clusters, then edges, all in topological order)
    and the rough sizes of what they draw."""
    cluster_lines: dict[tuple[str, ...], list[str]] = {(): []}
    edges: list[str] = []
    names_cache: dict[str, bool] = {}
    mark_edge = f'color="{MARK}" penwidth=2 class="highlight"'
    ranks = _ranks(order, index)
    sizes = Sizes()
    labelled_edges: list[tuple[int, float]] = []
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
            op_color = f' color="{MARK}" penwidth=2' if op_marked else ""
            # Hovering over an operation (in SVG) shows its equation, as explanations write it.
            lines.append(
                f'v{i}_op [label=<{escape(rule.symbol)}> {SHAPES["op"]}{op_color} '
                f'tooltip={quote(_definition(node, naming, digits))} class="{op_class}"]'
            )
            sizes.add(2 * ranks[i] - 2, text_width(rule.symbol) + 14, 20)
            partials = node.partials
            k = 0  # position in partials, which skip the constant inputs
            inputs = node.inputs
            names, _, partial_texts = rule.formulas(len(inputs))
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
                            node, position, names, partial_texts[position], partial, naming,
                            digits,
                        )
                        attrs.append(_edge_label(text))
                        labelled_edges.append((ranks[i] * 2 - 3, text_width(text, 10)))
                    elif named and _shown_name(x, naming, layout, j) != names[position] and (
                        layout is None or rule.arity != 0
                    ):
                        # An operand's name goes beside the edge (xlabel), which takes no room
                        # in the layout. None is needed where a w3 box feeds slot w3, nor for a
                        # neuron's inputs in a network, whose labels already pair w_k with the
                        # k-th neuron before (dozens of x_k there would only blur the picture).
                        attrs.append(f"xlabel=<{escape(names[position])}>")
                    if on_edge:
                        attrs.append(mark_edge)
                    edges.append(f"v{j} -> v{i}_op" + (f" [{' '.join(attrs)}]" if attrs else ""))
                else:
                    shown = format_number(x, digits)
                    lines.append(
                        f"v{i}_c{position} [label=<{escape(shown)}> "
                        f'{SHAPES["constant"]} class="constant"]'
                    )
                    sizes.add(2 * ranks[i] - 4, text_width(shown, 10), 12)
                    label = ""
                    if named:
                        label = f" [xlabel=<{escape(names[position])}>]"
                    edges.append(f"v{i}_c{position} -> v{i}_op{label}")
            edges.append(f"v{i}_op -> v{i}" + (f" [{mark_edge}]" if op_marked else ""))
        name = _shown_name(node, naming, layout, i)
        lines.append(value_line(
            f"v{i}", name, node.data, node.grad, role, marked=marked, show_grad=show_grad,
            digits=digits, given=bool(node.label),
            tooltip=node.label if len(node.label) > LABEL_LIMIT else "",
        ))
        shown_text = (min(len(name), LABEL_LIMIT) + 6 + digits + 3) + (
            (6 + digits + 3) if show_grad else 0)
        sizes.add(2 * ranks[i], text_width("x" * shown_text) + 18, 23)
    if labelled_edges:  # dot gives every edge label a rank of its own between two ranks
        for rank, width in labelled_edges:
            sizes.add(rank, width, 14)
    else:
        sizes.ranks = [r // 2 for r in sizes.ranks]
    return nest(cluster_lines) + edges, sizes


def _shown_name(node: Value, naming: Naming, layout: NNLayout | None, i: int) -> str:
    """The name in a node's box. Inside a cluster a label drops the cluster's path (``w0`` in
    the box of ``layer1.neuron2``), which the cluster's title shows."""
    name = naming.name(node)
    group = layout.groups[i] if layout is not None and node.label else ()
    if group:
        name = name[len(".".join(group)) + 1:]
    return name
