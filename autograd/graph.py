"""Walking the graph: topological order, zero_grad, the backward sweep, `grad` and `hessian`.

Nothing here recurses, so a graph a million operations deep works under Python's default
recursion limit, and nothing here knows any operation: the partials come from the nodes (recorded
from `autograd.ops` when each node was made) or from the rule table itself (`create_graph`).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from autograd import floats
from autograd.modes import ANOMALY, MODE, AnomalyError, enable_grad, is_grad_enabled

#: The sweep counter of a leaf: it is never counted or queued (see `_sweep`).
LEAF = -1

#: Marks, on `topological_order`'s stack, that the node below it is finished.
_DONE: Any = object()

if TYPE_CHECKING:
    from autograd.value import Value

__all__ = ["backward", "grad", "hessian", "topological_order", "zero_grad"]

# The fast sweep keeps its bookkeeping on the nodes (_n, _g); two sweeps at once over graphs that
# share nodes (two threads training one model) would mix it up, so sweeps take turns.
_SWEEP_LOCK = threading.Lock()


def topological_order(root: Value) -> list[Value]:
    """Every node behind `root`, inputs before the nodes made from them; `root` comes last.

    Depth-first in input order, so the same graph always gives the same order: the order a
    recursive walk (visit each input in turn, then the node) would give, without recursion.
    """
    order: list[Value] = []
    append = order.append
    seen: set[Value] = set()  # by identity: Value defines no __eq__
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


def zero_grad(root: Value) -> None:
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


def _sweep(root: Value, seed: float, accumulate: bool) -> None:
    """Propagate `seed` from `root` to every node behind it: ∂root/∂n·seed.

    Two passes: count how many times each inner node is used within the graph (``_n``), then
    release a node once all its users are swept (Kahn's algorithm, from the root), so its
    gradient is complete when it sends it on. A leaf (``_n == LEAF``) is never counted or
    queued: each edge into it adds straight into its ``.grad`` (with `accumulate`).
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
    # Pass 2: grad[input] += grad[node] * ∂node/∂input, for each edge once.
    while stack:
        node = pop()
        g = node._g
        if accumulate:
            node.grad += g
        d = node._da
        if d is not None:
            p = node._a
            c = p._n
            if c < 0:
                if accumulate:  # (grad() counts the leaves it wants as inner nodes)
                    p.grad += g * d
            else:
                p._g += g * d
                c -= 1
                p._n = c
                if not c:
                    push(p)
        d = node._db
        if d is not None:
            p = node._b
            if p.__class__ is tuple:  # a node of any number of inputs: one edge each
                for q, dq in zip(p, d, strict=True):
                    c = q._n
                    if c < 0:
                        if accumulate:
                            q.grad += g * dq
                    else:
                        q._g += g * dq
                        c -= 1
                        q._n = c
                        if not c:
                            push(q)
                continue
            c = p._n
            if c < 0:
                if accumulate:  # (grad() counts the leaves it wants as inner nodes)
                    p.grad += g * d
            else:
                p._g += g * d
                c -= 1
                p._n = c
                if not c:
                    push(p)


def _reset(root: Value) -> None:
    """Clear the sweep counters after an interrupted sweep, so the next one starts clean."""
    for node in topological_order(root):
        node._n = LEAF if node.is_leaf else 0


def _checked_sweep(root: Value, seed: Any, accumulate: bool, create_graph: bool) -> dict[int, Any]:
    """The sweep for detect_anomaly and create_graph: slower, and it checks each step.

    Gradients are kept in a dict by node id; with `create_graph` they are Values built from the
    rule table's partials, so they can be differentiated again.
    """
    from autograd.value import VALUE_MATH, Value

    check = bool(MODE.get() & ANOMALY)
    order = topological_order(root)
    grads: dict[int, Any] = {id(root): seed}
    for node in reversed(order):
        g = grads.get(id(node))
        if g is None:
            continue
        if accumulate:
            node.grad += g.data if isinstance(g, Value) else g
        rule = node.rule
        if rule is None:
            continue
        inputs = node.inputs
        names, _, partial_texts = rule.formulas(len(inputs))
        if create_graph:
            partials = [
                rule.partial(i, VALUE_MATH, *inputs, node) if isinstance(x, Value) else None
                for i, x in enumerate(inputs)
            ]
        elif rule.arity == 0:
            recorded = iter(node.partials)
            partials = [next(recorded) if isinstance(x, Value) else None for x in inputs]
        else:
            partials = [node._da, node._db][: len(inputs)]
        for i, (x, d) in enumerate(zip(inputs, partials, strict=True)):
            if d is None or not isinstance(x, Value):
                continue
            step = g * d
            if check:
                number = step.data if isinstance(step, Value) else step
                if not math.isfinite(number):
                    raise AnomalyError(
                        f"detect_anomaly: the gradient flowing from {rule.name} ({rule.text}) "
                        f"into its input {names[i]} = {x!r} is {number} "
                        f"(gradient at the node {g!r} × local derivative ∂/∂{names[i]} = "
                        f"{partial_texts[i]} = {d!r}); node: {node!r}"
                    )
            previous = grads.get(id(x))
            grads[id(x)] = step if previous is None else previous + step
    return grads


def backward(root: Value, seed: float = 1.0) -> None:
    """Add ∂root/∂n · seed into ``n.grad`` for every node n behind root (see Value.backward)."""
    seed = floats.val(float(seed))
    if MODE.get() & ANOMALY:
        _checked_sweep(root, seed, accumulate=True, create_graph=False)
        return
    with _SWEEP_LOCK:
        try:
            _sweep(root, seed, accumulate=True)
        except BaseException:
            _reset(root)
            raise


def grad(
    output: Value,
    inputs: Value | Sequence[Value],
    create_graph: bool = False,
    allow_unused: bool = False,
) -> Any:
    """∂output/∂input for each input, leaving every ``.grad`` untouched.

    `inputs` is a Value (the result is one number) or a sequence of Values (a list). With
    `create_graph` the results are Values whose own graph can be differentiated again, for second
    and higher derivatives. An input that `output` does not depend on is an error, unless
    `allow_unused`, when its derivative is 0.
    """
    from autograd.value import Value

    single = isinstance(inputs, Value)
    wanted: list[Value] = [inputs] if isinstance(inputs, Value) else list(inputs)
    for position, x in enumerate(wanted):
        if not isinstance(x, Value):
            raise TypeError(
                f"grad: inputs[{position}] must be a Value, not {type(x).__name__}: {x!r}"
            )
    if not isinstance(output, Value):
        raise TypeError(f"grad: output must be a Value, not {type(output).__name__}: {output!r}")

    results: list[Any]
    if create_graph:
        # The derivatives are built as a graph even inside no_grad, as PyTorch's functional API
        # does: a derivative recorded as a leaf would differentiate to a silent 0.
        with enable_grad():
            grads = _checked_sweep(output, 1.0, accumulate=False, create_graph=True)
        results = [grads.get(id(x)) for x in wanted]
    elif MODE.get() & ANOMALY:
        grads = _checked_sweep(output, 1.0, accumulate=False, create_graph=False)
        results = [grads.get(id(x)) for x in wanted]
    else:
        with _SWEEP_LOCK:
            leaves = [x for x in wanted if x._n == LEAF]
            for x in wanted:
                x._g = None  # stays None unless the sweep reaches x
            for x in leaves:
                x._n = 0  # counted like an inner node, so that its gradient gathers in _g
            try:
                _sweep(output, 1.0, accumulate=False)
            except BaseException:
                _reset(output)
                raise
            finally:
                for x in leaves:
                    x._n = LEAF
            results = [x._g for x in wanted]
    for position, (x, r) in enumerate(zip(wanted, results, strict=True)):
        if r is None:
            if not allow_unused:
                name = f" {x.label!r}" if x.label else ""
                leaf = (
                    " (the output is a leaf, with no graph behind it: values computed inside "
                    "no_grad are leaves)" if output.is_leaf else ""
                )
                raise ValueError(
                    f"grad: inputs[{position}]{name} ({x!r}) is not in the graph of the output "
                    f"{output!r}{leaf}; pass allow_unused=True to get 0 for it"
                )
            results[position] = 0.0
    if create_graph:
        results = [r if isinstance(r, Value) else Value(r) for r in results]
    return results[0] if single else results


def hessian(output: Value, inputs: Iterable[Value]) -> list[list[float]]:
    """The matrix of second derivatives ∂²output/∂xᵢ∂xⱼ, as a list of lists of floats.

    Works inside `no_grad` too (the first derivatives are recorded for its own use); an output
    computed inside `no_grad` has no graph, and is refused rather than given a matrix of zeros.

    >>> from autograd import Value, hessian, no_grad
    >>> x, y = Value(2.0), Value(1.0)
    >>> f = x * x * y
    >>> with no_grad():
    ...     hessian(f, [x, y])  # [[2y, 2x], [2x, 0]]
    [[2.0, 4.0], [4.0, 0.0]]
    """
    from autograd.value import Value

    xs = list(inputs)
    leaf = isinstance(output, Value) and output.is_leaf and not any(x is output for x in xs)
    if leaf and not is_grad_enabled():
        raise ValueError(
            f"hessian: the output {output!r} is a leaf, with no graph behind it: values computed "
            "inside no_grad record none; compute the output outside no_grad (or under "
            "enable_grad())"
        )
    first = grad(output, xs, create_graph=True, allow_unused=True)
    # A first derivative that is a leaf (a constant, or an input itself) differentiates too.
    return [[float(v) for v in grad(g, xs, allow_unused=True)] for g in first]
