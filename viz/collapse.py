"""The collapsed view `draw_dot` falls back to for large graphs: one box per neuron, with counts.

A training batch records each neuron's work once per sample; the collapsed view draws each neuron
(``layer1.neuron2``, from nn's labels) as one box saying how many nodes it holds and listing its
parameters, inputs and the remaining operations as one box each, and the root as itself. An edge
between two boxes stands for all the edges between their nodes, with their count.
"""

from __future__ import annotations

from collections.abc import Sequence

import graphviz  # type: ignore[import-untyped]

from autograd import Value
from viz.dot import _FILL, _digraph, _nest, _value_line, escape, format_number
from viz.labels import NNLayout

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


def draw_collapsed(
    root: Value, order: Sequence[Value], layout: NNLayout, *, rankdir: str, note: str
) -> graphviz.Digraph:
    """The collapsed drawing of the graph behind `root` (`order` its topological order)."""
    last = len(order) - 1
    index = {id(node): i for i, node in enumerate(order)}
    keys = [_key(i, node, layout, last) for i, node in enumerate(order)]
    box_ids: dict[_Key, int] = {}
    members: dict[_Key, list[int]] = {}
    for i, key in enumerate(keys):
        if key not in box_ids:
            box_ids[key] = len(box_ids)
            members[key] = []
        members[key].append(i)
    links: dict[tuple[int, int], int] = {}
    for i, node in enumerate(order):
        b = box_ids[keys[i]]
        for parent in node.parents:
            a = box_ids[keys[index[id(parent)]]]
            if a != b:
                links[(a, b)] = links.get((a, b), 0) + 1

    cluster_lines: dict[tuple[str, ...], list[str]] = {(): []}
    for key, b in box_ids.items():
        if key == ("root",):
            cluster_lines[()].append(
                _value_line(f"b{b}", root, layout.roles[last], False, True, 4)
            )
            continue
        where = key[1:-1] if key[0] == "group" else ()
        cluster_lines.setdefault(where, []).append(_box_line(b, key, members[key], order, layout))
    edges = [
        f"b{a} -> b{b}" + (f" [label=<×{count:,}>]" if count > 1 else "")
        for (a, b), count in links.items()
    ]
    return _digraph(
        _nest(cluster_lines) + edges,
        {"rankdir": rankdir, "label": f"<{escape(note)}>", "labelloc": "t",
         "fontname": "Helvetica"},
    )


def _natural(label: str) -> tuple[bool, str, int]:
    """A sort key putting w2 before w10: the last part's letters, then its number."""
    last = label.rsplit(".", 1)[-1]
    letters = last.rstrip("0123456789")
    digits = last[len(letters):]
    return (letters == "b", letters, int(digits) if digits else -1)


def _box_line(b: int, key: _Key, members: list[int], order: Sequence[Value],
              layout: NNLayout) -> str:
    """One box: its name, how many nodes it stands for, and a neuron's parameters."""
    count = len(members)
    nodes = f"{count:,} node{'s' if count != 1 else ''}"
    fill = "white"
    if key[0] == "group":
        title = ".".join(key[1:])
        parameters = sorted(
            (i for i in members if layout.roles[i] == "parameter"),
            key=lambda i: _natural(order[i].label),
        )
        operations = sum(1 for i in members if not order[i].is_leaf)
        lines = [f"{nodes}: {len(parameters)} parameters, {operations:,} operations"]
        for i in parameters[:_LISTED_PARAMETERS]:
            p = order[i]
            name = p.label.rsplit(".", 1)[-1]
            lines.append(f"{name} = {format_number(p.data)}  grad {format_number(p.grad)}")
        if len(parameters) > _LISTED_PARAMETERS:
            lines.append(f"… and {len(parameters) - _LISTED_PARAMETERS} more")
    elif key[0] == "leaves":
        role = key[1]
        title = {"parameter": "parameters", "input": "inputs"}.get(role, role)
        fill = _FILL["parameter"] if role == "parameter" else _FILL["input"]
        lines = [nodes]
    else:
        title = "other operations"
        fill = "#eeeeee"
        lines = [f"{nodes} outside every neuron"]
    label = f"<B>{escape(title)}</B><BR/>" + "<BR/>".join(escape(line) for line in lines)
    return (
        f'b{b} [label=<{label}> shape=box style="rounded,filled" fillcolor="{fill}" '
        f'class="box"]'
    )
