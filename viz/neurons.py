"""The neuron view: one box per neuron, one arrow per weight, as a network is drawn on a slide.

`find_neurons` reads a graph's neurons from its labels and its structure: a neuron is a labelled
weighted sum (nn's ``layer1.neuron2.net``, or ``net_h1`` as in the worked example) of inputs
times parameters plus a bias, built as one ``linear`` node or from unlabelled ``+`` and ``×``,
and its output (``layer1.neuron2.out``, ``out_h1``). `draw_neurons` draws each neuron as one box
listing its weights (each weight's arrow from its input ends at its row), its bias, its net input
and its output with their data and grad; the network's inputs stand in a column on the left,
the loss (everything after the last neurons, written as one formula) on the right.

>>> from autograd import Value, topological_order
>>> w, b = Value(0.5, label="w1"), Value(0.1, label="b1")
>>> net = w * Value(2.0, label="i1") + b
>>> net.label = "net_h1"
>>> out = net.sigmoid()
>>> out.label = "out_h1"
>>> [(n.name, [p.label for p, _ in n.inputs], n.bias.label) for n in find_neurons(
...     topological_order(out))]
[('h1', ['w1'], 'b1')]
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from autograd import Naming, Value, formula
from viz.captions import caption_words
from viz.labels import Role, group_of, relative_name, role_of
from viz.parts import (
    FILL,
    FONT,
    MARK,
    Fonts,
    caption_label,
    cluster_id,
    digraph,
    escape,
    format_number,
    frame,
    natural_key,
    quote,
)

if TYPE_CHECKING:  # drawing needs the package, importing viz does not (see parts.graphviz)
    import graphviz  # type: ignore[import-untyped]

__all__ = ["Neuron", "draw_neurons", "find_neurons"]

#: The longest formula the loss's box shows; a batch's loss is summarised instead.
FORMULA_LIMIT = 160


@dataclass
class Neuron:
    """One neuron of a graph: its weighted inputs (parameter, source), its bias, its net input
    and its output (the same node for a neuron without an activation)."""

    name: str  #: ``layer1.neuron2`` (nn) or ``h1`` (``net_h1``)
    group: tuple[str, ...]  #: nn's group path, () otherwise
    net: Value
    out: Value
    inputs: list[tuple[Value, Value | float]] = field(default_factory=list)
    bias: Value | None = None
    inside: set[int] = field(default_factory=set)  #: ids of the nodes the neuron's box stands for


def _is_parameter(node: Value) -> bool:
    return node.is_leaf and role_of(node) == "parameter"


def _terms(net: Value) -> tuple[list[tuple[Value, Value | float]], Value | None, set[int]] | None:
    """A net input's weighted inputs, bias and the unlabelled nodes of its sum; None when it is
    not Σ parameter·input + bias."""
    rule = net.rule
    if rule is None:
        return None
    inputs: list[tuple[Value, Value | float]] = []
    bias: Value | None = None
    inside = {id(net)}
    if rule.name == "linear" and not rule.user:
        xs = net.inputs
        for k in range(0, len(xs) - 1, 2):
            pair = xs[k], xs[k + 1]
            if isinstance(pair[0], Value) and _is_parameter(pair[0]):
                inputs.append((pair[0], pair[1]))
            elif isinstance(pair[1], Value) and _is_parameter(pair[1]):
                inputs.append((pair[1], pair[0]))
            else:
                return None
        last = xs[-1]
        if isinstance(last, Value) and _is_parameter(last):
            bias = last
        elif not (isinstance(last, float) and last == 0.0):
            return None
        return inputs, bias, inside
    # A sum of products built with + and ×: walk the unlabelled additions down from the net.
    stack: list[Value] = [net]
    while stack:
        node = stack.pop()
        r = node.rule
        if r is not None and r.name == "add" and (node is net or not node.label):
            inside.add(id(node))
            stack.extend(reversed([x for x in node.inputs if isinstance(x, Value)]))
            if any(not isinstance(x, Value) for x in node.inputs):
                return None
            continue
        if r is not None and r.name == "mul" and not node.label:
            a, b = node.inputs
            if isinstance(a, Value) and _is_parameter(a):
                inputs.append((a, b))
            elif isinstance(b, Value) and _is_parameter(b):
                inputs.append((b, a))
            else:
                return None
            inside.add(id(node))
            continue
        if _is_parameter(node) and bias is None:
            bias = node
            continue
        return None
    return (inputs, bias, inside) if inputs else None


def _neuron_names(node: Value) -> tuple[str, str, tuple[str, ...]] | None:
    """(neuron name, the out label, group) when `node` is labelled as a neuron's net input."""
    label = node.label
    if label.startswith("net_") and len(label) > 4:
        name = label[4:]
        return name, "out_" + name, ()
    if label.startswith("net") and label[3:].isdigit():  # the article's net2, out2
        return label[3:], "out" + label[3:], ()
    last = label.rsplit(".", 1)[-1]
    group = group_of(label)
    if last == "net" and (group or label == "net"):
        prefix = ".".join(group)
        return prefix or "neuron", (prefix + ".out") if prefix else "out", group
    if last == "out" and node.rule is not None and node.rule.name in ("linear", "add"):
        prefix = ".".join(group)
        return prefix or "neuron", label, group
    return None


def find_neurons(order: Sequence[Value]) -> list[Neuron]:
    """The neurons of the graph (`order`: topological), in order; empty when there are none.

    A neuron whose output is drawn also holds the operation from its net input to it (its
    activation). A batch (one neuron's nodes once per sample) gives one Neuron per sample.
    """
    users: dict[int, list[Value]] = {}
    for node in order:
        for p in node.parents:
            users.setdefault(id(p), []).append(node)
    found: list[Neuron] = []
    for node in order:
        if not node.label:
            continue
        names = _neuron_names(node)
        if names is None:
            continue
        terms = _terms(node)
        if terms is None:
            continue
        name, out_label, group = names
        out = node
        for user in users.get(id(node), []):
            if user.label == out_label and user.rule is not None and len(user.parents) == 1:
                out = user
        inputs, bias, inside = terms
        inside.add(id(out))
        found.append(Neuron(name, group, node, out, inputs, bias, inside))
    return found


def _expression(root: Value, stop: dict[int, str], naming: Naming, limit: int) -> str | None:
    """The root's formula over the names in `stop` (neuron outputs, leaves), every node between
    written inline; None when it grows past `limit` characters."""
    algebra = formula.text_algebra("unicode")
    texts: dict[int, tuple[str, int]] = {}
    pending = [root]
    while pending:
        node = pending[-1]
        if id(node) in texts:
            pending.pop()
            continue
        if id(node) in stop or node.rule is None or node.rule.user:
            pending.pop()
            texts[id(node)] = formula.name_text(stop.get(id(node), naming.name(node)))
            continue
        missing = [x for x in node.parents if id(x) not in texts]
        if missing:
            pending.extend(missing)
            continue
        pending.pop()
        names, text, _ = node.rule.formulas(len(node.inputs))
        variables = {
            n: texts[id(x)] if isinstance(x, Value) else algebra["const"](x)
            for n, x in zip(names, node.inputs, strict=True)
        }
        written: tuple[str, int] = formula.evaluate(text, variables, algebra)
        if len(written[0]) > limit:
            return None
        texts[id(node)] = written
    return texts[id(root)][0]


@dataclass
class _Source:
    """A box feeding neurons that is not a neuron: a leaf, a number, or a computed value."""

    name: str
    data: float | None
    grad: float | None
    role: Role
    values: set[float] = field(default_factory=set)  #: a number's values over a batch


class _View:
    """Builds the neuron view's statements; see `draw_neurons`."""

    def __init__(self, root: Value, order: Sequence[Value], neurons: list[Neuron],
                 highlight: Value | None, on_path: list[bool] | None, digits: int,
                 fonts: Fonts) -> None:
        self.root, self.order, self.highlight, self.digits, self.fonts = (
            root, order, highlight, digits, fonts)
        self.naming = Naming(list(order))
        self.index = {id(n): i for i, n in enumerate(order)}
        self.marked = on_path if on_path is not None else [False] * len(order)
        self.by_name: dict[str, list[Neuron]] = {}
        for n in neurons:
            self.by_name.setdefault(n.name, []).append(n)
        self.names = sorted(self.by_name, key=natural_key)
        self.ids = {name: f"n{k}" for k, name in enumerate(self.names)}
        self.out_of = {id(n.out): n.name for n in neurons}
        self.inside: set[int] = set()
        for n in neurons:
            self.inside |= n.inside
        self.sources: dict[object, _Source] = {}
        self.source_ids: dict[object, str] = {}
        #: (source, neuron, weight row) -> whether the arrow lies on a marked path
        self.links: dict[tuple[object, str, int], bool] = {}
        self.depth: dict[str, int] = {}
        self.rows: dict[str, list[Value]] = {}

    def num(self, v: float) -> str:
        return format_number(v, self.digits)

    def on(self, node: Value) -> bool:
        return self.marked[self.index[id(node)]]

    def source(self, source: Value | float, k: int) -> object:
        """The key of what feeds a weight: ("neuron", name) or a source box's key."""
        if isinstance(source, Value):
            if id(source) in self.out_of:
                return ("neuron", self.out_of[id(source)])
            key: object = ("value", id(source))
            if key not in self.sources:
                role: Role = role_of(source) if source.is_leaf else "value"
                if role in ("parameter", "loss"):
                    role = "input"
                self.sources[key] = _Source(self.naming.name(source), source.data,
                                            source.grad, role)
        else:
            key = ("number", k)
            if key not in self.sources:
                self.sources[key] = _Source(f"x{k}", source, None, "input")
            self.sources[key].values.add(source)
        self.source_ids.setdefault(key, f"s{len(self.source_ids)}")
        return key

    def connect(self) -> None:
        """Each weight's arrow from its input, and each neuron's depth (its column)."""
        for name in self.names:
            copies = self.by_name[name]
            rows = self.rows[name] = [w for w, _ in copies[0].inputs]
            depth = 1
            for copy in copies:
                for k, (w, source) in enumerate(copy.inputs):
                    key = self.source(source, k)
                    if isinstance(key, tuple) and key[0] == "neuron":
                        depth = max(depth, self.depth.get(str(key[1]), 1) + 1)
                    row = rows.index(w) if w in rows else k
                    on = self.on(copy.net) and (self.on(w) or (
                        isinstance(source, Value) and self.on(source)))
                    link = (key, name, row)
                    self.links[link] = self.links.get(link, False) or on
            self.depth[name] = depth

    def after(self) -> tuple[dict[object, bool], dict[int, str]]:
        """What feeds the root's box (outputs, leaves such as targets) and their names."""
        feeds: dict[object, bool] = {}
        stop: dict[int, str] = {}
        for node in self.order:
            if id(node) in self.inside or node.rule is None:
                continue
            for p in node.parents:
                if id(p) in self.out_of:
                    key: object = ("neuron", self.out_of[id(p)])
                elif p.is_leaf:
                    key = self.source(p, -1)
                else:
                    continue
                stop[id(p)] = self.naming.name(p)
                feeds[key] = feeds.get(key, False) or (self.on(p) and self.marked[-1])
        return feeds, stop

    def tail(self, key: object) -> str:
        if isinstance(key, tuple) and key[0] == "neuron":
            return f"{self.ids[str(key[1])]}:out:e"
        return self.source_ids[key]

    def source_line(self, key: object) -> str:
        box = self.sources[key]
        cells = [f"<B>{escape(box.name)}</B>"]
        if len(box.values) > 1:
            cells.append(escape(f"{len(box.values)} values"))
        elif box.data is not None:
            cells.append(f"data {self.num(box.data)}")
        if box.grad is not None:
            cells.append(f"grad {self.num(box.grad)}")
        table = (f'<TABLE {frame(box.role, False)} CELLBORDER="0" COLUMNS="*" CELLSPACING="0" '
                 f'CELLPADDING="3" BGCOLOR="{FILL[box.role]}"><TR>'
                 + "".join(f"<TD>{c}</TD>" for c in cells) + "</TR></TABLE>")
        return f'{self.source_ids[key]} [label=<{table}> class="value {box.role}"]'

    def parameter_row(self, p: Value, group: tuple[str, ...], port: str) -> str:
        small = f'<FONT POINT-SIZE="{self.fonts.small:g}">'
        name = relative_name(p.label, group) if group else p.label
        fill = f' BGCOLOR="{FILL["parameter"]}"'
        first = f' PORT="{port}"' if port else ""
        if self.highlight is p:
            first += f' BORDER="2" COLOR="{MARK}"'
        return (f'<TR><TD ALIGN="LEFT"{first}{fill}>{small}<B>{escape(name)}</B></FONT></TD>'
                f'<TD ALIGN="LEFT"{fill}>{small}{self.num(p.data)}</FONT></TD>'
                f'<TD ALIGN="LEFT"{fill}>{small}grad {self.num(p.grad)}</FONT></TD></TR>')

    def neuron_line(self, name: str) -> str:
        copies = self.by_name[name]
        first = copies[0]
        layer = first.group[:1] if len(first.group) > 1 else ()
        shown = ".".join(first.group[1:]) if layer else name
        title = f"<B>{escape(shown)}</B>"
        if first.out is not first.net and first.out.rule is not None:
            title += f"  {escape(first.out.rule.symbol)}"
        rows = [f'<TR><TD ALIGN="LEFT" COLSPAN="3">{title}</TD></TR>']
        rows += [self.parameter_row(w, first.group, f"w{k}")
                 for k, w in enumerate(self.rows[name])]
        if first.bias is not None:
            rows.append(self.parameter_row(first.bias, first.group, ""))
        stages = [first.net] if first.out is first.net else [first.net, first.out]
        for k, node in enumerate(stages):
            label = relative_name(node.label, first.group) if first.group else node.label
            port = ' PORT="out"' if k == len(stages) - 1 else ""
            if len(copies) > 1:
                rows.append(f'<TR><TD ALIGN="LEFT"><B>{escape(label)}</B></TD>'
                            f'<TD ALIGN="LEFT" COLSPAN="2"{port}>'
                            f"{escape(f'{len(copies)} samples')}</TD></TR>")
            else:
                rows.append(f'<TR><TD ALIGN="LEFT"><B>{escape(label)}</B></TD>'
                            f'<TD ALIGN="LEFT">data {self.num(node.data)}</TD>'
                            f'<TD ALIGN="LEFT"{port}>grad {self.num(node.grad)}</TD></TR>')
        on = any(self.on(c.out) for c in copies)
        border = f'BORDER="2" COLOR="{MARK}"' if on else 'BORDER="1"'
        table = (f'<TABLE {border} STYLE="rounded" CELLBORDER="0" CELLSPACING="0" '
                 'CELLPADDING="3" BGCOLOR="white">' + "".join(rows) + "</TABLE>")
        classes = "neuron highlight" if on else "neuron"
        return f'{self.ids[name]} [label=<{table}> tooltip={quote(name)} class="{classes}"]'

    def root_line(self, stop: dict[int, str]) -> str:
        root = self.root
        name = self.naming.name(root)
        expression = _expression(root, stop, self.naming, FORMULA_LIMIT)
        role = role_of(root) if root.label else "value"
        if role == "value":
            role = "loss"
        rows = [f"<TR><TD><B>{escape(name)}</B></TD><TD>data {self.num(root.data)}</TD>"
                f"<TD>grad {self.num(root.grad)}</TD></TR>"]
        if expression is not None:
            rows.append(f'<TR><TD COLSPAN="3"><FONT POINT-SIZE="{self.fonts.small:g}">'
                        f"{escape(name)} = {escape(expression)}</FONT></TD></TR>")
        table = (f'<TABLE {frame(role, self.marked[-1])} CELLBORDER="0" CELLSPACING="0" '
                 f'CELLPADDING="3" BGCOLOR="{FILL[role]}">' + "".join(rows) + "</TABLE>")
        return f'root [label=<{table}> class="value {role}"]'

    def body(self) -> tuple[list[str], set[Role]]:
        self.connect()
        root_box = id(self.root) not in self.inside
        feeds, stop = self.after() if root_box else ({}, {})
        lines = [self.source_line(key) for key in self.source_ids]
        clusters: dict[tuple[str, ...], list[str]] = {}
        for name in self.names:
            group = self.by_name[name][0].group
            layer = group[:1] if len(group) > 1 else ()
            clusters.setdefault(layer, []).append(self.neuron_line(name))
        for layer in sorted(clusters, key=lambda path: tuple(natural_key(x) for x in path)):
            if not layer:
                lines += clusters[layer]
                continue
            lines.append(f"subgraph {cluster_id(layer)} {{")
            lines.append(f'\tlabel=<{escape(layer[0])}> style="rounded,dashed" '
                         f'color="#888888" fontname="{FONT}" '
                         f"fontsize={self.fonts.small + 1:g}")
            lines += ["\t" + line for line in clusters[layer]]
            lines.append("}")
        # Columns: the inputs, then the neurons by depth (layer by layer), in name order.
        columns: dict[int, list[str]] = {0: list(self.source_ids.values())}
        for name in self.names:
            columns.setdefault(self.depth[name], []).append(self.ids[name])
        for ids in columns.values():
            if len(ids) > 1:
                lines.append("{rank=same; " + "; ".join(ids) + "}")
                lines += [f"{a} -> {b} [style=invis]" for a, b in itertools.pairwise(ids)]
        if root_box:
            lines.append(self.root_line(stop))
        mark = f'color="{MARK}" penwidth=2.5 class="highlight"'
        for (key, name, row), on in self.links.items():
            lines.append(f"{self.tail(key)} -> {self.ids[name]}:w{row}:w"
                         + (f" [{mark}]" if on else ""))
        for key, on in feeds.items():
            lines.append(f"{self.tail(key)} -> root" + (f" [{mark}]" if on else ""))
        roles: set[Role] = {"parameter", *(b.role for b in self.sources.values())}
        if root_box:
            roles.add("loss")
        return lines, roles


def draw_neurons(
    root: Value,
    order: Sequence[Value],
    neurons: list[Neuron],
    *,
    highlight: Value | None = None,
    on_path: list[bool] | None = None,
    caption: str = "",
    note: str = "",
    digits: int = 4,
    lang: str = "en",
    dpi: int | None = None,
    fonts: Fonts | None = None,
    rankdir: str | None = None,
) -> graphviz.Digraph:
    """The neuron view of the graph behind `root` (`order`: its topological order; `neurons`:
    from `find_neurons`, not empty). `caption` and `note` head the drawing (the note defaults
    to a sentence saying what the view shows, in `lang`); under a `highlight` (with `on_path`,
    each node's place on a path from the root to it) the boxes and arrows on those paths are
    marked."""
    fonts = fonts or Fonts()
    words = caption_words(lang)
    view = _View(root, order, neurons, highlight, on_path, digits, fonts)
    lines, roles = view.body()
    marked = None
    if highlight is not None:
        marked = (view.naming.name(root), view.naming.name(highlight))
    label = caption_label([caption, note or words["neuron_view"]], sorted(roles), marked, lang)
    attrs = {"rankdir": rankdir or "LR", "label": label, "labelloc": "t", "fontname": FONT,
             "nodesep": "0.15", "ranksep": "0.5"}
    return digraph(lines, attrs, dpi=dpi, fonts=fonts)
