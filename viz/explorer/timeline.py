"""The explorer's timeline: the forward pass, the engine's backward sweep, and the gradients.

Step 0 shows the leaves' values. Then one forward step per operation, in topological order; one
backward step per node, in the order of `backward_steps` (the engine's own sweep); and a last
step with the table of the leaves' gradients and one step of gradient descent. Every number is
written here, by Python, in one precision (6 significant digits, as `explain` prints them) with
the exact value beside it for the page to show on demand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from autograd import Naming, Value, backward_steps, explain, formula, rule_text
from viz.parts import natural_key

__all__ = ["NodeInfo", "Timeline", "exact", "num", "sweep_order", "timeline"]


def num(v: float) -> str:
    """A number on the page: 6 significant digits and the minus sign of formulas (−), as
    `explain` prints them."""
    return formula.number_text(v, digits=6)


def exact(v: float) -> str:
    """The shortest text that reads back to exactly `v`, with the minus sign of formulas."""
    return formula.number_text(v)


def _factor(v: float) -> str:
    """A number as a factor of a product: negative ones in parentheses."""
    return f"({num(v)})" if v < 0 else num(v)


def _sum(values: list[float]) -> str:
    text = num(values[0])
    for v in values[1:]:
        text += f" − {num(-v)}" if v < 0 else f" + {num(v)}"
    return text


@dataclass
class NodeInfo:
    """One Value of the graph, as the page needs it."""

    name: str
    leaf: bool
    inputs: list[int]  #: the topological index of each Value input, in operand order
    value: str  #: repr(data): what data-value holds once the forward pass has reached the node
    grad: str  #: repr of the gradient backward_steps gives: data-grad once the node is reached
    value_text: str
    grad_text: str
    value_exact: str
    grad_exact: str
    forward: int = 0  #: the step at which its value appears (0: given before the forward pass)
    backward: int = 0  #: the step at which the sweep reaches it
    #: (step, text) each time a user sends it a contribution: its gradient so far
    #: (step, the gradient so far "(k of n)", whether all n have come): one per contribution
    sums: list[tuple[int, str, bool]] = field(default_factory=list)
    definition: str = ""
    partials: list[str] = field(default_factory=list)  #: ∂node/∂input = formula = number
    factors: list[str] = field(default_factory=list)  #: × ∂node/∂input, per Value input
    explanation: str = ""  #: explain(root, node), as text

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "leaf": self.leaf, "inputs": self.inputs, "value": self.value,
                "grad": self.grad, "valueText": self.value_text, "gradText": self.grad_text,
                "valueExact": self.value_exact, "gradExact": self.grad_exact,
                "forward": self.forward, "backward": self.backward, "sums": self.sums,
                "definition": self.definition, "partials": self.partials,
                "explanation": self.explanation}


@dataclass
class Timeline:
    nodes: list[NodeInfo]
    steps: list[dict[str, Any]]


def sweep_order(root: Value, order: Sequence[Value]) -> list[tuple[Any, int]]:
    """The engine's backward sweep as (row of `backward_steps`, topological index) pairs, in
    the order the engine visits the nodes: the page replays it, it never sweeps by itself."""
    sweep = backward_steps(root)
    if len(sweep.rows) != len(order):  # the sweep visits every node once
        raise RuntimeError("explore: backward_steps did not visit every node of the graph once")
    return [(row, row.index) for row in sweep.rows]  # index: the node's place in `order`


def _forward_line(node: Value, naming: Naming, w: dict[str, str]) -> str:
    """``net = n5 + b1 = 0.0275 + 0.35 = 0.3775``: the node's rule over its direct inputs."""
    assert node.rule is not None
    by_name = [naming.name(x) if isinstance(x, Value) else _factor(x) for x in node.inputs]
    by_number = [_factor(x.data if isinstance(x, Value) else x) for x in node.inputs]
    # rule_text writes a user-defined operation as its own call, sigmoid(n1), not as a rule's
    symbolic = rule_text(node, by_name)
    line = f"{naming.name(node)} = {symbolic} = {rule_text(node, by_number)} = {num(node.data)}"
    full = naming.definition(node)
    if full != symbolic:
        line += "\n" + w["that_is"].format(name=naming.name(node), full=full)
    return line


#: A contribution a node receives: (step, user's name, local partial d, user's gradient,
#: amount added, the node's gradient so far).
_Received = tuple[int, str, float, float, float, float]


def _backward_text(top: str, row: Any, received: list[_Received], first: bool,
                   w: dict[str, str]) -> str:
    """A backward step in explain's notation: the node's gradient, gathered from its users
    (upstream gradient × local partial = contribution, summed), then what it sends on."""
    me = row.node
    lines: list[str] = []
    if first:
        lines.append(w["starts"].format(top=top))
    elif len(received) == 1:
        _, user, d, g, added, _ = received[0]
        lines.append(f"∂{top}/∂{me} = ∂{top}/∂{user} × ∂{user}/∂{me} = "
                     f"{_factor(g)} × {_factor(d)} = {num(added)}")
    else:
        # One term per use: a*a uses a twice, so a gets two terms from one user.
        lines.append(w["sum_of"].format(top=top, me=me, n=len(received)))
        for _, user, d, g, added, _ in received:
            lines.append(f"  ∂{top}/∂{user} × ∂{user}/∂{me} = {_factor(g)} × {_factor(d)} = "
                         f"{num(added)}")
        lines.append(f"∂{top}/∂{me} = {_sum([r[4] for r in received])} = {num(row.grad)}")
    if not row.sends:
        lines.append(w["leaf_done"].format(me=me))
        return "\n".join(lines)
    lines.append(w["sends_one" if len(row.sends) == 1 else "sends_each"].format(me=me))
    for name, text, d, added, so_far in row.sends:
        shown = f" = {text}" if text != num(d) else ""
        lines.append(f"  ∂{me}/∂{name}{shown} = {num(d)}")
        lines.append(f"  ∂{top}/∂{name} += {_factor(row.grad)} × {_factor(d)} = {num(added)}"
                     f"  {w['so_far_sum'].format(sum=num(so_far))}")
    return "\n".join(lines)


def _final_step(top: str, order: Sequence[Value], nodes: list[NodeInfo], grads: list[float],
                parameters: list[int], lr: float | None, w: dict[str, str]) -> dict[str, Any]:
    """The closing step: each leaf's value and gradient and, given `lr`, its value after one
    step of gradient descent, w − lr·∂root/∂w (computed here, so the page computes nothing)."""
    rows = []
    for i in sorted(parameters, key=lambda i: natural_key(nodes[i].name)):
        v, g = order[i].data, grads[i]
        row = [nodes[i].name, num(v), num(g), exact(v), exact(g)]
        if lr is not None:
            new = v - lr * g
            row += [num(new), exact(new)]
        rows.append(row)
    text = (w["final_text"].format(top=top, lr=num(lr)) if lr is not None
            else w["final_text_no_lr"].format(top=top))
    head = [w["column_name"], w["column_value"], w["column_grad"].format(top=top)]
    if lr is not None:
        head.append(w["column_new"].format(top=top))
    return {"kind": "final", "node": len(order) - 1, "text": text, "head": head, "rows": rows}


def timeline(root: Value, order: Sequence[Value], naming: Naming, parameters: list[int], *,
             lr: float | None, max_paths: int, explain_nodes: int, w: dict[str, str],
             lang: str) -> Timeline:
    """The nodes and the steps of the page, from the engine's sweep and explanations.

    `parameters`: the topological indices of the leaves the closing table lists."""
    index = {id(n): i for i, n in enumerate(order)}
    top = naming.name(root)
    nodes = [NodeInfo(
        name=naming.name(node), leaf=node.rule is None,
        inputs=[index[id(x)] for x in node.inputs if isinstance(x, Value)],
        value=repr(node.data), grad="", value_text=num(node.data), grad_text="",
        value_exact=exact(node.data), grad_exact="",
        definition=naming.definition(node) if node.rule is not None else "",
    ) for node in order]
    steps: list[dict[str, Any]] = []
    for i, node in enumerate(order):
        if node.rule is not None:
            steps.append({"kind": "forward", "node": i, "text": _forward_line(node, naming, w)})
            nodes[i].forward = len(steps)

    grads = [0.0] * len(order)
    received: list[list[_Received]] = [[] for _ in order]
    for k, (row, i) in enumerate(sweep_order(root, order)):
        step = len(steps) + 1
        nodes[i].backward = step
        grads[i] = row.grad
        for j, (name, text, d, added, so_far) in zip(nodes[i].inputs, row.sends, strict=True):
            received[j].append((step, row.node, d, row.grad, added, so_far))
            shown = f" = {text}" if text != num(d) and text != repr(d) else ""
            nodes[i].partials.append(f"∂{row.node}/∂{name}{shown} = {num(d)}")
            nodes[i].factors.append(f"×{_factor(d)}")
        steps.append({"kind": "backward", "node": i,
                      "text": _backward_text(top, row, received[i], k == 0, w)})

    for i, info in enumerate(nodes):
        info.grad, info.grad_text, info.grad_exact = repr(grads[i]), num(grads[i]), exact(grads[i])
        info.sums = [(s, f"{num(so_far)} {w['so_far'].format(k=n, n=len(received[i]))}",
                      n == len(received[i]))
                     for n, (s, *_, so_far) in enumerate(received[i], 1)]
    # The leaves first (the parameters and inputs a reader asks about), then the root's side;
    # each explanation costs a pass over the graph.
    chosen = sorted(range(len(order)), key=lambda i: (order[i].rule is not None, -i))
    for i in chosen[:explain_nodes]:
        nodes[i].explanation = explain(root, order[i], max_paths=max_paths).text(lang=lang)
    steps.append(_final_step(top, order, nodes, grads, parameters, lr, w))
    return Timeline(nodes, steps)
