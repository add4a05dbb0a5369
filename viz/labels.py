"""Reading nn's labels: which nodes are parameters, inputs or the loss, and which neuron owns each.

nn names its Values by 0-based index paths: ``layer1.neuron2.w0`` and ``layer1.neuron2.b`` for
parameters, ``layer1.neuron2.net`` for a neuron's pre-activation and ``layer1.neuron2.out`` for
its output, ``loss`` for a loss (a lone neuron drops the prefix: ``w0``, ``b``, ``net``). Nothing
here imports nn: the labels are all a drawing needs.

>>> from autograd import Value, topological_order
>>> w, x = Value(0.5, label="neuron0.w0"), Value(2.0, label="x0")
>>> net = w * x + Value(0.1, label="neuron0.b")
>>> net.label = "neuron0.net"
>>> layout = nn_layout(topological_order(net))
>>> [(n.label or "(unlabelled)", role, group) for n, role, group in
...  zip(topological_order(net), layout.roles, layout.groups)]  # doctest: +NORMALIZE_WHITESPACE
[('neuron0.w0', 'parameter', ('neuron0',)), ('x0', 'input', ()),
 ('(unlabelled)', 'value', ('neuron0',)), ('neuron0.b', 'parameter', ('neuron0',)),
 ('neuron0.net', 'value', ('neuron0',))]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from autograd import Value

__all__ = [
    "GROUP_PART", "ROLES", "NNLayout", "Role", "group_of", "looks_like_nn", "nn_layout",
    "parameter_key", "relative_name", "role_of", "roles",
]

#: A node's kind in a drawing of a model: what training changes (parameters), what the data
#: gives (inputs and targets), what training lowers (the loss), and everything computed.
Role = Literal["parameter", "input", "target", "loss", "value"]
#: The roles in the order a legend lists them.
ROLES: tuple[Role, ...] = ("parameter", "input", "target", "loss", "value")

#: One level of nn's label paths: ``layer1``, ``neuron2``.
GROUP_PART = re.compile(r"(?:layer|neuron)\d+\Z")
#: Parameters: nn's and the worked example's w0, w5, b1, and the article's W12 (weights are
#: written with a capital there), b2.
_PARAMETER = re.compile(r"(?:[wW]\d*|b\d*)\Z")
_WEIGHT = re.compile(r"[wW]\d*\Z")
#: Targets: target_o1, y_true, and the article's t4, t5.
_TARGET = re.compile(r"(?:(?:target|y_true)\w*|t\d+)\Z")
#: Names a loss goes by: nn's ``loss``, the worked example's ``E``, micrograd's ``L``, ``J``.
_LOSS_NAMES = ("E", "L", "J")


def group_of(label: str) -> tuple[str, ...]:
    """The leading ``layer<i>`` / ``neuron<j>`` parts of a label: ``('layer1', 'neuron2')``.

    >>> group_of("layer1.neuron2.w0"), group_of("neuron3.b"), group_of("w0"), group_of("loss")
    (('layer1', 'neuron2'), ('neuron3',), (), ())
    """
    parts = label.split(".")[:-1]
    group: list[str] = []
    for part in parts:
        if not GROUP_PART.match(part):
            break
        group.append(part)
    return tuple(group)


def role_of(node: Value) -> Role:
    """What a label says a node is: a parameter (a leaf ``w<i>``, ``W<ij>``, ``w``, ``b`` or
    ``b<i>``), a target (a leaf ``target…``, as ``target_o1``, or ``t<i>``), an input (any
    other leaf), the loss (``loss``; or ``E``, ``L``, ``J`` computed), or an ordinary value.

    >>> [role_of(Value(1.0, label=name)) for name in ("layer0.neuron1.w2", "b1", "target_o1", "i1")]
    ['parameter', 'parameter', 'target', 'input']
    >>> [role_of(Value(1.0, label=name)) for name in ("W12", "b2", "t4", "out1")]  # the article's
    ['parameter', 'parameter', 'target', 'input']
    """
    label = node.label
    last = label.rsplit(".", 1)[-1]
    if last == "loss" or (last in _LOSS_NAMES and not node.is_leaf):
        return "loss"
    if node.is_leaf:
        if _PARAMETER.match(last):
            return "parameter"
        return "target" if _TARGET.match(last) else "input"
    return "value"


def roles(order: Sequence[Value]) -> list[Role] | None:
    """Each node's role when the graph is a model's, else None (a drawing then shows no roles).

    A graph is a model's when nn's labels say so (`looks_like_nn`) or when some leaf is named
    as a weight is (``w``, ``w5``, ``layer0.neuron1.w2``): the worked example and micrograd's
    neuron are, ``a * b + c`` is not (its ``b`` is no bias).
    """
    model = looks_like_nn(order) or any(
        node.is_leaf and _WEIGHT.match(node.label.rsplit(".", 1)[-1]) for node in order
    )
    return [role_of(node) for node in order] if model else None


def parameter_key(label: str) -> tuple[bool, tuple[tuple[int, int, str], ...]]:
    """A sort key for a neuron's parameters: w0, w1, …, w10 in order, the bias b last.

    >>> sorted(["n.b", "n.w10", "n.w2", "n.w0"], key=parameter_key)
    ['n.w0', 'n.w2', 'n.w10', 'n.b']
    """
    last = label.rsplit(".", 1)[-1]
    digits = last.lstrip("bw")
    number = digits.lstrip("0")
    return last.rstrip("0123456789") == "b", ((0, len(number), number), (1, 0, last))


def relative_name(label: str, where: tuple[str, ...]) -> str:
    """A label written from inside the group `where`: the group path they share left out.

    >>> relative_name("layer1.neuron2.w0", ("layer1", "neuron2"))
    'w0'
    >>> relative_name("layer1.neuron0.out", ("layer1", "neuron2"))
    'neuron0.out'
    >>> relative_name("layer0.neuron3.out", ("layer1", "neuron2")), relative_name("loss", ())
    ('layer0.neuron3.out', 'loss')
    """
    group = group_of(label)
    shared = 0
    while shared < min(len(group), len(where)) and group[shared] == where[shared]:
        shared += 1
    if not shared:
        return label
    return label.split(".", shared)[-1]


def looks_like_nn(nodes: Sequence[Value]) -> bool:
    """True when some label is one nn gives: a ``layer<i>.`` or ``neuron<j>.`` path, ``net``
    or ``loss``. A hand-made graph labelled ``a``, ``b``, ``L`` is not read as a network."""
    for node in nodes:
        label = node.label
        if not label:
            continue
        if label in ("net", "loss") or group_of(label):
            return True
    return False


@dataclass(frozen=True)
class NNLayout:
    """Per node (in the order given): its role and the group (neuron) it is drawn in."""

    roles: list[Role]
    groups: list[tuple[str, ...]]


def nn_layout(order: Sequence[Value]) -> NNLayout:
    """Roles and groups for nodes in topological order (inputs first).

    A labelled node's group comes from its label. An unlabelled operation (the products and sums
    inside a neuron's ``net``) joins the group of the nodes that use it when they all share one;
    otherwise, like unlabelled leaves, it stays outside every group. One pass from the root
    back, so every user of a node is settled before the node itself.
    """
    index = {id(node): i for i, node in enumerate(order)}
    n = len(order)
    groups: list[tuple[str, ...]] = [()] * n
    # The group shared by all users of a node so far: None before the first user, _MIXED after
    # two users disagree.
    users_group: list[tuple[str, ...] | None] = [None] * n
    for i in range(n - 1, -1, -1):
        node = order[i]
        if node.label:
            group = group_of(node.label)
        elif node.is_leaf:
            group = ()
        else:
            shared = users_group[i]
            group = () if shared is None or shared == _MIXED else shared
        groups[i] = group
        for parent in node.parents:
            j = index[id(parent)]
            seen = users_group[j]
            if seen is None:
                users_group[j] = group
            elif seen != group:
                users_group[j] = _MIXED
    return NNLayout([role_of(node) for node in order], groups)


# A marker no label can produce (label parts never contain a dot).
_MIXED: tuple[str, ...] = ("<mixed.users>",)
