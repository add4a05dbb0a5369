"""The full drawing of a graph: a box per Value, a node per operation, an edge per operand.

Every node is named by `autograd.Naming`, the namer explanations and exports use: a labelled
Value shows its label (bold), an unlabelled one kuibu's name for it (``n3``, in italics), so a
line of `explain` and a box of the drawing can be matched by name. An edge's local derivative is
written by `autograd.writing`, the writer `explain` uses, so both say ``2·(target_o1 − out_o1)``
for one edge. Where the order of an operation's inputs matters (−, ÷, ^, a neuron's Σ), each
input's edge ends in a cell of its own on the operation's node, marked ①, ② (or × for a
weight-input pair and + for the bias), never a name that could be read as a variable.

In a model (`viz.labels.roles`) every box carries its role's fill and border. In a network
(nn's labels) each neuron is a cluster inside its layer's, the layers stand in columns (each
layer's parameters share a rank, in order w0, w1, …, b, neuron by neuron), and inside a neuron a
name drops the path its cluster shows: ``w0``, ``net``; the full name is the tooltip.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from autograd import Naming, Rule, Value, grad, rule_text, writing
from viz.captions import caption_words
from viz.labels import NNLayout, Role, parameter_key, relative_name
from viz.parts import (
    LABEL_LIMIT,
    MARK,
    Fonts,
    constant_line,
    escape,
    format_number,
    natural_key,
    nest,
    op_line,
    position_mark,
    quote,
    text_width,
    value_line,
)

__all__ = ["Sizes", "Style", "caption_text", "full_body", "on_paths", "slots"]


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


@dataclass(frozen=True)
class Style:
    """What the full drawing shows and how: gradients, every edge's factor, digits, the flow
    (the direction the inputs' cells face) and the fonts."""

    show_grad: bool = True
    show_partials: bool = False
    digits: int = 4
    flow: str = "LR"
    fonts: Fonts = field(default_factory=Fonts)


@dataclass
class Body:
    """The DOT statements of the full drawing and what the caller needs to know about them."""

    lines: list[str]
    sizes: Sizes
    roles: set[Role]  #: the roles drawn, for the legend
    ported: bool  #: some operation has cells facing the flow (redraw when the flow changes)


#: The side of a node that inputs arrive at, for each direction of flow.
_SIDE = {"LR": "w", "RL": "e", "TB": "n", "BT": "s"}


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


def caption_text(
    root: Value,
    target_node: Value,
    order: Sequence[Value],
    index: dict[int, int],
    naming: Naming,
    digits: int,
    lang: str = "en",
) -> str:
    """The caption under `highlight`: ∂root/∂target and the number of paths."""
    target = index[id(target_node)]
    # paths[i]: how many paths lead from node i down to the target (a*a counts two).
    paths = [0] * len(order)
    paths[target] = 1
    for i in range(target + 1, len(order)):
        paths[i] = sum(paths[index[id(p)]] for p in order[i].parents)
    count = paths[-1]
    words = caption_words(lang)
    count_text = f"{count:,}" if count < 10**12 else words["about"].format(
        count=f"{float(count):.3g}")
    derivative = 1.0 if target_node is root else grad(root, target_node)
    top, bottom = naming.name(root), naming.name(target_node)
    value = format_number(derivative, digits)
    key = "one_path" if count == 1 else "paths"
    return words[key].format(top=top, bottom=bottom, value=value, count=count_text)


def _ordered(rule: Rule) -> bool:
    """Whether the order of the operation's inputs matters: not for one input, nor where
    swapping two inputs leaves the value alone (+, ×, checked at one point); a user's own
    operation (whose value kuibu cannot compute) is taken to care."""
    if rule.arity == 1:
        return False
    if rule.user or rule.arity == 0:
        return True
    try:
        return bool(rule.forward(0.75, -1.25) != rule.forward(-1.25, 0.75))
    except (TypeError, ValueError, ArithmeticError):
        return True


def slots(rule: Rule, n: int) -> tuple[list[str], list[int]]:
    """The cells an operation's node shows for its n inputs, and each input's cell: none where
    the order does not matter; a neuron's Σ (``linear``) one cell per weight-input pair (×)
    and one for the bias (+); else one per input, ①, ②, …

    >>> from autograd import RULES
    >>> slots(RULES["sub"], 2), slots(RULES["add"], 2)
    ((['①', '②'], [0, 1]), ([], [0, 0]))
    >>> slots(RULES["linear"], 5)
    (['×', '×', '+'], [0, 0, 1, 1, 2])
    """
    if rule.name == "linear" and not rule.user and n > 1:
        pairs = (n - 1) // 2
        return ["×"] * pairs + ["+"], [min(p // 2, pairs) for p in range(n)]
    if n < 2 or not _ordered(rule):
        return [], [0] * n
    return [position_mark(k) for k in range(n)], list(range(n))


def _number_name(x: float, digits: int) -> str:
    """A constant standing where a formula has a name: a negative one in parentheses."""
    text = format_number(x, digits)
    return f"({text})" if text.startswith("−") else text


def _definition(node: Value, naming: Naming, digits: int) -> str:
    """The node's equation in the namer's names, one step deep: ``n9 = w5·out_h1``."""
    assert node.rule is not None
    inputs = [naming.name(x) if isinstance(x, Value) else _number_name(x, digits)
              for x in node.inputs]
    return f"{naming.name(node)} = {rule_text(node, inputs)}"


def _edge_label(text: str, whole: str) -> str:
    """An edge label, shortened past LABEL_LIMIT; the whole text (with full names) is the
    tooltip of the edge and of its label wherever it says more than the label."""
    label = f"label=<{escape(text)}>"
    if whole != text or len(text) > LABEL_LIMIT:
        label += f" labeltooltip={quote(whole)} tooltip={quote(whole)}"
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


def _constant_role(node: Value, position: int, roles: list[Role] | None,
                   index: dict[int, int]) -> Role:
    """A number multiplied by a parameter (w·0.05, a neuron's Σ) is the model's input."""
    rule = node.rule
    if roles is None or rule is None or rule.user:
        return "value"
    inputs = node.inputs
    if rule.name == "mul":
        partner = inputs[1 - position]
    elif rule.name == "linear" and position % 2 == 1 and position < len(inputs) - 1:
        partner = inputs[position - 1]
    else:
        return "value"
    if isinstance(partner, Value) and roles[index[id(partner)]] == "parameter":
        return "input"
    return "value"


class _Builder:
    """Writes the statements of one full drawing; see `full_body`."""

    def __init__(self, order: Sequence[Value], index: dict[int, int], naming: Naming,
                 layout: NNLayout | None, roles: list[Role] | None, on_path: list[bool] | None,
                 target: int, style: Style) -> None:
        self.order, self.index, self.naming = order, index, naming
        self.layout, self.roles, self.on_path, self.target = layout, roles, on_path, target
        self.style = style
        self.clusters: dict[tuple[str, ...], list[str]] = {(): []}
        self.edges: list[str] = []
        self.sizes = Sizes()
        self.shown: set[Role] = set()
        self.ported = False
        self.labelled: list[tuple[int, float]] = []
        self.ranks = _ranks(order, index)
        self.whole = writing.PartialWriter(naming)
        self.writers: dict[tuple[str, ...], writing.PartialWriter] = {}

    def writer(self, where: tuple[str, ...]) -> writing.PartialWriter:
        """The writer of edge factors inside group `where`: names relative to the group."""
        if not where:
            return self.whole
        found = self.writers.get(where)
        if found is None:
            found = self.writers[where] = writing.PartialWriter(
                self.naming, rename=lambda n: relative_name(n.label, where))
        return found

    def group(self, i: int) -> tuple[str, ...]:
        return self.layout.groups[i] if self.layout is not None else ()

    def build(self) -> Body:
        for i, node in enumerate(self.order):
            lines = self.clusters.setdefault(self.group(i), [])
            if node.rule is not None:
                self.operation(i, node, node.rule, lines)
            self.value(i, node, lines)
        if self.labelled:  # dot gives every edge label a rank of its own between two ranks
            for rank, width in self.labelled:
                self.sizes.add(rank, width, 14)
        else:
            self.sizes.ranks = [r // 2 for r in self.sizes.ranks]
        fontsize = self.style.fonts.small + 1
        lines = nest(self.clusters, fontsize=fontsize) + self.layers() + self.edges
        return Body(lines, self.sizes, self.shown, self.ported)

    def operation(self, i: int, node: Value, rule: Rule, lines: list[str]) -> None:
        style, fonts = self.style, self.style.fonts
        marked = self.on_path is not None and self.on_path[i]
        # The target's own operation lies behind it, so off every path down to it.
        op_marked = marked and i != self.target
        inputs = node.inputs
        cells, cell_of = slots(rule, len(inputs))
        self.ported |= bool(cells)
        # Hovering over an operation (in SVG) shows its equation, as explanations write it.
        lines.append(op_line(
            f"v{i}_op", rule.symbol, cells, style.flow, marked=op_marked,
            tooltip=_definition(node, self.naming, style.digits), size=fonts.small,
        ))
        rank = 2 * self.ranks[i] - 2
        across = max(len(cells), 1) * fonts.small if cells else 0.0
        self.sizes.add(rank, text_width(rule.symbol, fonts.node) + 14 + across, 20)
        mark_edge = f'color="{MARK}" penwidth=2.5 class="highlight"'
        where = self.group(i)
        for position, x in enumerate(inputs):
            # Each input enters its cell from the side the flow comes from.
            port = f":i{cell_of[position]}:{_SIDE[style.flow]}" if cells else ""
            if not isinstance(x, Value):
                role = _constant_role(node, position, self.roles, self.index)
                if role != "value":
                    self.shown.add(role)
                shown = format_number(x, style.digits)
                lines.append(constant_line(f"v{i}_c{position}", shown, role, fonts.small))
                self.sizes.add(2 * self.ranks[i] - 4, text_width(shown, fonts.small), 12)
                self.edges.append(f"v{i}_c{position} -> v{i}_op{port}")
                continue
            j = self.index[id(x)]
            on_edge = op_marked and self.on_path is not None and self.on_path[j]
            attrs = []
            if on_edge or style.show_partials:
                text = self.writer(where).line(node, position, digits=style.digits)
                whole = text if not where else self.whole.line(node, position,
                                                               digits=style.digits)
                attrs.append(_edge_label(text, whole))
                self.labelled.append((self.ranks[i] * 2 - 3, text_width(text, fonts.small)))
            if on_edge:
                attrs.append(mark_edge)
            tail = f"v{j}"
            if self.crosses(j, i):
                # An edge entering a layer from the layer before passes a junction point in
                # the neuron's cluster, in the column of the layer's parameters: dot then needs
                # no bend points outside the cluster there, which would push the layer up or
                # down, and the layers stand side by side as columns.
                hub = f"v{i}_h{position}"
                color = f' color="{MARK}"' if on_edge else ""
                lines.append(f'{hub} [shape=point width=0.02 height=0.02{color} label="" '
                             'class="junction"]')
                self.edges.append(f"{tail} -> {hub} [arrowhead=none"
                                  + (f" {mark_edge}]" if on_edge else "]"))
                tail = hub
            self.edges.append(f"{tail} -> v{i}_op{port}"
                              + (f" [{' '.join(attrs)}]" if attrs else ""))
        self.edges.append(f"v{i}_op -> v{i}" + (f" [{mark_edge}]" if op_marked else ""))

    def crosses(self, j: int, i: int) -> bool:
        """Whether the edge from node j into node i's operation enters a neuron of another
        layer from a computed node (a leaf finds its own place)."""
        if self.layout is None or self.order[j].is_leaf or not self.layout.groups[i]:
            return False
        return self.layout.groups[j][:1] != self.layout.groups[i][:1]

    def value(self, i: int, node: Value, lines: list[str]) -> None:
        style = self.style
        role: Role = self.roles[i] if self.roles is not None else "value"
        self.shown.add(role)
        marked = self.on_path is not None and self.on_path[i]
        name = _shown_name(node, self.naming, self.layout, i)
        full = self.naming.name(node)
        tooltip = full if (name != full or len(full) > LABEL_LIMIT) else ""
        lines.append(value_line(
            f"v{i}", name, node.data, node.grad, role, marked=marked, show_grad=style.show_grad,
            digits=style.digits, given=bool(node.label), tooltip=tooltip,
        ))
        shown_text = (min(len(name), LABEL_LIMIT) + 6 + style.digits + 3) + (
            (6 + style.digits + 3) if style.show_grad else 0)
        self.sizes.add(2 * self.ranks[i], text_width("x" * shown_text, style.fonts.node) + 18,
                       style.fonts.node * 2)

    def layers(self) -> list[str]:
        """Each layer's parameters in one rank, in order (neuron by neuron; w0, w1, …, b), held
        there by invisible edges between neighbours: the layer reads as one column."""
        layout = self.layout
        if layout is None:
            return []
        by_layer: dict[tuple[str, ...], list[int]] = {}
        for i, node in enumerate(self.order):
            if layout.roles[i] == "parameter" and layout.groups[i] and node.is_leaf:
                by_layer.setdefault(layout.groups[i][:1], []).append(i)
        out: list[str] = []
        for _, members in sorted(by_layer.items(), key=lambda item: natural_key(item[0][0])):
            members.sort(key=lambda i: (
                tuple(natural_key(part) for part in layout.groups[i]),
                parameter_key(self.order[i].label),
            ))
            if len(members) < 2:
                continue
            out.append("{rank=same; " + "; ".join(f"v{i}" for i in members) + "}")
            out += [f"v{a} -> v{b} [style=invis]" for a, b in itertools.pairwise(members)]
        return out


def full_body(
    order: Sequence[Value],
    index: dict[int, int],
    naming: Naming,
    layout: NNLayout | None,
    roles: list[Role] | None,
    on_path: list[bool] | None,
    target: int,
    style: Style,
) -> Body:
    """The DOT statements (nodes inside their clusters, each layer's column, then edges, all in
    topological order) and the rough sizes of what they draw."""
    return _Builder(order, index, naming, layout, roles, on_path, target, style).build()


def _shown_name(node: Value, naming: Naming, layout: NNLayout | None, i: int) -> str:
    """The name in a node's box. Inside a cluster a label drops the cluster's path (``w0`` in
    the box of ``layer1.neuron2``), which the cluster's title shows."""
    name = naming.name(node)
    group = layout.groups[i] if layout is not None and node.label else ()
    if group:
        name = name[len(".".join(group)) + 1:]
    return name
