"""micrograd's trace_graph.ipynb, run on kuibu after changing only the imports.

The notebook draws a graph with its own code: a recursive trace over ``_prev`` that puts nodes in
sets, record-shaped boxes of ``data`` and ``grad``, and one oval per ``_op``. Written here in our
own words, it must run on kuibu's Values and nn.Neuron and give micrograd's numbers.
"""

from __future__ import annotations

import random

import pytest

graphviz = pytest.importorskip("graphviz")

from autograd import Value  # noqa: E402
from nn import Neuron  # noqa: E402


def trace(root: Value) -> tuple[set[Value], set[tuple[Value, Value]]]:
    nodes: set[Value] = set()
    edges: set[tuple[Value, Value]] = set()

    def build(v: Value) -> None:
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)

    build(root)
    return nodes, edges


def draw(root: Value) -> graphviz.Digraph:
    nodes, edges = trace(root)
    dot = graphviz.Digraph(format="svg", graph_attr={"rankdir": "LR"})
    for n in nodes:
        dot.node(name=str(id(n)), label=f"{{ data {n.data:.4f} | grad {n.grad:.4f} }}",
                 shape="record")
        if n._op:
            dot.node(name=str(id(n)) + n._op, label=n._op)
            dot.edge(str(id(n)) + n._op, str(id(n)))
    for a, b in edges:
        dot.edge(str(id(a)), str(id(b)) + b._op)
    return dot


def test_the_very_simple_example() -> None:
    x = Value(1.0)
    y = (x * 2 + 1).relu()
    y.backward()
    source = draw(y).source
    assert (y.data, x.grad) == (3.0, 2.0)
    # micrograd's op texts label the ovals; kuibu keeps the constants 2 and 1 inside their nodes
    for op in ("*", "+", "ReLU"):
        assert f"label={op}" in source or f'label="{op}"' in source
    nodes, edges = trace(y)
    assert len(nodes) == 4 and len(edges) == 3


def test_a_simple_2d_neuron_from_random_seed_1337() -> None:
    random.seed(1337)
    w0, w1 = random.uniform(-1, 1), random.uniform(-1, 1)  # micrograd's order; the bias is 0
    random.seed(1337)
    n = Neuron(2)
    x = [Value(1.0), Value(-2.0)]
    y = n(x)
    y.backward()
    expected = max(0.0, w0 * 1.0 + w1 * -2.0)
    assert y.data == expected
    assert [p.data for p in n.parameters()] == [w0, w1, 0.0]
    on = 1.0 if expected > 0 else 0.0
    assert [xi.grad for xi in x] == [on * w0, on * w1]
    assert "record" in draw(y).source
