"""Copying and pickling Values: the whole graph behind a node, at any depth and width, with the
nodes' identities, labels, rules and recorded partials kept."""

from __future__ import annotations

import copy
import math
import pickle
import sys
from typing import Any

import pytest

import autograd
from autograd import STRONG_ZERO, Rule, Value, grad, linear, register, topological_order
from autograd.extend import _unregister
from autograd.floats import Reciprocal


def pickled(obj: Any) -> Any:
    return pickle.loads(pickle.dumps(obj))


COPIES = [pytest.param(pickled, id="pickle"), pytest.param(copy.deepcopy, id="deepcopy")]


def sample() -> tuple[Value, list[Value]]:
    """A small graph with shared nodes, a constant, a masked partial, a linear node, a
    micrograd-style node and an overflowed reciprocal."""
    x, y = Value(0.0, label="x"), Value(1.5, label="y")
    h = x.relu() * y + x  # relu'(0) is the masked zero
    h.label = "h"
    n = linear([x, y, h], [2.0, y, 0.5], y)
    user = Value(n.data ** 2, (n,), "square")
    user._backward = lambda: setattr(n, "grad", n.grad + 2 * n.data * user.grad)
    r = user / 1e-310 + (y * h).tanh()  # ∂/∂user is an overflowed reciprocal
    r.label = "r"
    return r, [x, y, h, n, user]


def describe(root: Value) -> list[tuple[Any, ...]]:
    """Each node's number, grad, label, op, inputs (by position) and partials' bits."""
    order = topological_order(root)
    at = {id(n): i for i, n in enumerate(order)}
    rows = []
    for n in order:
        inputs = tuple(("node", at[id(x)]) if isinstance(x, Value) else ("const", x)
                       for x in n.inputs)
        partials = tuple((type(d).__name__, repr(d)) for d in n.partials)
        rows.append((repr(n.data), repr(n.grad), n.label, n.op, n._op, inputs, partials))
    return rows


@pytest.mark.parametrize("make_copy", COPIES)
def test_a_copy_is_the_same_graph_with_new_nodes(make_copy: Any) -> None:
    root, _ = sample()
    root.backward()
    twin = make_copy(root)
    assert describe(twin) == describe(root)
    old, new = topological_order(root), topological_order(twin)
    assert not {id(n) for n in old} & {id(n) for n in new}
    for a, b in zip(old, new, strict=True):
        assert b.rule is a.rule or (a.rule is not None and a.rule.user)  # table rules shared
        assert [type(d) for d in b.partials] == [type(d) for d in a.partials]
    assert any(d is STRONG_ZERO for n in new for d in n.partials)
    assert any(isinstance(d, Reciprocal) for n in new for d in n.partials)
    # The copy differentiates as the original does.
    leaves = [n for n in old if n.is_leaf]
    twin_leaves = [n for n in new if n.is_leaf]
    assert repr(grad(twin, twin_leaves)) == repr(grad(root, leaves))


@pytest.mark.parametrize("make_copy", COPIES)
def test_nodes_copied_together_stay_one_graph(make_copy: Any) -> None:
    root, (x, _, h, _, user) = sample()
    for items in ([root, x, h, user], [h, user, root, x], topological_order(root)):
        copies = make_copy(items)
        new_root = next(c for c, o in zip(copies, items, strict=True) if o is root)
        inside = {id(c) for c in topological_order(new_root)}
        assert all(id(c) in inside for c in copies)  # the same objects, not second copies
        assert len(inside) == len(topological_order(root))


@pytest.mark.parametrize("make_copy", COPIES)
def test_a_leaf_alone_and_a_micrograd_op_leaf(make_copy: Any) -> None:
    leaf = Value(2.5, label="w")
    leaf.grad = 0.25
    marked = Value(1.0, _op="+")
    twin, other = make_copy([leaf, marked])
    assert (twin.data, twin.grad, twin.label, twin.is_leaf) == (2.5, 0.25, "w", True)
    assert other._op == "+" and other.is_leaf


def test_a_registered_rule_is_found_again_by_name() -> None:
    cube = register(Rule("cube", 1, lambda x: x**3, (lambda M, x, out: 3.0 * x * x,), "³",
                         "x ** 3", ("3 * x ** 2",), (((-2.0, 2.0),),)))
    try:
        y = Value(2.0).cube()
        data = pickle.dumps(y)
        assert pickle.loads(data).rule is cube
        assert copy.deepcopy(y).rule is cube
    finally:
        _unregister("cube")
    with pytest.raises(ValueError, match="'cube', which is not in this process's rule table"):
        pickle.loads(data)


def chain(depth: int) -> tuple[Value, Value]:
    x = Value(0.5, label="x")
    y = x
    for _ in range(depth):
        y = y * 1.0000001 + x
    return x, y


@pytest.mark.parametrize("make_copy", COPIES)
def test_deeper_than_the_recursion_limit(make_copy: Any) -> None:
    x, y = chain(5 * sys.getrecursionlimit())
    twin = make_copy(y)
    assert len(topological_order(twin)) == len(topological_order(y))
    assert grad(twin, topological_order(twin)[0]) == grad(y, x)


def test_a_graph_pickled_again_after_a_failed_pickling() -> None:
    x, y = chain(3000)
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        pickle.dumps([y, lambda: None])
    twin = pickled(y)
    assert grad(twin, topological_order(twin)[0]) == grad(y, x)
    again = pickled([y, x])
    assert again[1] is topological_order(again[0])[0]


def test_a_pickler_that_writes_twice_refers_back() -> None:
    import io

    x, y = chain(3000)
    buffer = io.BytesIO()
    writer = pickle.Pickler(buffer)
    writer.dump(y)
    writer.dump(x)
    buffer.seek(0)
    reader = pickle.Unpickler(buffer)
    first, second = reader.load(), reader.load()
    assert second is topological_order(first)[0]


def test_a_list_of_every_node_pickles_in_linear_size() -> None:
    _, y = chain(20_000)
    nodes = topological_order(y)
    size = len(pickle.dumps(nodes))
    assert size < 100 * len(nodes)  # each node written once, then referred to
    assert len(pickle.dumps(list(reversed(nodes)))) < 100 * len(nodes)


@pytest.mark.parametrize("make_copy", COPIES)
def test_a_wide_node(make_copy: Any) -> None:
    ws = [Value(1.0 + k * 1e-6) for k in range(100_000)]
    out = linear(ws, [0.5] * len(ws), 0.0).tanh()
    twin = make_copy(out)
    assert twin.data == out.data
    assert len(twin.parents[0].parents) == 100_000


@pytest.mark.slow
@pytest.mark.parametrize("make_copy", COPIES)
def test_a_million_operations_deep(make_copy: Any) -> None:
    x, y = chain(500_000)  # two operations a step
    twin = make_copy(y)
    assert twin.data == y.data
    leaf = topological_order(twin)[0]
    assert leaf.label == "x"
    assert math.isclose(grad(twin, leaf), grad(y, x), rel_tol=0.0)


def test_copy_copy_shares_the_inputs() -> None:
    x = Value(2.0, label="x")
    y = x * 3.0
    y.label = "y"
    twin = copy.copy(y)
    assert twin is not y and twin.parents[0] is x and twin.label == "y" and twin.op == "mul"


def test_modules_holding_deep_graphs_copy(tmp_path: Any) -> None:
    nn = pytest.importorskip("nn")
    model = nn.MLP(2, [3, 1], rng=1)
    out = model([0.5, -0.5])
    for _ in range(3000):
        out = out * 1.0
    model.last = out  # a module that keeps a graph (a loss, an output) along with its weights
    for twin in (pickled(model), copy.deepcopy(model)):
        assert twin.get_weights() == model.get_weights()
        used = {id(n) for n in autograd.topological_order(twin.last)}
        assert all(id(p) in used for p in twin.parameters())
