"""One reverse sweep: every reader of the chain rule sums each gradient in the engine's order.

`backward()`, `grad()` (fast, under detect_anomaly, with create_graph), `backward_steps`, the
checks' adjoints, `explain`'s per-node form, the explorer and the generated program must give the
same numbers to the last bit, on random graphs with shared subexpressions, inf and nan.
"""

from __future__ import annotations

import math
import random
import struct
from typing import Any

import pytest

import autograd
from autograd import AnomalyError, Value, backward_steps, codegen, detect_anomaly, explain, grad
from autograd.check import _Replay
from autograd.graph import chain_rule, sweep_order
from tests.strategies import Program, apply_value, random_program


def bits(x: float) -> Any:
    """A float's identity to the last bit; every nan counts as one (its payload is the FPU's)."""
    return "nan" if math.isnan(x) else struct.pack("<d", x)


def same(a: list[float], b: list[float]) -> bool:
    return [bits(x) for x in a] == [bits(x) for x in b]


def same_but_zero_sign(a: list[float], b: list[float]) -> bool:
    return [bits(x + 0.0) for x in a] == [bits(x + 0.0) for x in b]


def build(program: Program) -> tuple[list[Value], list[Value], Value]:
    leaves = program.values()
    nodes = program.run(leaves, apply_value)
    values = [n for n in nodes if isinstance(n, Value)]
    return leaves, values, nodes[-1]


def engine_grads(root: Value, nodes: list[Value]) -> list[float]:
    """Every node's gradient from the fast sweep (grad() counts inner nodes too)."""
    return [float(g) for g in grad(root, nodes, allow_unused=True)]


def check_program(program: Program, slow_views: bool) -> None:
    leaves, nodes, root = build(program)
    if not isinstance(root, Value) or root.is_leaf:
        return
    inside = {id(n) for n in autograd.topological_order(root)}
    nodes = [n for n in nodes if id(n) in inside]
    fast = engine_grads(root, nodes)
    where = str(program)

    # backward() from zeroed gradients: inner nodes and leaves alike.
    for n in nodes:
        n.grad = 0.0
    root.backward()
    assert same([n.grad for n in nodes], fast), where

    # The replayed sweep, and the check module's replay of the graph (which sweeps in its order).
    replay = chain_rule(root).grads
    assert same([replay[id(n)] for n in nodes], fast), where
    order = autograd.topological_order(root)
    place = {id(n): k for k, n in enumerate(order)}
    _, adjoint = _Replay(order).run({})
    assert same([adjoint[place[id(n)]] if id(n) in place else 0.0 for n in nodes], fast), where

    # create_graph: the derivatives as Values hold the same numbers.
    as_values = grad(root, nodes, create_graph=True, allow_unused=True)
    assert same([v.data for v in as_values], fast), where

    # detect_anomaly raises exactly when some gradient is not finite, else agrees.
    finite = all(math.isfinite(g) for g in fast)
    try:
        with detect_anomaly():
            checked = [float(g) for g in grad(root, nodes, allow_unused=True)]
    except AnomalyError:
        assert not finite, where
    else:
        assert finite and same(checked, fast), where
    if finite:
        for n in nodes:
            n.grad = 0.0
        with detect_anomaly():
            root.backward()
        assert same([n.grad for n in nodes], fast), where

    # backward_steps: one row per node, in the sweep's order, with the engine's numbers.
    steps = backward_steps(root)
    order = sweep_order(root)
    assert [row.index for row in steps.rows] == [
        autograd.topological_order(root).index(n) for n in order
    ], where
    by_row = {row.index: row.grad for row in steps.rows}
    topo = autograd.topological_order(root)
    position = {id(n): i for i, n in enumerate(topo)}
    assert same([by_row[position[id(n)]] for n in nodes], fast), where

    # explain's per-node (δ) form: each δ is the engine's gradient.
    for leaf in leaves:
        if id(leaf) in inside:
            e = explain(root, leaf, steps=True, max_paths=0)
            assert bits(e.total) == bits(float(grad(root, leaf))), where
            assert bits(e.gradient) == bits(e.total), where

    # The generated program: the same numbers, nan where the engine has nan (a zero's sign
    # may differ: the program does not start each gradient from +0.0).
    wrt = [leaf for leaf in leaves if id(leaf) in inside]
    if wrt:
        prog = codegen(root, wrt=wrt)
        value, grads = prog(*[leaf.data for leaf in wrt])
        assert same_but_zero_sign([value], [root.data]), where
        expected = [fast[nodes.index(leaf)] for leaf in wrt]
        assert same_but_zero_sign(list(grads), expected), (where, prog.source)

    if slow_views:
        # The explorer's backward steps read backward_steps: each node shows the engine's grad.
        timeline = pytest.importorskip("viz.explorer.timeline")
        words = pytest.importorskip("viz.explorer.words")
        shown = timeline.timeline(root, topo, autograd.Naming(topo), [], lr=None, max_paths=4,
                                  explain_nodes=0, w=words.page_words("en"), lang="en").nodes
        for n in nodes:
            assert shown[position[id(n)]].grad == repr(fast[nodes.index(n)]), where


@pytest.mark.parametrize("seed", range(4))
def test_every_reader_of_the_chain_rule_agrees_bit_for_bit(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(100):
        check_program(random_program(rng), slow_views=False)


@pytest.mark.slow
def test_thousands_of_random_graphs_agree_bit_for_bit() -> None:
    rng = random.Random(2024)
    for k in range(3000):
        check_program(random_program(rng, leaves=5, steps=16), slow_views=k % 50 == 0)


def test_the_sweep_order_is_the_fast_sweeps() -> None:
    # d uses a twice (directly and through c), b once: a's turn comes after c's.
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    c = a * b
    c.label = "c"
    d = c + a
    d.label = "d"
    assert [n.label for n in sweep_order(d)] == ["d", "c", "b", "a"]
    steps = backward_steps(d)
    assert [row.node for row in steps.rows] == ["d", "c", "b", "a"]


def test_the_testers_graph_sums_alike_everywhere() -> None:
    # A gradient of several terms whose sum depends on the order of addition.
    rng = random.Random(7)
    mismatches = 0
    for _ in range(300):
        program = random_program(rng, extremes=0.0)
        leaves, _, root = build(program)
        if not isinstance(root, Value) or root.is_leaf:
            continue
        inside = {id(n) for n in autograd.topological_order(root)}
        wrt = [leaf for leaf in leaves if id(leaf) in inside]
        fast = grad(root, wrt)
        with detect_anomaly():
            try:
                checked = grad(root, wrt)
            except AnomalyError:
                continue
        rows = {row.node: row.grad for row in backward_steps(root).rows}
        if not same(checked, fast) or not same([rows[x.label] for x in wrt], fast):
            mismatches += 1
    assert mismatches == 0
