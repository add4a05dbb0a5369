"""Walking the graph: topological order, the sweep's order, zero_grad and the backward sweep.

The chain rule is applied in one order, the order in which `_sweep` completes the nodes (see
`sweep_order`): the fast sweep computes it on the fly, and every other reader of the chain rule
(anomaly mode, `create_graph`, `backward_steps`, the checks, `to_sympy`, the code generator)
replays it with `chain_rule`, so each gradient is summed in the same order everywhere and comes
out the same to the last bit.

Nothing here recurses, so a graph a million operations deep works under Python's default
recursion limit, and nothing here knows any operation: the partials come from the nodes (recorded
from `autograd.ops` when each node was made) or from a caller of `chain_rule`.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from autograd import floats
from autograd.modes import ANOMALY, MODE, AnomalyError

#: The sweep counter of a leaf: it is never counted or queued (see `_sweep`).
LEAF = -1

#: Marks, on `topological_order`'s stack, that the node below it is finished.
_DONE: Any = object()


class Node(Protocol):
    """What the walks read of a node: `autograd.value.Value` is one. Written here as a
    protocol so that this module needs nothing from value.py, which builds on it (its
    `backward` and `zero_grad` are these)."""

    data: float
    grad: float
    _a: Any  # the inputs and their recorded partials, as Value keeps them
    _b: Any
    _da: Any
    _db: Any
    _n: int
    _g: Any

    @property
    def label(self) -> str: ...
    @property
    def rule(self) -> Any: ...
    @property
    def inputs(self) -> tuple[Any, ...]: ...
    @property
    def parents(self) -> tuple[Any, ...]: ...
    @property
    def is_leaf(self) -> bool: ...


#: A node of the caller's own class: the walks hand back what they are given.
N = TypeVar("N", bound=Node)

__all__ = [
    "Node",
    "Sweep",
    "backward",
    "chain_rule",
    "edges",
    "sweep_order",
    "topological_order",
    "zero_grad",
]

# The fast sweep keeps its bookkeeping on the nodes (_n, _g); two sweeps at once over graphs that
# share nodes (two threads training one model) would mix it up, so sweeps take turns.
_SWEEP_LOCK = threading.Lock()


def topological_order(root: N) -> list[N]:
    """Every node behind `root`, inputs before the nodes made from them; `root` comes last.

    Depth-first in input order, so the same graph always gives the same order: the order a
    recursive walk (visit each input in turn, then the node) would give, without recursion.
    """
    order: list[N] = []
    append = order.append
    seen: set[N] = set()  # by identity: Value defines no __eq__
    add = seen.add
    # The stack holds nodes to visit, and _DONE above a node whose inputs are all being visited:
    # popping _DONE means the node under it is finished. Inputs go on in reverse, so the first
    # input is visited first. The slots are read directly (see `_sweep`), not `node.parents`:
    # a property call and a tuple per node would cost more than the whole walk.
    stack: list[Any] = [root]
    push = stack.append
    pop = stack.pop
    while stack:
        node = pop()
        if node is _DONE:
            append(pop())
            continue
        if node in seen:  # reached again through another path while it waited
            continue
        add(node)
        push(node)
        push(_DONE)
        if node._db is not None:
            b = node._b
            if b.__class__ is tuple:  # a node of any number of inputs
                for q in reversed(b):
                    if q not in seen:
                        push(q)
            elif b not in seen:
                push(b)
        if node._da is not None:
            a = node._a
            if a not in seen:
                push(a)
    return order


def zero_grad(root: Node) -> None:
    """Set ``grad`` to 0 on `root` and every node behind it (in no particular order)."""
    seen = {root}
    add = seen.add
    stack = [root]
    push = stack.append
    pop = stack.pop
    while stack:
        node = pop()
        node.grad = 0.0
        if node._da is not None:
            a = node._a
            if a not in seen:
                add(a)
                push(a)
        if node._db is not None:
            b = node._b
            if b.__class__ is tuple:  # a node of any number of inputs
                for q in b:
                    if q not in seen:
                        add(q)
                        push(q)
            elif b not in seen:
                add(b)
                push(b)


def _sweep(root: Node, seed: float, accumulate: bool) -> None:
    """Propagate `seed` from `root` to every node behind it: ∂root/∂n·seed.

    Two passes: count how many times each inner node is used within the graph (``_n``), then
    release a node once all its users are swept (Kahn's algorithm, from the root, with a stack),
    so its gradient is complete when it sends it on: the order of `sweep_order`. A leaf
    (``_n == LEAF``) is never counted or queued: each edge into it adds straight into its
    ``.grad`` (with `accumulate`); leaving it off the stack changes no other node's turn.
    With `accumulate`, each inner node's complete gradient is added to ``n.grad`` too; without,
    it stays in ``n._g``. Each sweep starts inner nodes from ``_g = 0``: nothing from an earlier
    call flows through it.
    """
    stack = [root]
    push = stack.append
    pop = stack.pop
    # Pass 1. During it counts only grow, so _n > 0 means "already seen"; the root is never
    # anyone's input here, and every count is back to 0 when pass 2 ends.
    while stack:
        node = pop()
        if node._da is not None:
            p = node._a
            c = p._n
            if c > 0:
                p._n = c + 1
            elif c == 0:
                p._n = 1
                p._g = 0.0
                push(p)
        if node._db is not None:
            p = node._b
            if p.__class__ is tuple:  # a node of any number of inputs
                for q in p:
                    c = q._n
                    if c > 0:
                        q._n = c + 1
                    elif c == 0:
                        q._n = 1
                        q._g = 0.0
                        push(q)
                continue
            c = p._n
            if c > 0:
                p._n = c + 1
            elif c == 0:
                p._n = 1
                p._g = 0.0
                push(p)
    root._g = seed
    push(root)
    if accumulate:
        _pass2_into_grads(stack)
    else:
        _pass2_gathered(stack)


# Pass 2 of `_sweep`, written twice: with the test of `accumulate` taken out of the loop (it is
# read once per node and once per edge into a leaf), the sweep measured about a tenth faster.


def _pass2_into_grads(stack: list[Any]) -> None:
    """grad[input] += grad[node] * ∂node/∂input for each edge once, each node's complete
    gradient added into its ``.grad``, each edge into a leaf straight into the leaf's."""
    push = stack.append
    pop = stack.pop
    while stack:
        node = pop()
        g = node._g
        node.grad += g
        d = node._da
        if d is not None:
            p = node._a
            c = p._n
            if c < 0:
                p.grad += g * d
            else:
                p._g += g * d
                if c == 1:
                    p._n = 0
                    push(p)
                else:
                    p._n = c - 1
        d = node._db
        if d is not None:
            p = node._b
            if p.__class__ is tuple:  # a node of any number of inputs: one edge each
                for q, dq in zip(p, d, strict=True):
                    c = q._n
                    if c < 0:
                        q.grad += g * dq
                    else:
                        q._g += g * dq
                        if c == 1:
                            q._n = 0
                            push(q)
                        else:
                            q._n = c - 1
                continue
            c = p._n
            if c < 0:
                p.grad += g * d
            else:
                p._g += g * d
                if c == 1:
                    p._n = 0
                    push(p)
                else:
                    p._n = c - 1


def _pass2_gathered(stack: list[Any]) -> None:
    """Pass 2 leaving every ``.grad`` alone: the gradients stay in ``_g`` (grad() counts the
    leaves it wants as inner nodes, so they gather there too)."""
    push = stack.append
    pop = stack.pop
    while stack:
        node = pop()
        g = node._g
        d = node._da
        if d is not None:
            p = node._a
            c = p._n
            if c >= 0:
                p._g += g * d
                if c == 1:
                    p._n = 0
                    push(p)
                else:
                    p._n = c - 1
        d = node._db
        if d is not None:
            p = node._b
            if p.__class__ is tuple:
                for q, dq in zip(p, d, strict=True):
                    c = q._n
                    if c >= 0:
                        q._g += g * dq
                        if c == 1:
                            q._n = 0
                            push(q)
                        else:
                            q._n = c - 1
                continue
            c = p._n
            if c >= 0:
                p._g += g * d
                if c == 1:
                    p._n = 0
                    push(p)
                else:
                    p._n = c - 1


def _reset(root: Node) -> None:
    """Clear the sweep counters after an interrupted sweep, so the next one starts clean."""
    for node in topological_order(root):
        node._n = LEAF if node.is_leaf else 0


def sweep_order(root: N) -> list[N]:
    """Every node behind `root` in the order the backward sweep completes it: `root` first.

    A node's turn comes as soon as the last of its users (within the graph) has sent it its
    share, so its gradient is complete when it is reached; among the nodes that are ready, the
    one readied last goes first (a stack), and a node readies its inputs in input order. This
    is the order `backward()` sums in; everything else that applies the chain rule replays it.

    >>> from autograd import Value
    >>> a, b = Value(2.0, label="a"), Value(3.0, label="b")
    >>> c = a * b
    >>> c.label = "c"
    >>> d = c + a
    >>> d.label = "d"
    >>> [n.label for n in sweep_order(d)]
    ['d', 'c', 'b', 'a']
    """
    uses: dict[int, int] = {}  # by id: how many edges of the graph lead into each node
    stack = [root]
    while stack:
        node = stack.pop()
        for p in node.parents:
            count = uses.get(id(p))
            if count is None:
                uses[id(p)] = 1
                stack.append(p)
            else:
                uses[id(p)] = count + 1
    order: list[N] = []
    stack = [root]
    while stack:
        node = stack.pop()
        order.append(node)
        for p in node.parents:
            count = uses[id(p)] - 1
            uses[id(p)] = count
            if not count:
                stack.append(p)
    return order


def edges(node: N) -> list[tuple[int, N, float]]:
    """(input position, parent, recorded partial) for each Value input of `node`, in input
    order: the edges the sweep sends the node's gradient along, in the order it sends."""
    db = node._db
    if db.__class__ is not tuple:  # one or two inputs, read from the slots as the sweep does
        result: list[tuple[int, N, float]] = []
        if node._da is not None:
            result.append((0, node._a, node._da))
        if db is not None:
            result.append((1, node._b, db))
        return result
    result = []
    k = 0
    for i, x in enumerate(node.inputs):
        if not isinstance(x, float):  # a constant input is a float; every other input a Value
            result.append((i, x, db[k]))
            k += 1
    return result


@dataclass
class Sweep(Generic[N]):
    """What `chain_rule` found: the nodes in sweep order, and each one's gradient by id."""

    order: list[N]
    grads: dict[int, Any]

    def grad(self, node: N, default: Any = None) -> Any:
        """∂root/∂node (times the seed), or `default` for a node outside the graph."""
        return self.grads.get(id(node), default)


#: One step for `chain_rule`: (node, input position, the recorded partial, the node's gradient)
#: -> the amount to add into the input's gradient.
StepFn = Callable[[Any, int, float, Any], Any]
#: Called after each edge: (node, input position, input, node's gradient, recorded partial, the
#: amount added, the input's gradient so far).
EdgeFn = Callable[[Any, int, Any, Any, Any, Any, Any], None]


def chain_rule(
    root: N,
    seed: Any = 1.0,
    step: StepFn | None = None,
    on_edge: EdgeFn | None = None,
) -> Sweep[N]:
    """The backward sweep replayed: ``grad[input] += grad[node] · partial`` for every edge, in
    `sweep_order`, the nodes' turns and each node's edges in exactly the order `backward()`
    takes them.

    Each step is the gradient times the recorded partial unless `step` computes it otherwise
    (with Values for `create_graph`, sympy expressions, the partials at another point);
    `on_edge` sees each step (anomaly mode raises there, `backward_steps` writes it down). A
    gradient of plain floats starts from 0.0, as the fast sweep's does, so even the sign of a
    zero agrees; any other kind of number starts from its first term.
    """
    order = sweep_order(root)
    grads: dict[int, Any] = {id(root): seed}
    for node in order:
        g = grads[id(node)]
        for i, x, d in edges(node):
            amount = g * d if step is None else step(node, i, d, g)
            total = grads.get(id(x))
            total = _first(amount) if total is None else total + amount
            grads[id(x)] = total
            if on_edge is not None:
                on_edge(node, i, x, g, d, amount, total)
    return Sweep(order, grads)


def _first(step: Any) -> Any:
    """A gradient's first term as the fast sweep has it, 0.0 + term (which makes -0.0 into 0.0);
    a term of another kind (a Value, an expression) gets the addition only when it is -0.0."""
    if isinstance(step, float):
        return 0.0 + step
    number = getattr(step, "data", None)
    if isinstance(number, float) and number == 0.0 and math.copysign(1.0, number) < 0.0:
        return 0.0 + step
    return step


def check_step(node: Node, i: int, x: Any, g: Any, d: Any, step: Any, total: Any) -> None:
    """detect_anomaly's test of one step of the sweep: an inf or nan gradient is an error that
    names the operation, the input, and the numbers multiplied."""
    number = getattr(step, "data", step)
    if math.isfinite(number):
        return
    rule = node.rule
    assert rule is not None
    names, _, partial_texts = rule.formulas(len(node.inputs))
    raise AnomalyError(
        f"detect_anomaly: the gradient flowing from {rule.name} ({rule.text}) "
        f"into its input {names[i]} = {x!r} is {number} "
        f"(gradient at the node {g!r} × local derivative ∂/∂{names[i]} = "
        f"{partial_texts[i]} = {d!r}); node: {node!r}"
    )


def _checked_backward(root: Node, seed: float) -> None:
    """backward() under detect_anomaly: the replayed sweep, checked at each step; the grads are
    added only when every step is finite, in the fast sweep's way (an inner node its whole
    gradient, a leaf each of its terms in turn)."""
    into_leaves: list[tuple[Node, float]] = []

    def on_edge(node: Node, i: int, x: Node, g: Any, d: Any, step: Any, total: Any) -> None:
        check_step(node, i, x, g, d, step, total)
        if x.is_leaf:
            into_leaves.append((x, step))

    sweep = chain_rule(root, seed, on_edge=on_edge)
    for node in sweep.order:
        if node is root or not node.is_leaf:
            node.grad += sweep.grads[id(node)]
    for leaf, step in into_leaves:
        leaf.grad += step


def backward(root: Node, seed: float = 1.0) -> None:
    """Add ∂root/∂n · seed into ``n.grad`` for every node n behind root (see Value.backward)."""
    seed = floats.val(float(seed))
    if MODE.get() & ANOMALY:
        _checked_backward(root, seed)
        return
    with _SWEEP_LOCK:
        try:
            _sweep(root, seed, accumulate=True)
        except BaseException:
            _reset(root)
            raise


def gather(root: Node, wanted: list[N]) -> list[float | None]:
    """The fast sweep without touching any ``.grad``: ∂root/∂x for each of `wanted` (None for
    one the sweep never reaches)."""
    with _SWEEP_LOCK:
        leaves = [x for x in wanted if x._n == LEAF]
        for x in wanted:
            x._g = None  # stays None unless the sweep reaches x
        for x in leaves:
            x._n = 0  # counted like an inner node, so that its gradient gathers in _g
        try:
            _sweep(root, 1.0, accumulate=False)
        except BaseException:
            _reset(root)
            raise
        finally:
            for x in leaves:
                x._n = LEAF
        return [x._g for x in wanted]
