"""The walks over a whole graph: the topological order is the recursive depth-first one, zero_grad
reaches every node, and both cost about what a backward sweep costs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
from autograd import Value, graph, linear
from tests.strategies import Program, apply_value, programs

ROOT = Path(__file__).resolve().parents[2]


def recursive_order(root: Value) -> list[Value]:
    """The definition: visit each input in turn (`parents`, in order), then the node."""
    order: list[Value] = []
    seen: set[int] = {id(root)}

    def visit(node: Value) -> None:
        for p in node.parents:
            if id(p) not in seen:
                seen.add(id(p))
                visit(p)
        order.append(node)

    visit(root)
    return order


def build(program: Program, picks: list[int]) -> Value:
    """The program's graph, topped by a `linear` node mixing earlier nodes and constants."""
    nodes = program.run(program.values(), apply_value)
    chosen = [nodes[i % len(nodes)] for i in picks]
    weights: list[Value | float] = [*chosen, 0.5]
    inputs: list[Value | float] = [2.0, *reversed(chosen)]
    return linear(weights, inputs, nodes[0]) * nodes[-1]


@given(programs(max_steps=20), st.lists(st.integers(0, 40), min_size=1, max_size=5))
def test_the_order_is_the_recursive_depth_first_order(program: Program, picks: list[int]) -> None:
    root = build(program, picks)
    order = autograd.topological_order(root)
    assert [id(n) for n in order] == [id(n) for n in recursive_order(root)]
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        assert all(position[id(p)] < position[id(node)] for p in node.parents)


@given(programs(max_steps=20), st.lists(st.integers(0, 40), min_size=1, max_size=5))
def test_zero_grad_zeroes_every_node_behind_the_root(program: Program, picks: list[int]) -> None:
    root = build(program, picks)
    root.backward()
    outside = Value(3.0)
    outside.grad = 7.0
    for zero in (graph.zero_grad, Value.zero_grad):
        for node in recursive_order(root):
            node.grad = 1.5
        zero(root)
        assert all(node.grad == 0.0 for node in recursive_order(root))
    assert outside.grad == 7.0


def test_a_shared_input_and_a_square_appear_once() -> None:
    a = Value(1.0, label="a")
    b = a * a
    c = b + a
    d = c * b
    assert [n.label or n.op for n in autograd.topological_order(d)] == ["a", "mul", "add", "mul"]


def test_a_leaf_alone() -> None:
    x = Value(1.0)
    assert autograd.topological_order(x) == [x]
    x.grad = 2.0
    graph.zero_grad(x)
    assert x.grad == 0.0


@pytest.mark.slow
def test_order_and_zero_grad_cost_about_a_backward_sweep() -> None:
    # In a fresh interpreter, as the benchmark runs: the heap a long test session leaves behind
    # slows the walks' allocations unevenly. The walks take turns; the ratios are of medians.
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "graph_walks.py"), "--ops", "300000",
         "--repeats", "5"],
        capture_output=True, text=True, check=True,
    )
    ratios = dict(re.findall(r"^\| (\S+) \| [\d.]+ \| ([\d.]+) \|$", result.stdout, flags=re.M))
    assert set(ratios) == {"backward", "topological_order", "Value.zero_grad", "graph.zero_grad"}
    for walk, ratio in ratios.items():
        assert float(ratio) < 1.5, f"{walk} takes {ratio}× a backward sweep\n{result.stdout}"
