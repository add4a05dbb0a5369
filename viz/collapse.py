"""The collapsed view `draw_dot` falls back to for large graphs: one box per neuron, with counts.

A training batch records each neuron's work once per sample; the collapsed view draws each neuron
(``layer1.neuron2``, from nn's labels) as one box saying how many nodes it holds and listing its
parameters, inputs and the remaining operations as one box each, and the root as itself. The
boxes of a layer stand in one column in the order of their names (``neuron2`` before
``neuron10``). Where every box of one side feeds every box of the other (a dense layer), one
arrow between the two stands for all those edges; otherwise an arrow joins two boxes, labelled
with the number of edges it stands for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from autograd import Naming, Value
from viz.captions import caption_words
from viz.labels import NNLayout, parameter_key
from viz.parts import (
    FILL,
    FONT,
    cluster_id,
    digraph,
    escape,
    format_number,
    natural_key,
    nest,
    value_line,
)

if TYPE_CHECKING:  # drawing needs the package, importing viz does not (see parts.graphviz)
    import graphviz  # type: ignore[import-untyped]

__all__ = ["draw_collapsed"]

#: How many of a neuron's parameters its box lists before saying how many more there are.
_LISTED_PARAMETERS = 6

_Key = tuple[str, ...]


def _key(i: int, node: Value, layout: NNLayout, last: int) -> _Key:
    """The box node i is drawn in: ('group', *path), ('root',), ('leaves', role) or ('other',)."""
    if layout.groups[i]:
        return ("group", *layout.groups[i])
    if i == last:
        return ("root",)
    if node.is_leaf:
        return ("leaves", layout.roles[i])
    return ("other",)


def _box_order(key: _Key) -> tuple[int, tuple[tuple[tuple[int, int, str], ...], ...]]:
    """Boxes in reading order: inputs and parameters, neurons by layer and number, the rest."""
    rank = {"leaves": 0, "group": 1, "other": 2, "root": 3}[key[0]]
    return rank, tuple(natural_key(part) for part in key[1:])


def draw_collapsed(
    root: Value,
    order: Sequence[Value],
    layout: NNLayout,
    *,
    rankdir: str | None = None,
    note: str,
    dpi: int | None = None,
    lang: str = "en",
) -> graphviz.Digraph:
    """The collapsed drawing of the graph behind `root` (`order` its topological order).

    `rankdir` None: left to right, since a layer's neurons stand in a column and a network is
    shallower than it is wide. `lang` chooses the words of the boxes and arrows.
    """
    words = caption_words(lang)
    last = len(order) - 1
    index = {id(node): i for i, node in enumerate(order)}
    keys = [_key(i, node, layout, last) for i, node in enumerate(order)]
    members: dict[_Key, list[int]] = {}
    for i, key in enumerate(keys):
        members.setdefault(key, []).append(i)
    box_ids = {key: b for b, key in enumerate(sorted(members, key=_box_order))}
    links: dict[tuple[int, int], int] = {}
    for i, node in enumerate(order):
        b = box_ids[keys[i]]
        for parent in node.parents:
            a = box_ids[keys[index[id(parent)]]]
            if a != b:
                links[(a, b)] = links.get((a, b), 0) + 1

    # Each box's cluster: a neuron sits in its layer's; others stand alone (their own side).
    where: dict[int, tuple[str, ...]] = {}
    cluster_lines: dict[tuple[str, ...], list[str]] = {(): []}
    # The namer writes every node's formula: only worth it when the root has no label.
    root_name = root.label or Naming(list(order)).name(root)
    for key, b in sorted(box_ids.items(), key=lambda item: item[1]):
        if key == ("root",):
            cluster_lines[()].append(value_line(
                f"b{b}", root_name, root.data, root.grad, layout.roles[last],
                given=bool(root.label),
            ))
            where[b] = ()
            continue
        inside = key[1:-1] if key[0] == "group" else ()
        where[b] = inside
        cluster_lines.setdefault(inside, []).append(
            _box_line(b, key, members[key], order, layout, words)
        )
    # Boxes of one layer share a rank, so each layer is one column even where one arrow
    # stands for all of its edges.
    for path, lines in cluster_lines.items():
        boxes = [f"b{b}" for b, inside in where.items() if path and inside == path]
        if len(boxes) > 1:
            lines.append(f"{{rank=same; {'; '.join(boxes)}}}")
    return digraph(
        nest(cluster_lines) + _edges(links, where, words),
        {"rankdir": rankdir or "LR", "compound": "true", "label": f"<{escape(note)}>",
         "labelloc": "t", "fontname": FONT},
        dpi=dpi,
    )


def _edges(links: dict[tuple[int, int], int], where: dict[int, tuple[str, ...]],
           words: dict[str, str]) -> list[str]:
    """One arrow per pair of sides (a layer, or a box outside every layer) whose boxes are all
    joined each to each; one arrow per pair of boxes otherwise."""
    sides: dict[tuple[str, ...] | int, list[int]] = {}
    for b, inside in where.items():
        sides.setdefault(inside or b, []).append(b)

    def side(b: int) -> tuple[str, ...] | int:
        return where[b] or b

    between: dict[tuple[tuple[str, ...] | int, tuple[str, ...] | int], list[tuple[int, int]]] = {}
    for a, b in links:
        between.setdefault((side(a), side(b)), []).append((a, b))
    out = []
    for (sa, sb), pairs in between.items():
        tails, heads = sides[sa], sides[sb]
        counts = [links[p] for p in pairs]
        if len(pairs) > 1 and len(pairs) == len(tails) * len(heads):
            a, b = tails[len(tails) // 2], heads[len(heads) // 2]
            each = (words["each"].format(count=f"{counts[0]:,}") if len(set(counts)) == 1
                    else words["edges"].format(count=f"{sum(counts):,}"))
            text = words["all_to_all"].format(tails=len(tails), heads=len(heads), each=each)
            ends = ""
            if isinstance(sa, tuple):
                ends += f" ltail={cluster_id(sa)}"
            if isinstance(sb, tuple):
                ends += f" lhead={cluster_id(sb)}"
            out.append(f"b{a} -> b{b} [label=<{escape(text)}>{ends}]")
            continue
        for (a, b), count in zip(pairs, counts, strict=True):
            out.append(f"b{a} -> b{b}" + (f" [label=<×{count:,}>]" if count > 1 else ""))
    return out


def _box_line(b: int, key: _Key, members: list[int], order: Sequence[Value],
              layout: NNLayout, words: dict[str, str]) -> str:
    """One box: its name, how many nodes it stands for, and a neuron's parameters."""
    count = len(members)
    nodes = words["nodes"].format(count=f"{count:,}", s="s" if count != 1 else "")
    fill = "white"
    if key[0] == "group":
        title = ".".join(key[1:])
        parameters = sorted(
            (i for i in members if layout.roles[i] == "parameter"),
            key=lambda i: parameter_key(order[i].label),
        )
        operations = sum(1 for i in members if not order[i].is_leaf)
        lines = [words["neuron_box"].format(nodes=nodes, parameters=len(parameters),
                                            operations=f"{operations:,}")]
        for i in parameters[:_LISTED_PARAMETERS]:
            p = order[i]
            name = p.label.rsplit(".", 1)[-1]
            lines.append(f"{name} = {format_number(p.data)}  grad {format_number(p.grad)}")
        if len(parameters) > _LISTED_PARAMETERS:
            lines.append(words["more"].format(count=len(parameters) - _LISTED_PARAMETERS))
    elif key[0] == "leaves":
        role = key[1]
        title = {"parameter": words["parameters"], "input": words["inputs"]}.get(
            role, words.get(role, role))
        fill = FILL.get(role, FILL["input"])  # type: ignore[call-overload]
        lines = [nodes]
    else:
        title = words["other"]
        fill = "#eeeeee"
        lines = [words["outside"].format(nodes=nodes)]
    label = f"<B>{escape(title)}</B><BR/>" + "<BR/>".join(escape(line) for line in lines)
    return (
        f'b{b} [label=<{label}> shape=box style="rounded,filled" fillcolor="{fill}" '
        f'class="box"]'
    )
